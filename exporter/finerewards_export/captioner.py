"""Captioner (``Blip2ForConditionalGeneration`` with an OPT language model, reference blip2-opt-2.7b).

Output ``<out>/captioner/``:
- ``vision_prefix.pt``: pixel_values [B, 3, S, S] -> language-model prefix embeddings [B, Q, H]
  (vision model, Q-Former over the learned query tokens, language projection);
- ``embed_tokens.pt``: token ids [B, T] int64 -> token embeddings [B, T, H] (the LM's input
  embedding matrix, to embed BOS and each generated token; a TorchScript file so Java loads every
  component the same way);
- ``lm.pt``: (inputs_embeds [B, T, H], attention_mask [B, T] int64) -> logits [B, T, V], the OPT
  forward without a KV cache (positions come from the attention mask inside OPT); kept for readers
  of model directories exported before ``lm_cached.pt`` existed;
- ``lm_cached.pt``: (inputs_embeds [B, T, H], past_key_0, past_value_0, ... [B, heads, P, head_dim])
  -> (last_logits [B, V], present_key_0, present_value_0, ... [B, heads, P + T, head_dim]): the OPT
  forward with a KV cache. One graph serves both phases: the prefill is the call with P = 0 (empty
  past tensors), a decode step the call with T = 1. One graph rather than a prefill and a step file,
  so the LM weights are stored and loaded once (manifest ``extra.generation.kv_cache``);
- ``tokenizer.json``, ``manifest.json`` (generation protocol, special ids, BlipImageProcessor steps),
  and for the tiny model ``golden/``.
"""

from __future__ import annotations

import functools
import json
import os

import numpy as np
import torch
from torch import nn

from . import _hf_util as U
from .errors import ExportError
from .manifest import ComponentSpec, Manifest, write_manifest
from .tokenizers_tiny import save_tokenizer, train_byte_level_bpe

FAMILY = "captioner"
ARCHITECTURES = ("Blip2ForConditionalGeneration",)
DEFAULT_MAX_NEW_TOKENS = 30


class VisionPrefix(nn.Module):
    """pixel_values [B, 3, S, S] -> prefix embeddings [B, Q, H] (as Blip2ForConditionalGeneration.generate)."""

    def __init__(self, model):
        super().__init__()
        self.vision_model = model.vision_model
        self.query_tokens = model.query_tokens
        self.qformer = model.qformer
        self.language_projection = model.language_projection

    def forward(self, pixel_values):
        image_embeds = self.vision_model(pixel_values, return_dict=False)[0]
        image_mask = torch.ones(image_embeds.shape[:-1], dtype=torch.long, device=image_embeds.device)
        queries = self.query_tokens.expand(image_embeds.shape[0], -1, -1)
        out = self.qformer(query_embeds=queries, encoder_hidden_states=image_embeds,
                           encoder_attention_mask=image_mask, return_dict=False)[0]
        return self.language_projection(out)


class EmbedTokens(nn.Module):
    """input_ids [B, T] int64 -> the LM's input embeddings [B, T, H]."""

    def __init__(self, model):
        super().__init__()
        self.embed = model.get_input_embeddings()

    def forward(self, input_ids):
        return self.embed(input_ids)


class LanguageModel(nn.Module):
    """(inputs_embeds [B, T, H], attention_mask [B, T]) -> logits [B, T, V]; no KV cache."""

    def __init__(self, model):
        super().__init__()
        self.lm = model.language_model

    def forward(self, inputs_embeds, attention_mask):
        return self.lm(inputs_embeds=inputs_embeds, attention_mask=attention_mask, use_cache=False,
                       return_dict=False)[0]


class CachedLanguageModel(nn.Module):
    """(inputs_embeds [B, T, H], past_key_0, past_value_0, ...) -> (last_logits [B, V], present_key_0,
    present_value_0, ...): OPT with a KV cache, one (key, value) pair of [B, heads, P, head_dim] per layer.

    The attention mask is all ones (captions are never padded: every row of a batch has the same
    length) and OPT derives positions P .. P+T-1 from it. Only the last position goes through
    lm_head: greedy decoding reads nothing else, and for a 32-query prefix that saves 32 lm_head rows.
    """

    def __init__(self, model):
        super().__init__()
        self.decoder = model.language_model.model.decoder
        self.lm_head = model.language_model.lm_head

    def forward(self, inputs_embeds, *past):
        pairs = tuple((past[2 * i], past[2 * i + 1]) for i in range(len(past) // 2))
        hidden, present = self.decoder(inputs_embeds=inputs_embeds, past_key_values=pairs, use_cache=True,
                                       return_dict=False)[:2]
        logits = self.lm_head(hidden[:, -1])
        return (logits,) + tuple(t for kv in present for t in kv)


def _kv_shape(model) -> tuple[int, int, int]:
    """(layers, heads, head_dim) of the OPT language model's KV cache."""
    tc = model.config.text_config
    return int(tc.num_hidden_layers), int(tc.num_attention_heads), int(tc.hidden_size // tc.num_attention_heads)


def empty_past(model, batch: int, dtype=torch.float32, device="cpu") -> tuple[torch.Tensor, ...]:
    """The prefill's past: 2 * layers tensors [B, heads, 0, head_dim]."""
    layers, heads, dim = _kv_shape(model)
    return tuple(torch.zeros(batch, heads, 0, dim, dtype=dtype, device=device) for _ in range(2 * layers))


def _kv_cache_spec(model) -> dict:
    layers, heads, dim = _kv_shape(model)
    return {
        "component": "lm_cached",
        "layers": layers,
        "heads": heads,
        "head_dim": dim,
        "loop": "prefill: last_logits, present = lm_cached(concat(prefix, embed_tokens([bos])), 2*layers empty "
                "[B, heads, 0, head_dim] tensors); then per step: next = argmax(last_logits) (finished rows emit "
                "pad_token_id), last_logits, present = lm_cached(embed_tokens(next)[:, None], *present). Same ids "
                "as the uncached loop; the cache keeps every row, so the batch stays unpadded and rectangular.",
    }


def _ids(value) -> list[int]:
    if value is None:
        return []
    return [int(v) for v in (value if isinstance(value, (list, tuple)) else [value])]


def _generation(model, max_new_tokens: int) -> dict:
    """The greedy protocol transformers 4.46.3 Blip2ForConditionalGeneration.generate follows."""
    gc = model.language_model.generation_config
    bos = int(model.config.text_config.bos_token_id)
    eos = _ids(gc.eos_token_id)
    pad = gc.pad_token_id if gc.pad_token_id is not None else model.config.text_config.pad_token_id
    unusual = {k: v for k, v in gc.to_diff_dict().items()
               if k in ("repetition_penalty", "no_repeat_ngram_size", "min_length", "min_new_tokens", "length_penalty",
                        "bad_words_ids", "forced_bos_token_id", "forced_eos_token_id", "suppress_tokens",
                        "begin_suppress_tokens")}
    return {
        "strategy": "greedy: do_sample=False, num_beams=1, argmax of the last position's logits",
        "max_new_tokens": max_new_tokens,
        "bos_token_id": bos,
        "eos_token_ids": eos,
        "pad_token_id": int(pad) if pad is not None else None,
        "num_query_tokens": int(model.config.num_query_tokens),
        "prompt": None,
        "sequence": "LM inputs_embeds = concat(vision_prefix(pixel_values) [Q rows], embed_tokens([bos]), "
                    "embed_tokens(tokens generated so far)); attention_mask all ones. (transformers builds this "
                    "from input_ids=[bos] when no prompt is given; checkpoints whose config has image_token_index "
                    "get the same sequence from the processor's Q image tokens + bos.)",
        "loop": "repeat up to max_new_tokens times: logits = lm(inputs_embeds, attention_mask)[:, -1]; "
                "next = argmax (lowest id on ties); a row that already produced an eos token emits pad_token_id "
                "instead; stop when every row has produced an eos token (the eos is kept in the output).",
        "output_ids": "what generate returns: [bos] + generated tokens (rows padded with pad_token_id after eos)",
        "decode": "tokenizer.decode(ids, skip_special_tokens=True).strip()",
        "min_length": 0,
        "other_generation_settings": unusual,
        "kv_cache": _kv_cache_spec(model),
    }


def _preprocessing(proc) -> dict:
    return {
        "image": {
            "processor": "BlipImageProcessor (transformers 4.46.3)",
            "steps": [
                "convert to RGB uint8, HWC",
                "resize to exactly resize.height x resize.width (aspect ratio not kept); PIL.Image.resize with the "
                "resample filter on uint8 (antialiased when downscaling), result uint8",
                "rescale: float64(x) * rescale_factor, then cast to float32",
                "normalize per channel in float32: (x - image_mean[c]) / image_std[c]",
                "transpose to CHW; batch as [B, 3, height, width] float32",
            ],
            "do_convert_rgb": bool(proc.do_convert_rgb),
            "do_resize": bool(proc.do_resize),
            "resize": {"height": int(proc.size["height"]), "width": int(proc.size["width"]),
                       "resample": {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic"}.get(int(proc.resample),
                                                                                                  str(proc.resample))},
            "do_rescale": bool(proc.do_rescale),
            "rescale_factor": float(proc.rescale_factor),
            "do_normalize": bool(proc.do_normalize),
            "image_mean": [float(x) for x in proc.image_mean],
            "image_std": [float(x) for x in proc.image_std],
        }
    }


def _components(model, dtype: str, uncached_lm: bool = True) -> dict[str, ComponentSpec]:
    s = model.config.vision_config.image_size
    q = model.config.num_query_tokens
    tc = model.config.text_config
    h = tc.word_embed_proj_dim if getattr(tc, "word_embed_proj_dim", None) else tc.hidden_size
    layers, heads, dim = _kv_shape(model)

    def kv(kind, length):
        return [U.tensor_spec(f"{kind}_{part}_{i}", [-1, heads, length, dim], dtype)
                for i in range(layers) for part in ("key", "value")]

    specs = {
        "vision_prefix": ComponentSpec(
            file="vision_prefix.pt",
            inputs=[U.tensor_spec("pixel_values", [-1, 3, s, s], dtype)],
            outputs=[U.tensor_spec("prefix_embeds", [-1, q, h], dtype)],
            doc="Image to the Q language-model prefix embeddings (vision model, Q-Former, language projection).",
        ),
        "embed_tokens": ComponentSpec(
            file="embed_tokens.pt",
            inputs=[U.tensor_spec("input_ids", [-1, -1], "int64")],
            outputs=[U.tensor_spec("inputs_embeds", [-1, -1, h], dtype)],
            doc="The language model's input embedding lookup (embed_tokens), for BOS and generated tokens.",
        ),
        "lm": ComponentSpec(
            file="lm.pt",
            inputs=[U.tensor_spec("inputs_embeds", [-1, -1, h], dtype),
                    U.tensor_spec("attention_mask", [-1, -1], "int64")],
            outputs=[U.tensor_spec("logits", [-1, -1, tc.vocab_size], dtype)],
            doc="OPT forward without KV cache; attention_mask 1 = token, 0 = left padding (positions from the mask).",
        ),
        "lm_cached": ComponentSpec(
            file="lm_cached.pt",
            inputs=[U.tensor_spec("inputs_embeds", [-1, -1, h], dtype)] + kv("past", -1),
            outputs=[U.tensor_spec("last_logits", [-1, tc.vocab_size], dtype)] + kv("present", -1),
            doc="OPT forward with a KV cache: past key/value pairs [B, heads, P, head_dim] per layer (P = 0 for the "
                "prefill), attention mask all ones, logits of the last position only; present = past + T positions.",
        ),
    }
    if not uncached_lm:
        del specs["lm"]
    return specs


def _trace(model, out_dir: str, atol: float, dtype: torch.dtype, uncached_lm: bool = True):
    s = model.config.vision_config.image_size
    tc = model.config.text_config
    g = U.seeded(21)
    dev = next(model.parameters()).device
    pix = torch.randn(2, 3, s, s, generator=g).to(dtype)
    vp = U.trace_and_verify(VisionPrefix(model), (pix,), os.path.join(out_dir, "vision_prefix.pt"),
                            [(torch.randn(1, 3, s, s, generator=g).to(dtype),)], atol)
    ids = torch.randint(0, tc.vocab_size, (2, 5), generator=g)
    et = U.trace_and_verify(EmbedTokens(model), (ids,), os.path.join(out_dir, "embed_tokens.pt"),
                            [(torch.randint(0, tc.vocab_size, (3, 1), generator=g),)], atol)
    with torch.no_grad():
        emb = torch.cat([vp(pix.to(dev)), et(ids.to(dev))], dim=1)
        emb3 = et(torch.randint(0, tc.vocab_size, (3, 11), generator=g).to(dev))
    mask3 = torch.ones(3, 11, dtype=torch.int64)
    mask3[1, :4] = 0
    lm = None
    if uncached_lm:
        lm = U.trace_and_verify(LanguageModel(model), (emb, torch.ones(emb.shape[:2], dtype=torch.int64)),
                                os.path.join(out_dir, "lm.pt"), [(emb3, mask3)], atol)
    elif os.path.exists(os.path.join(out_dir, "lm.pt")):
        os.remove(os.path.join(out_dir, "lm.pt"))  # a stale file of an earlier export
    lmc = _trace_cached(model, out_dir, atol, emb, emb3)
    return vp, et, lm, lmc


def _trace_cached(model, out_dir: str, atol: float, emb, emb3):
    """Trace lm_cached.pt and check it on a prefill (P = 0, T > 1) and on decode steps (T = 1) of other batch
    sizes and past lengths: the one graph must serve both phases.

    The example has T = 2 and P > 0 because transformers' mask code branches in Python on both (a causal
    mask only when T > 1, the past's zero columns only when P > 0), and a trace keeps the branches its
    example took. With both taken, T = 1 gets a 1 x 1 causal mask of 0 and P = 0 a concat of nothing:
    the same scores as transformers' own path, since adding 0.0 changes no float."""
    cached = CachedLanguageModel(model)
    dev, dt = emb.device, emb.dtype
    with torch.no_grad():
        past = cached(emb[:, :-2], *empty_past(model, emb.shape[0], dt, dev))[1:]
        past3 = cached(emb3[:, :6], *empty_past(model, 3, dt, dev))[1:]
    example = (emb[:, -2:], *past)
    checks = [(emb3, *empty_past(model, 3, dt, dev)), (emb3[:, 6:7], *past3),
              (emb[:1, :3], *empty_past(model, 1, dt, dev)), (emb[:, -1:], *past)]
    return U.trace_and_verify(cached, example, os.path.join(out_dir, "lm_cached.pt"), checks, atol)


def _write_manifest(model, proc, out_dir, dtype, source, max_new_tokens, uncached_lm=True):
    manifest = Manifest(
        family=FAMILY,
        architecture="Blip2ForConditionalGeneration",
        dtype=dtype,
        components=_components(model, dtype, uncached_lm),
        config=json.loads(model.config.to_json_string(use_diff=False)),
        preprocessing=_preprocessing(proc),
        source=source,
        extra={"generation": _generation(model, max_new_tokens)},
    )
    write_manifest(out_dir, manifest)


def export(checkpoint: str, out: str, dtype: str = "float32", max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
           trust_remote_code: bool = False, device: str = "cpu", uncached_lm: bool = True, **_opts) -> str:
    """Export a BLIP-2 (OPT) checkpoint (safetensors) to ``<out>/captioner``.

    ``uncached_lm=False`` leaves out ``lm.pt`` (the LM without a KV cache, which Java uses only for
    directories without ``lm_cached.pt``): it holds a second copy of the LM weights.
    """
    from transformers import Blip2ForConditionalGeneration, BlipImageProcessor

    cfg = U.check_checkpoint(checkpoint, ARCHITECTURES)
    text_type = (cfg.get("text_config") or {}).get("model_type")
    if text_type != "opt":
        raise ExportError(f"{checkpoint}/config.json: text_config.model_type={text_type!r}; this exporter supports "
                          "BLIP-2 with an OPT language model (decoder-only, e.g. blip2-opt-2.7b)")
    if max_new_tokens < 1:
        raise ExportError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    torch_dt = U.torch_dtype(dtype)
    dev = U.resolve_device(device)
    out_dir = os.path.join(out, FAMILY)
    os.makedirs(out_dir, exist_ok=True)
    U.write_checkpoint_tokenizer(checkpoint, out_dir, trust_remote_code)
    model = U.load_pretrained(Blip2ForConditionalGeneration, checkpoint, torch_dt, trust_remote_code).to(dev)
    lm = model.language_model
    # hub checkpoints omit the tied lm_head; make sure it was tied, not left randomly initialised
    if model.config.text_config.tie_word_embeddings and not torch.equal(lm.get_output_embeddings().weight,
                                                                        lm.get_input_embeddings().weight):
        raise ExportError(f"{checkpoint}: language_model.lm_head.weight is not the tied embed_tokens matrix "
                          "after loading (missing from the weights?)")
    if os.path.isfile(os.path.join(checkpoint, "preprocessor_config.json")):
        proc = BlipImageProcessor.from_pretrained(checkpoint)
    else:
        proc = _processor_for(model)
    _trace(model, out_dir, 1e-4 if torch_dt == torch.float32 else 5e-2, torch_dt, uncached_lm)
    source = {"checkpoint": os.path.abspath(checkpoint), "weights_sha256": U.weights_sha256(model.state_dict()),
              "tiny": False, "traced_on": str(device)}
    _write_manifest(model, proc, out_dir, dtype, source, max_new_tokens, uncached_lm)
    return out_dir


def _processor_for(model):
    from transformers import BlipImageProcessor
    from transformers.image_utils import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD

    s = model.config.vision_config.image_size
    return BlipImageProcessor(size={"height": s, "width": s}, image_mean=OPENAI_CLIP_MEAN, image_std=OPENAI_CLIP_STD)


TINY_SEED = 0
TINY_VOCAB = 384
TINY_IMAGE = 32
TINY_MAX_NEW_TOKENS = 8
OPT_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]  # ids 0..3 as in OPT's vocabulary


@functools.lru_cache(maxsize=1)
def _tiny_tokenizer_json() -> str:
    # OPT's tokenizer prepends "</s>" (id 2) as its BOS
    return train_byte_level_bpe(TINY_VOCAB, OPT_SPECIALS, "</s>").to_str()


def tiny_model():
    """Tiny random BLIP-2: 32x32 ViT, 2-layer Q-Former with 4 queries, 2-layer OPT (hidden 32).

    Cross-attention every 2nd Q-Former layer, as in blip2-opt-2.7b, so both layer kinds run."""
    from tokenizers import Tokenizer
    from transformers import Blip2Config, Blip2ForConditionalGeneration

    tok = Tokenizer.from_str(_tiny_tokenizer_json())
    newline = tok.token_to_id("\u010a")  # "Ċ", byte-level "\n": blip2-opt-2.7b's eos (50118) is "\n" too
    cfg = Blip2Config(
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                           image_size=TINY_IMAGE, patch_size=8),
        qformer_config=dict(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                            intermediate_size=64, encoder_hidden_size=32, cross_attention_frequency=2,
                            max_position_embeddings=32),
        text_config=dict(model_type="opt", vocab_size=tok.get_vocab_size(), hidden_size=32, ffn_dim=64,
                         num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=64,
                         word_embed_proj_dim=32, bos_token_id=2, eos_token_id=newline, pad_token_id=1,
                         init_std=0.2),
        num_query_tokens=4,
        torchscript=True,
    )
    cfg._attn_implementation = "eager"
    torch.manual_seed(TINY_SEED)
    return Blip2ForConditionalGeneration(cfg).eval(), tok


def build_tiny(out: str) -> str:
    out_dir = os.path.join(out, FAMILY)
    os.makedirs(out_dir, exist_ok=True)
    model, tok = tiny_model()
    save_tokenizer(tok, out_dir)
    proc = _processor_for(model)
    vp, et, lm, lmc = _trace(model, out_dir, 1e-5, torch.float32)
    source = {"checkpoint": None, "weights_sha256": U.weights_sha256(model.state_dict()), "tiny": True,
              "traced_on": "cpu",
              "seed": TINY_SEED}
    _write_manifest(model, proc, out_dir, "float32", source, TINY_MAX_NEW_TOKENS)
    write_goldens(model, tok, proc, os.path.join(out_dir, "golden"), vp, et, lm, lmc)
    return out_dir


def greedy_with_components(vp, et, lm, pixel_values, gen: dict) -> torch.Tensor:
    """The manifest's generation protocol run on the exported components (what Java implements)."""
    with torch.no_grad():
        prefix = vp(pixel_values)
        b = prefix.shape[0]
        out = torch.full((b, 1), gen["bos_token_id"], dtype=torch.int64)
        embeds = torch.cat([prefix, et(out)], dim=1)
        done = torch.zeros(b, dtype=torch.bool)
        eos = torch.tensor(gen["eos_token_ids"], dtype=torch.int64)
        for _ in range(gen["max_new_tokens"]):
            logits = lm(embeds, torch.ones(embeds.shape[:2], dtype=torch.int64))[:, -1]
            nxt = logits.argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, gen["pad_token_id"]), nxt)
            out = torch.cat([out, nxt[:, None]], dim=1)
            done = done | torch.isin(nxt, eos)
            if done.all():
                break
            embeds = torch.cat([embeds, et(nxt[:, None])], dim=1)
    return out


def _cached_step_case(model, lm_in, ids, et, lmc) -> dict:
    """A golden step of lm_cached.pt: past from the eager cached model on prefix + bos + ids[:, 1]."""
    layers = _kv_shape(model)[0]
    eager = CachedLanguageModel(model)
    with torch.no_grad():
        seq = torch.cat([lm_in, et(ids[:, 1:2])], dim=1)
        past = eager(seq, *empty_past(model, seq.shape[0]))[1:]
        step = et(ids[:, 2:3])
        res = eager(step, *past)
        full = LanguageModel(model)(torch.cat([seq, step], dim=1), torch.ones(seq.shape[0], seq.shape[1] + 1,
                                                                               dtype=torch.int64))[:, -1]
        d = max(U.max_abs_diff(lmc(step, *past)[0], res[0]), U.max_abs_diff(res[0], full))
        if d > 1e-5:
            raise ExportError(f"lm_cached.pt's step logits differ from eager / the uncached forward by {d:.3g}")
    tensors = {"inputs_embeds": (step, "embed_tokens(ids[:, 2:3]) of the `generate` ids: [B, 1, H]")}
    for i in range(layers):
        for part, k in (("key", 2 * i), ("value", 2 * i + 1)):
            tensors[f"past_{part}_{i}"] = (past[k].contiguous(), f"layer {i} {part}s of the {seq.shape[1]} earlier positions")
    tensors["last_logits"] = (res[0], "output [B, V]")
    for i in range(layers):
        for part, k in (("key", 2 * i), ("value", 2 * i + 1)):
            tensors[f"present_{part}_{i}"] = (res[1 + k], f"layer {i} {part}s, one position longer")
    tensors["uncached_last_logits"] = (full, "lm.pt(whole sequence, ones)[:, -1], the same logits without the cache")
    return tensors


def greedy_with_cache(vp, et, lmc, pixel_values, gen: dict, layers: int) -> torch.Tensor:
    """The manifest's generation protocol with the KV cache (``extra.generation.kv_cache``; what Java runs)."""
    with torch.no_grad():
        prefix = vp(pixel_values)
        b, _, h = prefix.shape
        out = torch.full((b, 1), gen["bos_token_id"], dtype=torch.int64)
        kv = gen["kv_cache"]
        empty = tuple(torch.zeros(b, kv["heads"], 0, kv["head_dim"], dtype=prefix.dtype) for _ in range(2 * layers))
        res = lmc(torch.cat([prefix, et(out)], dim=1), *empty)
        done = torch.zeros(b, dtype=torch.bool)
        eos = torch.tensor(gen["eos_token_ids"], dtype=torch.int64)
        for _ in range(gen["max_new_tokens"]):
            nxt = res[0].argmax(-1)
            nxt = torch.where(done, torch.full_like(nxt, gen["pad_token_id"]), nxt)
            out = torch.cat([out, nxt[:, None]], dim=1)
            done = done | torch.isin(nxt, eos)
            if done.all():
                break
            res = lmc(et(nxt[:, None]), *res[1:])
    return out


def write_goldens(model, tok, proc, golden_dir, vp, et, lm, lmc):
    gw = U.GoldenWriter(golden_dir, "Captioner (tiny BLIP-2 OPT) golden data",
                        "Computed with transformers 4.46.3 Blip2ForConditionalGeneration / BlipImageProcessor "
                        "(eager attention, float32).")
    gen = _generation(model, TINY_MAX_NEW_TOKENS)
    raws = [U.fixed_rgb_image(45, 61, seed=8), U.fixed_rgb_image(30, 24, seed=9)]
    pix = proc(images=raws, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        ids = model.generate(pixel_values=pix, do_sample=False, num_beams=1, max_new_tokens=TINY_MAX_NEW_TOKENS)
        prefix = VisionPrefix(model)(pix)
        bos_ids = torch.full((2, 1), gen["bos_token_id"], dtype=torch.int64)
        bos = EmbedTokens(model)(bos_ids)
        lm_in = torch.cat([prefix, bos], dim=1)
        lm_mask = torch.ones(lm_in.shape[:2], dtype=torch.int64)
        lm_logits = LanguageModel(model)(lm_in, lm_mask)
        # a left-padded batch: row 1 drops its first two prefix rows and is padded instead
        pad_in = lm_in.clone()
        pad_mask = lm_mask.clone()
        pad_mask[1, :2] = 0
        pad_logits = LanguageModel(model)(pad_in, pad_mask)
        for name, got, want in (("vision_prefix", vp(pix), prefix), ("embed_tokens", et(bos_ids), bos),
                                ("lm", lm(lm_in, lm_mask), lm_logits),
                                ("lm (left-padded)", lm(pad_in, pad_mask), pad_logits)):
            d = U.max_abs_diff(got, want)
            if d > 1e-5:
                raise ExportError(f"{name}.pt differs from eager by {d:.3g} on the golden inputs")
    ours = greedy_with_components(vp, et, lm, pix, gen)
    if not torch.equal(ours, ids):
        raise ExportError(f"the manifest's greedy protocol on the exported components gives {ours.tolist()}, "
                          f"transformers generate gives {ids.tolist()}")
    layers = gen["kv_cache"]["layers"]
    for what, g2 in (("", gen), (" (eos = the first generated token)", gen | {"eos_token_ids": [int(ids[0, 1])]})):
        cached, plain = greedy_with_cache(vp, et, lmc, pix, g2, layers), greedy_with_components(vp, et, lm, pix, g2)
        if not torch.equal(cached, plain):
            raise ExportError(f"the cached greedy protocol{what} gives {cached.tolist()}, the uncached {plain.tolist()}")
    step_case = _cached_step_case(model, lm_in, ids, et, lmc)
    captions = [tok.decode(r, skip_special_tokens=True).strip() for r in ids.tolist()]
    # Random weights never say "\n": rerun with eos set to a token only row 0 generates, so the golden
    # also covers the early stop of one row and the padding of a finished row.
    eos_alt = next(t for t in ids[0, 2:].tolist() if t not in ids[1].tolist())
    with torch.no_grad():
        ids_eos = model.generate(pixel_values=pix, do_sample=False, num_beams=1, max_new_tokens=TINY_MAX_NEW_TOKENS,
                                 eos_token_id=eos_alt)
    ours_eos = greedy_with_components(vp, et, lm, pix, gen | {"eos_token_ids": [eos_alt]})
    if not torch.equal(ours_eos, ids_eos):
        raise ExportError(f"greedy protocol with eos {eos_alt} gives {ours_eos.tolist()}, "
                          f"transformers generate gives {ids_eos.tolist()}")
    gw.case("preprocess", "BlipImageProcessor on two fixed RGB uint8 images (45x61 and 30x24) -> 32x32.",
            {"image0_uint8": (torch.from_numpy(raws[0].astype(np.int64)), "HWC RGB"),
             "image1_uint8": (torch.from_numpy(raws[1].astype(np.int64)), "HWC RGB"),
             "pixel_values": (pix, "processor output [2, 3, 32, 32]; compare to 1e-6")})
    gw.case("prefix", "vision_prefix.pt on the `preprocess` pixel_values.",
            {"pixel_values": (pix, "input"), "prefix_embeds": (prefix, "output [2, Q, H]")})
    gw.case("lm", "lm.pt on prefix + embed_tokens([bos]) (the first generation step), unpadded and with row 1 "
            "left-padded by masking its first two positions.",
            {"bos_ids": (bos_ids, "[[bos], [bos]]: embed_tokens.pt input"),
             "bos_embeds": (bos, "embed_tokens.pt(bos_ids)"),
             "inputs_embeds": (lm_in, "concat(prefix_embeds, bos_embeds)"),
             "attention_mask": (lm_mask, "all ones"),
             "logits": (lm_logits, "lm.pt output [2, Q+1, V]"),
             "padded_attention_mask": (pad_mask, "row 1 has 0 at positions 0 and 1"),
             "padded_logits": (pad_logits, "lm.pt(inputs_embeds, padded_attention_mask)")})
    gw.case("lm_cached", "lm_cached.pt on the third decode step of the `generate` case: the past holds the prefill "
            "(prefix + bos) and the first generated token; inputs_embeds is the second generated token's embedding. "
            "last_logits equals the uncached lm.pt's last-position logits on the whole sequence within 1e-5 "
            "(`uncached_last_logits`).", step_case)
    gw.case("generate", "transformers generate(pixel_values, do_sample=False, num_beams=1, "
            f"max_new_tokens={TINY_MAX_NEW_TOKENS}) on the `preprocess` pixel_values; reproduced by "
            "captioner.greedy_with_components on the TorchScript files following manifest extra.generation.",
            {"pixel_values": (pix, "input"), "output_ids": (ids, "[bos] + generated tokens")},
            {"output_ids": ids.tolist(), "captions": captions, "max_new_tokens": TINY_MAX_NEW_TOKENS,
             "bos_token_id": gen["bos_token_id"], "eos_token_ids": gen["eos_token_ids"],
             "pad_token_id": gen["pad_token_id"]},
            {"output_ids": "same as the tensor", "captions": "decode(skip_special_tokens=True).strip()",
             "max_new_tokens": "generation limit used", "bos_token_id": "first id of every row",
             "eos_token_ids": "generation stops after one of these", "pad_token_id": "fills rows that ended"})
    gw.case("generate_early_eos", "As `generate` but with generate(..., eos_token_id=eos_token_id) set to a token "
            "only row 0 produces: row 0 stops early and is padded with pad_token_id; row 1 runs to max_new_tokens.",
            {"output_ids": (ids_eos, "[bos] + generated tokens, padded")},
            {"output_ids": ids_eos.tolist(), "eos_token_id": eos_alt, "pad_token_id": gen["pad_token_id"]},
            {"output_ids": "same as the tensor", "eos_token_id": "the overriding eos id",
             "pad_token_id": "fills row 0 after its eos"})
    gw.finish()
