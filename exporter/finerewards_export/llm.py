"""LLM (``LlamaForCausalLM``, reference Vicuna-7B v1.5): ids and attention mask to next-token logits.

Output ``<out>/llm/``: ``lm.pt``, ``lm_cached.pt`` (the same forward for unpadded rows with a KV
cache, so the scorer runs the chat prefix all questions share once and then only each question's
own tokens; manifest ``extra.kv_cache``), ``tokenizer.json``, ``manifest.json`` (Vicuna v1.1 chat template,
the answer token ids of "1", "2", "3", the padding convention) and for the tiny model ``golden/``.

Padding convention: LEFT padding. ``lm.pt`` derives position ids from the attention mask exactly as
transformers' ``generate`` does (cumsum - 1), so a left-padded row gives the same logits at its real
positions, in particular the last one, as the row alone.
"""

from __future__ import annotations

import functools
import json
import os

import torch
from torch import nn

from . import _hf_util as U
from ._tok_util import VICUNA_SYSTEM, llm_corpus_lines
from .errors import ExportError
from .manifest import ComponentSpec, Manifest, write_manifest
from .tokenizers_tiny import save_tokenizer, train_byte_level_bpe

FAMILY = "llm"
ARCHITECTURES = ("LlamaForCausalLM",)
CHAT_TEMPLATE = VICUNA_SYSTEM + " USER: {prompt} ASSISTANT:"
ANSWER_LABELS = ("1", "2", "3")
# Any prompt works to find the answer ids; they are the same for every prompt ending in "ASSISTANT:".
_PROBE_PROMPT = "How likely is a dog to appear in a park?"


class CausalLM(nn.Module):
    """(input_ids [B, T] int64, attention_mask [B, T] int64) -> logits [B, T, V]."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        # as GenerationMixin.prepare_inputs_for_generation: real tokens count 0, 1, ... from the first 1
        position_ids = (attention_mask.cumsum(-1) - 1).masked_fill(attention_mask == 0, 1)
        return self.model(input_ids=input_ids, attention_mask=self.additive_mask(attention_mask),
                          position_ids=position_ids, use_cache=False)[0]

    def additive_mask(self, attention_mask):
        """LLaMA's causal + padding mask [B, 1, T, T] (0 = attend, dtype min = masked), except that a query
        seeing no key at all (a left-padding position) may see every key.

        With transformers' own mask such a row is all "min"; in fp16, score + min overflows to -inf, the
        row's softmax is NaN, and the NaN reaches real tokens through 0 * NaN in the next layer's
        attention. Real rows are unchanged, so their logits equal transformers'.
        """
        t = attention_mask.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool, device=attention_mask.device).tril()
        allowed = causal[None] & attention_mask[:, None, :].bool()
        allowed = allowed | ~allowed.any(-1, keepdim=True)
        dtype = self.model.get_input_embeddings().weight.dtype
        mask = torch.zeros(allowed.shape, dtype=dtype, device=attention_mask.device)
        return mask.masked_fill(~allowed, torch.finfo(dtype).min)[:, None]


class CachedCausalLM(nn.Module):
    """(input_ids [B, T] int64, past_key_0, past_value_0, ...) -> (last_logits [B, V], present_key_0,
    present_value_0, ...): unpadded rows continuing a KV cache of P positions ([B, kv_heads, P, head_dim]
    per layer; P = 0 for the first call). Positions are P .. P+T-1, as for the same row run whole.
    Only the last position goes through lm_head: the scorer reads nothing else.
    """

    def __init__(self, model):
        super().__init__()
        self.model = model.model
        self.lm_head = model.lm_head

    def forward(self, input_ids, *past):
        pairs = tuple((past[2 * i], past[2 * i + 1]) for i in range(len(past) // 2))
        out = self.model(input_ids=input_ids, past_key_values=pairs, use_cache=True, return_dict=False)
        hidden, present = out[0], out[1]
        return (self.lm_head(hidden[:, -1]),) + tuple(t for kv in present for t in kv)


def _kv_shape(cfg) -> tuple[int, int, int]:
    """(layers, key/value heads, head_dim) of the LLaMA KV cache."""
    heads = int(cfg.num_attention_heads)
    kv_heads = int(getattr(cfg, "num_key_value_heads", None) or heads)
    return int(cfg.num_hidden_layers), kv_heads, int(getattr(cfg, "head_dim", None) or cfg.hidden_size // heads)


def empty_past(cfg, batch: int, dtype=torch.float32, device="cpu") -> tuple[torch.Tensor, ...]:
    layers, heads, dim = _kv_shape(cfg)
    return tuple(torch.zeros(batch, heads, 0, dim, dtype=dtype, device=device) for _ in range(2 * layers))


def _kv_cache_spec(cfg) -> dict:
    layers, heads, dim = _kv_shape(cfg)
    return {
        "component": "lm_cached",
        "layers": layers,
        "heads": heads,
        "head_dim": dim,
        "how": "unpadded rows only. prefix: _, past = lm_cached(prefix_ids [1, P], 2*layers empty [1, heads, 0, "
               "head_dim] tensors); then for any ids that start with prefix_ids: last_logits = lm_cached(ids[P:], "
               "*past)[0] equals lm.pt(ids, ones)[:, -1] within float32 rounding (another summation blocking). "
               "The past is not modified, so one prefix serves every question.",
    }


def answer_tokens(tok) -> dict:
    """How the answers "1", "2", "3" continue an encoded chat prompt, as the tokenizer.json encodes them.

    Encodes ``template(prompt)`` and ``template(prompt) + " " + label``; the ids after the prompt
    are the continuation. Their common prefix (e.g. LLaMA's lone "▁" piece) must be appended to
    the prompt ids before reading the next-token logits; the last id is the label's token.
    """
    text = CHAT_TEMPLATE.format(prompt=_PROBE_PROMPT)
    prompt_ids = tok.encode(text).ids
    conts = []
    for label in ANSWER_LABELS:
        full = tok.encode(f"{text} {label}").ids
        if full[: len(prompt_ids)] != prompt_ids:
            raise ExportError(f"tokenizer.json: encoding the chat prompt plus answer {label!r} does not start with "
                              "the prompt's own ids, so the answer position is ambiguous")
        conts.append(full[len(prompt_ids):])
    prefix = []
    for column in zip(*conts):
        if len(set(column)) > 1:
            break
        prefix.append(column[0])
    if any(len(c) != len(prefix) + 1 for c in conts):
        raise ExportError(f"tokenizer.json: answers {ANSWER_LABELS} do not end in exactly one token each after "
                          f"the common prefix {prefix} (continuations {conts})")
    return {
        "labels": list(ANSWER_LABELS),
        "token_ids": [c[-1] for c in conts],
        "tokens": [tok.id_to_token(c[-1]) for c in conts],
        "answer_prefix_ids": prefix,
        "answer_prefix_tokens": [tok.id_to_token(i) for i in prefix],
        "how": "encode(chat_template.format(prompt=...)) with special tokens (BOS), append answer_prefix_ids, "
               "run lm.pt, read the logits at the last position at token_ids (order of labels). These are the "
               "ids tokenizer.json gives for ' 1', ' 2', ' 3' after 'ASSISTANT:'.",
    }


def _chat(tok, bos_id, eos_id, pad_id) -> dict:
    return {
        "template": CHAT_TEMPLATE,
        "system": VICUNA_SYSTEM,
        "style": "Vicuna v1.1 (FastChat 'vicuna_v1.1'), single turn; a fresh conversation per question",
        "add_special_tokens": True,
        "bos_token_id": bos_id,
        "eos_token_id": eos_id,
        "pad_token_id": pad_id,
        "padding_side": "left",
        "padding": "left-pad every row to the batch's longest with pad_token_id and attention_mask 0; the "
                   "last position then holds every row's next-token logits. lm.pt derives position ids from "
                   "attention_mask, so padding does not change a row's logits.",
        "answer": answer_tokens(tok),
    }


def _components(cfg, dtype: str) -> dict[str, ComponentSpec]:
    vocab = cfg.vocab_size
    layers, heads, dim = _kv_shape(cfg)

    def kv(kind):
        return [U.tensor_spec(f"{kind}_{part}_{i}", [-1, heads, -1, dim], dtype)
                for i in range(layers) for part in ("key", "value")]

    return {
        "lm": ComponentSpec(
            file="lm.pt",
            inputs=[U.tensor_spec("input_ids", [-1, -1], "int64"), U.tensor_spec("attention_mask", [-1, -1], "int64")],
            outputs=[U.tensor_spec("logits", [-1, -1, vocab], dtype)],
            doc="Full forward without a KV cache. attention_mask: 1 = token, 0 = padding (left). "
                "Position ids come from the mask (cumsum - 1). Logits at padding positions are meaningless.",
        ),
        "lm_cached": ComponentSpec(
            file="lm_cached.pt",
            inputs=[U.tensor_spec("input_ids", [-1, -1], "int64")] + kv("past"),
            outputs=[U.tensor_spec("last_logits", [-1, vocab], dtype)] + kv("present"),
            doc="Forward of unpadded rows continuing a KV cache (past [B, kv_heads, P, head_dim] per layer, P = 0 "
                "for a first call): positions P..P+T-1, logits of the last position; present = past + T positions.",
        ),
    }


def _trace(model, out_dir: str, atol: float, vocab: int, pad_id: int):
    g = U.seeded(42)
    ids = torch.randint(3, vocab, (2, 12), generator=g)
    mask = torch.ones_like(ids)
    mask[1, :5] = 0
    ids[1, :5] = pad_id
    single = torch.randint(3, vocab, (1, 7), generator=g)
    wide = torch.randint(3, vocab, (3, 20), generator=g)
    wide_mask = torch.ones_like(wide)
    wide_mask[0, :9] = 0
    wide_mask[2, :1] = 0
    checks = [(single, torch.ones_like(single)), (wide, wide_mask)]
    lm = U.trace_and_verify(CausalLM(model), (ids, mask), os.path.join(out_dir, "lm.pt"), checks, atol)
    return lm, _trace_cached(model, out_dir, atol, single, wide)


def _trace_cached(model, out_dir, atol, single, wide):
    """lm_cached.pt, traced on T = 2 new positions after P > 0 (transformers branches in Python on T == 1 for
    its causal mask, and a trace keeps the branch its example took; the T > 1 branch is also right for T = 1),
    checked on first calls (P = 0) and on other batch sizes, past lengths and T = 1."""
    cached = CachedCausalLM(model)
    cfg = model.config
    dev = next(model.parameters()).device
    dt = next(model.parameters()).dtype
    with torch.no_grad():
        past = cached(single[:, :5].to(dev), *empty_past(cfg, 1, dt, dev))[1:]
        past3 = cached(wide[:, :9].to(dev), *empty_past(cfg, 3, dt, dev))[1:]
    example = (single[:, 5:7], *past)
    checks = [(wide, *empty_past(cfg, 3, dt, dev)), (wide[:, 9:10], *past3), (wide[:, 9:], *past3),
              (single[:, 5:6], *past)]
    return U.trace_and_verify(cached, example, os.path.join(out_dir, "lm_cached.pt"), checks, atol)


def _write_manifest(model, tok, out_dir, dtype, source, pad_id):
    cfg = model.config
    manifest = Manifest(
        family=FAMILY,
        architecture="LlamaForCausalLM",
        dtype=dtype,
        components=_components(cfg, dtype),
        config=json.loads(cfg.to_json_string(use_diff=False)),
        preprocessing={"chat": _chat(tok, cfg.bos_token_id, cfg.eos_token_id, pad_id)},
        source=source,
        extra={"max_position_embeddings": int(cfg.max_position_embeddings), "kv_cache": _kv_cache_spec(cfg)},
    )
    write_manifest(out_dir, manifest)


def _pad_id(cfg, tok) -> int:
    """The padding id: config's pad, else unk (id 0 in LLaMA vocabularies), else eos. Masked anyway."""
    if cfg.pad_token_id is not None:
        return int(cfg.pad_token_id)
    unk = tok.token_to_id("<unk>")
    return int(unk if unk is not None else cfg.eos_token_id)


def export(checkpoint: str, out: str, dtype: str = "float16", trust_remote_code: bool = False, device: str = "cpu",
           **_opts) -> str:
    """Export a LLaMA-family checkpoint (safetensors) to ``<out>/llm`` (fp16 by default)."""
    from tokenizers import Tokenizer
    from transformers import LlamaForCausalLM

    U.check_checkpoint(checkpoint, ARCHITECTURES)
    torch_dt = U.torch_dtype(dtype)
    dev = U.resolve_device(device)
    out_dir = os.path.join(out, FAMILY)
    os.makedirs(out_dir, exist_ok=True)
    tok = Tokenizer.from_file(U.write_checkpoint_tokenizer(checkpoint, out_dir, trust_remote_code))
    model = U.load_pretrained(LlamaForCausalLM, checkpoint, torch_dt, trust_remote_code).to(dev)
    pad_id = _pad_id(model.config, tok)
    _trace(model, out_dir, 1e-4 if torch_dt == torch.float32 else 5e-2, model.config.vocab_size, pad_id)
    source = {"checkpoint": os.path.abspath(checkpoint), "weights_sha256": U.weights_sha256(model.state_dict()),
              "tiny": False, "traced_on": str(device)}
    _write_manifest(model, tok, out_dir, dtype, source, pad_id)
    return out_dir


TINY_SEED = 0
TINY_VOCAB = 512


@functools.lru_cache(maxsize=1)
def _tiny_tokenizer_json() -> str:
    tok = train_byte_level_bpe(TINY_VOCAB, ["<unk>", "<s>", "</s>"], "<s>", lines=llm_corpus_lines())
    return tok.to_str()


def tiny_model():
    """Tiny random LlamaForCausalLM (hidden 32, 2 layers, 4 heads; LLaMA's special ids) and its tokenizer."""
    from tokenizers import Tokenizer
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = Tokenizer.from_str(_tiny_tokenizer_json())
    cfg = LlamaConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256, rms_norm_eps=1e-5,
        bos_token_id=tok.token_to_id("<s>"), eos_token_id=tok.token_to_id("</s>"), pad_token_id=None,
        tie_word_embeddings=False, initializer_range=0.1, torchscript=True,
    )
    cfg._attn_implementation = "eager"
    torch.manual_seed(TINY_SEED)
    return LlamaForCausalLM(cfg).eval(), tok


GOLDEN_PROMPTS = ["How likely is a kite to appear in a snowy mountain?", "Is there a bus?"]


def build_tiny(out: str) -> str:
    out_dir = os.path.join(out, FAMILY)
    os.makedirs(out_dir, exist_ok=True)
    model, tok = tiny_model()
    save_tokenizer(tok, out_dir)
    pad_id = _pad_id(model.config, tok)
    lm_ts, cached_ts = _trace(model, out_dir, 1e-5, model.config.vocab_size, pad_id)
    source = {"checkpoint": None, "weights_sha256": U.weights_sha256(model.state_dict()), "tiny": True,
              "traced_on": "cpu",
              "seed": TINY_SEED}
    _write_manifest(model, tok, out_dir, "float32", source, pad_id)
    write_goldens(model, tok, pad_id, os.path.join(out_dir, "golden"), lm_ts, cached_ts)
    return out_dir


def left_pad(rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.tensor([[pad_id] * (width - len(r)) + r for r in rows], dtype=torch.int64)
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], dtype=torch.int64)
    return ids, mask


def write_goldens(model, tok, pad_id, golden_dir, lm_ts, cached_ts):
    gw = U.GoldenWriter(golden_dir, "LLM (tiny LLaMA) golden data",
                        "Computed with transformers 4.46.3 LlamaForCausalLM (eager attention, float32), position "
                        "ids from the attention mask as in `generate`.")
    chat = _chat(tok, model.config.bos_token_id, model.config.eos_token_id, pad_id)
    prefix = chat["answer"]["answer_prefix_ids"]
    texts = [CHAT_TEMPLATE.format(prompt=p) for p in GOLDEN_PROMPTS]
    rows = [tok.encode(t).ids + prefix for t in texts]
    ids, mask = left_pad(rows, pad_id)
    eager = CausalLM(model)
    with torch.no_grad():
        logits = eager(ids, mask)
        single_last = torch.stack([eager(*left_pad([r], pad_id))[0, -1] for r in rows])
        d = U.max_abs_diff(lm_ts(ids, mask), logits)
        if d > 1e-5:
            raise ExportError(f"lm.pt differs from eager by {d:.3g} on the golden padded batch")
        pad_gap = U.max_abs_diff(logits[:, -1], single_last)
        if pad_gap > 1e-5:
            raise ExportError(f"left padding changes the last-position logits by {pad_gap:.3g}")
    digit_ids = chat["answer"]["token_ids"]
    digit_logits = logits[:, -1, digit_ids]
    probs = torch.softmax(digit_logits, dim=-1)
    expected = probs @ torch.tensor([float(x) for x in ANSWER_LABELS])
    gw.case("logits", "A left-padded batch of two chat prompts of different lengths (each followed by the "
            "answer prefix), through lm.pt.",
            {"input_ids": (ids, "left-padded with pad_token_id"),
             "attention_mask": (mask, "1 = token, 0 = left padding"),
             "logits": (logits, "lm.pt output for the whole batch"),
             "last_logits_unpadded": (single_last, "each row run alone without padding: logits at its last "
                                      "position; equals logits[:, -1] within 1e-5")},
            {"prompts": GOLDEN_PROMPTS, "texts": texts, "ids": rows, "pad_token_id": pad_id},
            {"prompts": "the {prompt} inserted into the chat template",
             "texts": "the full chat strings that were tokenized",
             "ids": "tokenizer.json ids per row (with BOS) plus answer_prefix_ids, before padding",
             "pad_token_id": "id used for the left padding"})
    gw.case("answer", "Next-token scores of the answers at the last position of the `logits` case.",
            {"digit_logits": (digit_logits, "logits[:, -1, token_ids] for labels 1, 2, 3 (columns)"),
             "digit_probs": (probs, "softmax over the three digit logits only"),
             "expected_score": (expected, "sum_k k * digit_probs[k], a reference for the scorer; in [1, 3]")},
            {"labels": list(ANSWER_LABELS), "token_ids": digit_ids},
            {"labels": "answer labels, columns of the tensors", "token_ids": "manifest chat.answer.token_ids"})
    # The prefix the two golden rows share (the chat template up to the question), as the scorer caches it.
    shared = 0
    while shared < min(map(len, rows)) - 1 and rows[0][shared] == rows[1][shared]:
        shared += 1
    if shared < 2:
        raise ExportError(f"the golden chat rows share only {shared} leading ids; expected the chat template's prefix")
    prefix = torch.tensor([rows[0][:shared - 1]])
    rest = torch.tensor([rows[0][shared - 1:]])
    cached = CachedCausalLM(model)
    with torch.no_grad():
        past = cached(prefix, *empty_past(model.config, 1))[1:]
        res = cached(rest, *past)
        d = max(U.max_abs_diff(cached_ts(rest, *past)[0], res[0]), U.max_abs_diff(res[0], single_last[:1]))
        if d > 1e-5:
            raise ExportError(f"lm_cached.pt differs from eager / the uncached row by {d:.3g} on the golden row")
    layers = _kv_shape(model.config)[0]
    tensors = {"input_ids": (rest, f"ids[{shared - 1}:] of row 0 of the `logits` case: its own tokens after the prefix")}
    for i in range(layers):
        for part, k in (("key", 2 * i), ("value", 2 * i + 1)):
            tensors[f"past_{part}_{i}"] = (past[k].contiguous(), f"layer {i} {part}s of the {shared - 1} prefix ids")
            tensors[f"present_{part}_{i}"] = (res[1 + k], f"layer {i} {part}s of the whole row")
    tensors["last_logits"] = (res[0], "output [1, V]; equals last_logits_unpadded[0] of `logits` within 1e-5")
    gw.case("lm_cached", "lm_cached.pt on golden row 0 split after the prefix both golden rows share (less one "
            "id, so the split never falls inside a merged token): the past holds the prefix, input_ids the rest.",
            tensors, {"prefix_ids": rows[0][:shared - 1]}, {"prefix_ids": "the ids the past was computed from"})
    gw.finish()
