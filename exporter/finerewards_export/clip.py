"""CLIP (``CLIPModel``, reference ViT-L/14): text and image towers to projected, L2-normalised embeddings.

Output ``<out>/clip/``: ``text_encoder.pt``, ``image_encoder.pt``, ``tokenizer.json`` (stores padding
with ``<|endoftext|>`` and truncation to 77, as DJL needs), ``manifest.json`` (with ``logit_scale`` and the exact
CLIPImageProcessor steps), and for the tiny model ``golden/``.
"""

from __future__ import annotations

import functools
import json
import os
import re

import numpy as np
import torch
from torch import nn

from . import _hf_util as U
from .tokenizers_tiny import CLIP_EOS, CLIP_MAX_LENGTH, clip_tokenizer_info, save_tokenizer, train_clip_tokenizer
from .manifest import ComponentSpec, Manifest, write_manifest

FAMILY = "clip"
ARCHITECTURES = ("CLIPModel",)
# Prefixes stripped from fine-tuned state-dict keys (DataParallel, Lightning/HPS-style wrappers).
STATE_DICT_PREFIXES = ("module.", "model.", "clip.")


class TextEncoder(nn.Module):
    """input_ids [B, L] int64 -> L2-normalised projected text embedding [B, D]."""

    def __init__(self, model):
        super().__init__()
        self.text_model = model.text_model
        self.text_projection = model.text_projection

    def forward(self, input_ids):
        pooled = self.text_model(input_ids=input_ids)[1]  # hidden state at the first EOS
        emb = self.text_projection(pooled)
        return emb / emb.norm(p=2, dim=-1, keepdim=True)


class ImageEncoder(nn.Module):
    """pixel_values [B, 3, S, S] -> L2-normalised projected image embedding [B, D]."""

    def __init__(self, model):
        super().__init__()
        self.vision_model = model.vision_model
        self.visual_projection = model.visual_projection

    def forward(self, pixel_values):
        pooled = self.vision_model(pixel_values=pixel_values)[1]  # post-LayerNorm CLS token
        emb = self.visual_projection(pooled)
        return emb / emb.norm(p=2, dim=-1, keepdim=True)


# ----------------------------------------------------------------------------- fine-tuned weights

def _openai_to_hf(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map an OpenAI ``clip`` package state dict (what HPS v1's ``hpc.pt`` holds) to CLIPModel keys."""
    out: dict[str, torch.Tensor] = {}
    towers = {"": "text_model.encoder.layers", "visual.": "vision_model.encoder.layers"}
    sub = {"ln_1": "layer_norm1", "ln_2": "layer_norm2", "mlp.c_fc": "mlp.fc1", "mlp.c_proj": "mlp.fc2",
           "attn.out_proj": "self_attn.out_proj"}
    simple = {
        "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
        "positional_embedding": "text_model.embeddings.position_embedding.weight",
        "ln_final.weight": "text_model.final_layer_norm.weight",
        "ln_final.bias": "text_model.final_layer_norm.bias",
        "visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
        "visual.class_embedding": "vision_model.embeddings.class_embedding",
        "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
        "visual.ln_pre.weight": "vision_model.pre_layrnorm.weight",
        "visual.ln_pre.bias": "vision_model.pre_layrnorm.bias",
        "visual.ln_post.weight": "vision_model.post_layernorm.weight",
        "visual.ln_post.bias": "vision_model.post_layernorm.bias",
        "logit_scale": "logit_scale",
    }
    block = re.compile(r"^(visual\.)?transformer\.resblocks\.(\d+)\.(.+)[._](weight|bias)$")  # in_proj_weight too
    for key, t in sd.items():
        if key in simple:
            out[simple[key]] = t
        elif key == "text_projection":  # stored [width, dim]; nn.Linear wants [dim, width]
            out["text_projection.weight"] = t.t().contiguous()
        elif key == "visual.proj":
            out["visual_projection.weight"] = t.t().contiguous()
        elif key in ("input_resolution", "context_length", "vocab_size"):
            continue  # scalars some OpenAI checkpoints carry; not weights
        elif m := block.match(key):
            tower, layer, name, kind = m.group(1) or "", m.group(2), m.group(3), m.group(4)
            base = f"{towers[tower]}.{layer}"
            if name == "attn.in_proj":
                for part, chunk in zip(("q_proj", "k_proj", "v_proj"), t.chunk(3, dim=0)):
                    out[f"{base}.self_attn.{part}.{kind}"] = chunk.contiguous()
            elif name in sub:
                out[f"{base}.{sub[name]}.{kind}"] = t
            else:
                raise U.ExportError(f"unrecognised OpenAI-CLIP state dict key {key!r}")
        else:
            raise U.ExportError(f"unrecognised OpenAI-CLIP state dict key {key!r}")
    return out


def read_state_dict(path: str) -> dict[str, torch.Tensor]:
    """Read a fine-tuned CLIP state dict (.safetensors, or .pt/.pth/.bin loaded with weights_only).

    Accepted layouts: CLIPModel keys (``text_model.…``, ``vision_model.…``, ``text_projection.weight``,
    ``visual_projection.weight``, ``logit_scale``), optionally under one prefix from
    ``STATE_DICT_PREFIXES``, or the OpenAI ``clip`` package keys (``visual.conv1.weight``,
    ``transformer.resblocks.N…``) as in HPS v1's ``hpc.pt``; a top-level ``{"state_dict": …}``
    wrapper is unwrapped.
    """
    if not os.path.isfile(path):
        raise U.ExportError(f"--state-dict file not found: {path}")
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        sd = load_file(path)
    else:
        try:
            sd = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:
            raise U.ExportError(f"--state-dict {path}: not a tensor-only torch file ({e})") from e
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise U.ExportError(f"--state-dict {path}: expected a mapping of parameter names to tensors")
    for prefix in STATE_DICT_PREFIXES:
        if sd and all(k.startswith(prefix) for k in sd):
            sd = {k[len(prefix):]: v for k, v in sd.items()}
            break
    if "visual.conv1.weight" in sd:
        sd = _openai_to_hf(sd)
    return sd


def load_state_dict_into(model, sd: dict[str, torch.Tensor], path: str) -> None:
    """Load strictly; a missing, unexpected or mis-shaped key is an error naming the key and file."""
    own = model.state_dict()
    missing = sorted(set(own) - set(sd))
    unexpected = sorted(set(sd) - set(own))
    if missing or unexpected:
        raise U.ExportError(
            f"--state-dict {path} does not match the CLIPModel architecture: "
            f"missing keys {missing[:5]}{' …' if len(missing) > 5 else ''} ({len(missing)}), "
            f"unexpected keys {unexpected[:5]}{' …' if len(unexpected) > 5 else ''} ({len(unexpected)}); "
            f"accepted layouts: CLIPModel keys (optionally prefixed by one of {list(STATE_DICT_PREFIXES)}) "
            "or OpenAI clip keys"
        )
    for k, v in sd.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise U.ExportError(
                f"--state-dict {path}: key {k!r} has shape {list(v.shape)}, the model expects {list(own[k].shape)}"
            )
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in sd.items()}, strict=True)


# ----------------------------------------------------------------------------- manifest pieces

def _preprocessing(proc, tok_info: dict) -> dict:
    crop = proc.crop_size
    return {
        "image": {
            "processor": "CLIPImageProcessor (transformers 4.46.3)",
            "steps": [
                "convert to RGB uint8, HWC",
                "resize: shortest edge to resize.shortest_edge keeping aspect ratio, long edge = "
                "int(shortest_edge * long / short) (truncated); PIL.Image.resize with the resample filter on uint8 "
                "(PIL bicubic is antialiased when downscaling), result uint8",
                "center crop to center_crop.height x width: top = (h - height) // 2, left = (w - width) // 2",
                "rescale: float64(x) * rescale_factor, then cast to float32",
                "normalize per channel in float32: (x - image_mean[c]) / image_std[c]",
                "transpose to CHW; batch as [B, 3, height, width] float32",
            ],
            "do_convert_rgb": bool(getattr(proc, "do_convert_rgb", True)),
            "do_resize": bool(proc.do_resize),
            "resize": {"shortest_edge": int(proc.size["shortest_edge"]),
                       "resample": _resample_name(proc.resample)},
            "do_center_crop": bool(proc.do_center_crop),
            "center_crop": {"height": int(crop["height"]), "width": int(crop["width"])},
            "do_rescale": bool(proc.do_rescale),
            "rescale_factor": float(proc.rescale_factor),
            "do_normalize": bool(proc.do_normalize),
            "image_mean": [float(x) for x in proc.image_mean],
            "image_std": [float(x) for x in proc.image_std],
        },
        "text": {
            **tok_info,
            "tokenizer_json_pads": "tokenizer.json itself pads to max_length with pad_token and truncates",
            "pooling": "hidden state at the first EOS of each row (the text tower is causal, so padding after "
                       "the EOS does not change the result; there is no attention mask input)",
        },
    }


def _resample_name(resample) -> str:
    names = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}
    return names.get(int(resample), str(resample))


def _components(dim: int, size: int, max_len: int, dtype: str) -> dict[str, ComponentSpec]:
    return {
        "text_encoder": ComponentSpec(
            file="text_encoder.pt",
            inputs=[U.tensor_spec("input_ids", [-1, max_len], "int64")],
            outputs=[U.tensor_spec("text_embeds", [-1, dim], dtype)],
            doc="Token ids (BOS ... EOS, right-padded to max_length) to the projected, L2-normalised "
                "text embedding.",
        ),
        "image_encoder": ComponentSpec(
            file="image_encoder.pt",
            inputs=[U.tensor_spec("pixel_values", [-1, 3, size, size], dtype)],
            outputs=[U.tensor_spec("image_embeds", [-1, dim], dtype)],
            doc="Preprocessed pixels (see preprocessing.image) to the projected, L2-normalised image embedding.",
        ),
    }


def _export_towers(model, out_dir: str, dtype_name: str, atol: float, max_len: int):
    torch_dt = U.torch_dtype(dtype_name)
    size = model.config.vision_config.image_size
    g = U.seeded(1234)
    ids = torch.randint(0, model.config.text_config.vocab_size, (2, max_len), generator=g)
    ids[:, -1] = model.config.text_config.eos_token_id  # every row needs an EOS
    ids_check = torch.randint(0, model.config.text_config.vocab_size, (3, max_len), generator=g)
    ids_check[:, 7] = model.config.text_config.eos_token_id
    pix = torch.randn(2, 3, size, size, generator=g).to(torch_dt)
    pix_check = torch.randn(1, 3, size, size, generator=g).to(torch_dt)
    text = U.trace_and_verify(TextEncoder(model), (ids,), os.path.join(out_dir, "text_encoder.pt"),
                              [(ids_check,)], atol)
    image = U.trace_and_verify(ImageEncoder(model), (pix,), os.path.join(out_dir, "image_encoder.pt"),
                               [(pix_check,)], atol)
    return text, image


def _write_manifest(model, proc, tok, out_dir: str, dtype_name: str, source: dict, max_len: int):
    cfg = model.config
    manifest = Manifest(
        family=FAMILY,
        architecture="CLIPModel",
        dtype=dtype_name,
        components=_components(cfg.projection_dim, cfg.vision_config.image_size, max_len, dtype_name),
        config=json.loads(cfg.to_json_string(use_diff=False)),
        preprocessing=_preprocessing(proc, {**clip_tokenizer_info(tok), "max_length": max_len}),
        source=source,
        extra={
            "logit_scale": float(model.logit_scale.detach().float().exp()),
            "logit_scale_doc": "exp of the learned logit scale: logits = logit_scale * image_embeds @ text_embeds.T",
            "embedding_dim": int(cfg.projection_dim),
        },
    )
    write_manifest(out_dir, manifest)


# ----------------------------------------------------------------------------- entry points

def export(checkpoint: str, out: str, state_dict: str | None = None, dtype: str = "float32",
           trust_remote_code: bool = False, device: str = "cpu", **_opts) -> str:
    """Export a CLIPModel checkpoint (optionally with a fine-tuned state dict) to ``<out>/clip``."""
    from tokenizers import Tokenizer
    from transformers import CLIPImageProcessor, CLIPModel

    U.check_checkpoint(checkpoint, ARCHITECTURES)
    torch_dt = U.torch_dtype(dtype)
    out_dir = os.path.join(out, FAMILY)
    os.makedirs(out_dir, exist_ok=True)
    model = U.load_pretrained(CLIPModel, checkpoint, torch.float32, trust_remote_code)
    if state_dict:
        load_state_dict_into(model, read_state_dict(state_dict), state_dict)
    model = model.to(device=U.resolve_device(device), dtype=torch_dt)
    max_len = int(model.config.text_config.max_position_embeddings)

    tok_path = os.path.join(out_dir, "tokenizer.json")
    if os.path.isfile(os.path.join(checkpoint, "tokenizer.json")):
        tok = Tokenizer.from_file(os.path.join(checkpoint, "tokenizer.json"))
    else:
        U.save_tokenizer_json(checkpoint, tok_path, trust_remote_code)
        tok = Tokenizer.from_file(tok_path)
    # DJL's HuggingFaceTokenizer pads with id 0 unless tokenizer.json names the pad token
    save_tokenizer(tok, out_dir, pad_to=max_len, pad_token=CLIP_EOS)

    if os.path.isfile(os.path.join(checkpoint, "preprocessor_config.json")):
        proc = CLIPImageProcessor.from_pretrained(checkpoint)
    else:
        s = model.config.vision_config.image_size
        proc = CLIPImageProcessor(size={"shortest_edge": s}, crop_size={"height": s, "width": s})
    _export_towers(model, out_dir, dtype, 1e-4 if torch_dt == torch.float32 else 2e-2, max_len)
    source = {"checkpoint": os.path.abspath(checkpoint), "weights_sha256": U.weights_sha256(model.state_dict()),
              "tiny": False, "state_dict": os.path.abspath(state_dict) if state_dict else None,
              "traced_on": str(device)}
    _write_manifest(model, proc, tok, out_dir, dtype, source, max_len)
    return out_dir


TINY_SEED = 0
TINY_MAX_LEN = CLIP_MAX_LENGTH  # 77 as in ViT-L/14, so Java exercises the real text length
TINY_IMAGE = 32


@functools.lru_cache(maxsize=1)
def _tiny_tokenizer_json() -> str:
    return train_clip_tokenizer().to_str()  # a few seconds of pure-Python BPE: train once per process


def tiny_model():
    """The tiny random CLIPModel (fixed seed) and its tokenizer."""
    from tokenizers import Tokenizer
    from transformers import CLIPConfig, CLIPModel

    tok = Tokenizer.from_str(_tiny_tokenizer_json())
    bos, eos = tok.token_to_id("<|startoftext|>"), tok.token_to_id("<|endoftext|>")
    cfg = CLIPConfig(
        text_config=dict(vocab_size=tok.get_vocab_size(), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=TINY_MAX_LEN,
                         bos_token_id=bos, eos_token_id=eos, pad_token_id=eos, hidden_act="quick_gelu"),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                           image_size=TINY_IMAGE, patch_size=8, hidden_act="quick_gelu"),
        projection_dim=16,
        torchscript=True,
    )
    cfg._attn_implementation = "eager"
    torch.manual_seed(TINY_SEED)
    return CLIPModel(cfg).eval(), tok


def build_tiny(out: str) -> str:
    """Build the tiny random-weight CLIP into ``<out>/clip`` with golden data."""
    from transformers import CLIPImageProcessor

    out_dir = os.path.join(out, FAMILY)
    os.makedirs(out_dir, exist_ok=True)
    model, tok = tiny_model()
    save_tokenizer(tok, out_dir, pad_to=TINY_MAX_LEN, pad_token=CLIP_EOS)
    proc = CLIPImageProcessor(size={"shortest_edge": TINY_IMAGE},
                              crop_size={"height": TINY_IMAGE, "width": TINY_IMAGE})
    text_ts, image_ts = _export_towers(model, out_dir, "float32", 1e-5, TINY_MAX_LEN)
    source = {"checkpoint": None, "weights_sha256": U.weights_sha256(model.state_dict()), "tiny": True,
              "traced_on": "cpu",
              "seed": TINY_SEED, "state_dict": None}
    _write_manifest(model, proc, tok, out_dir, "float32", source, TINY_MAX_LEN)
    write_goldens(model, tok, proc, os.path.join(out_dir, "golden"), text_ts, image_ts)
    return out_dir


GOLDEN_TEXTS = ["a cat sitting on the beach", "Two dogs riding a bicycle near the river!"]


def write_goldens(model, tok, proc, golden_dir, text_ts, image_ts):
    gw = U.GoldenWriter(golden_dir, "CLIP tiny golden data",
                        "Computed with transformers 4.46.3 CLIPModel / CLIPImageProcessor (eager, float32).")
    tok.enable_truncation(TINY_MAX_LEN)
    tok.enable_padding(length=TINY_MAX_LEN, pad_id=model.config.text_config.pad_token_id)
    enc = tok.encode_batch(GOLDEN_TEXTS)
    ids = torch.tensor([e.ids for e in enc], dtype=torch.int64)
    with torch.no_grad():
        text = TextEncoder(model)(ids)
        pix = torch.randn(2, 3, TINY_IMAGE, TINY_IMAGE, generator=U.seeded(7))
        image = ImageEncoder(model)(pix)
        scale = model.logit_scale.exp().item()
        for name, ts, inp, want in (("text", text_ts, ids, text), ("image", image_ts, pix, image)):
            d = U.max_abs_diff(ts(inp), want)
            if d > 1e-5:
                raise U.ExportError(f"TorchScript {name} encoder differs from eager by {d:.3g} on the golden inputs")
    gw.case("text", "Text tower on tokenized `texts` (tokenizer.json output, right-padded to 77).",
            {"input_ids": (ids, "tokenizer ids, BOS ... EOS then EOS padding"),
             "text_embeds": (text, "text_encoder.pt output: projected, L2-normalised")},
            {"texts": GOLDEN_TEXTS, "input_ids": ids.tolist(),
             "tokens": [[t for t, m in zip(e.tokens, e.attention_mask) if m] for e in enc]},
            {"texts": "raw strings", "input_ids": "what tokenizer.json gives for each text",
             "tokens": "token strings before padding, for debugging the tokenizer"})
    gw.case("image", "Image tower on seeded standard-normal pixel values.",
            {"pixel_values": (pix, "already-preprocessed input"),
             "image_embeds": (image, "image_encoder.pt output: projected, L2-normalised")})
    logits = scale * image @ text.T
    gw.case("similarity", "CLIP logits between the `image` and `text` cases.",
            {"logits_per_image": (logits, "logit_scale * image_embeds @ text_embeds.T, [images, texts]")},
            {"logit_scale": scale}, {"logit_scale": "exp(model.logit_scale), as in manifest extra.logit_scale"})
    raw = U.fixed_rgb_image(45, 61, seed=3)
    pv = proc(images=raw, return_tensors="pt")["pixel_values"]
    gw.case("preprocess", "CLIPImageProcessor on a fixed 45x61 RGB uint8 image "
            "(shortest edge 45 -> 32, long edge int(32*61/45) = 43, center crop 32x32 at left 5, top 0).",
            {"image_uint8": (torch.from_numpy(raw.astype(np.int64)), "raw image, HWC RGB, values 0..255"),
             "resized_uint8": (torch.from_numpy(_pil_resize(raw, proc).astype(np.int64)),
                               "after the PIL bicubic resize, before crop (HWC)"),
             "pixel_values": (pv, "processor output [1, 3, 32, 32]; compare to 1e-6")})
    gw.finish()


def _pil_resize(raw: np.ndarray, proc) -> np.ndarray:
    """The resize step alone, through the processor's own method, to expose the intermediate image."""
    from transformers.image_utils import ChannelDimension

    return proc.resize(raw, size=proc.size, resample=proc.resample, input_data_format=ChannelDimension.LAST)
