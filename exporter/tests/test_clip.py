"""CLIP exporter: tiny build, TorchScript parity, committed goldens, preprocessing recipe, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from tiny_helpers import (COMMITTED_TINY, assert_device_agnostic, assert_golden_dirs_match, copy_with_config, golden,
                          golden_json, max_diff, needs_cuda, FORWARD_ATOL, on_cuda, pickled_weights_checkpoint)

from finerewards_export import clip
from finerewards_export.errors import ExportError
from finerewards_export.tokenizers_tiny import save_tokenizer

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return Path(clip.build_tiny(str(tmp_path_factory.mktemp("tiny"))))


@pytest.fixture(scope="module")
def eager():
    model, _ = clip.tiny_model()
    return model


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """The tiny model saved as an ordinary Hugging Face checkpoint, to drive the real-export path."""
    model, tok = clip.tiny_model()
    d = tmp_path_factory.mktemp("ckpt")
    model.save_pretrained(d, safe_serialization=True)
    save_tokenizer(tok, str(d))
    return d


def test_torchscript_matches_eager_on_golden_inputs(built, eager):
    text = golden(built, "text")
    image = golden(built, "image")
    ts_text = torch.jit.load(f"{built}/text_encoder.pt")
    ts_image = torch.jit.load(f"{built}/image_encoder.pt")
    with torch.no_grad():
        assert max_diff(ts_text(text["input_ids"]), clip.TextEncoder(eager)(text["input_ids"])) <= FORWARD_ATOL
        assert max_diff(ts_image(image["pixel_values"]), clip.ImageEncoder(eager)(image["pixel_values"])) <= FORWARD_ATOL
        # a batch size other than the traced one must work too (nothing baked into the trace)
        one = ts_text(text["input_ids"][1:])
    assert max_diff(one, text["text_embeds"][1:]) <= FORWARD_ATOL
    norms = text["text_embeds"].norm(dim=-1)
    assert torch.allclose(norms, torch.ones_like(norms), atol=1e-5)


def test_regenerated_goldens_match_committed(built):
    assert_golden_dirs_match(built / "golden", COMMITTED_TINY / "clip" / "golden")


def test_committed_model_reproduces_committed_goldens():
    d = COMMITTED_TINY / "clip"
    text, image = golden(d, "text"), golden(d, "image")
    with torch.no_grad():
        assert max_diff(torch.jit.load(str(d / "text_encoder.pt"))(text["input_ids"]), text["text_embeds"]) <= FORWARD_ATOL
        got = torch.jit.load(str(d / "image_encoder.pt"))(image["pixel_values"])
    assert max_diff(got, image["image_embeds"]) <= FORWARD_ATOL
    manifest = json.loads((d / "manifest.json").read_text())
    sim = golden(d, "similarity")["logits_per_image"]
    # Arithmetic only: a 16-term float32 dot product of unit vectors, summed in another order than
    # CLIPModel's, is within 16 ulps of 1 (1.9e-6), times logit_scale (14.3), plus 2 eps of the
    # largest logit (5.4; at least one ulp of it) for the product's rounding: 2.8e-5. Measured: 0. The old bound was 1e-4.
    scale = manifest["extra"]["logit_scale"]
    tol = 16 * torch.finfo(torch.float32).eps * scale + 2 * torch.finfo(torch.float32).eps * sim.abs().max().item()
    assert max_diff(scale * image["image_embeds"] @ text["text_embeds"].T, sim) <= tol


def _preprocess_from_manifest(raw: np.ndarray, p: dict) -> np.ndarray:
    """The documented recipe, step by step, as the Java side implements it."""
    h, w = raw.shape[:2]
    s = p["resize"]["shortest_edge"]
    short, long = min(h, w), max(h, w)
    new_long = int(s * long / short)
    nh, nw = (s, new_long) if h <= w else (new_long, s)
    assert p["resize"]["resample"] == "bicubic"
    img = np.asarray(Image.fromarray(raw).resize((nw, nh), resample=Image.BICUBIC, reducing_gap=None))
    ch, cw = p["center_crop"]["height"], p["center_crop"]["width"]
    top, left = (nh - ch) // 2, (nw - cw) // 2
    img = img[top:top + ch, left:left + cw]
    x = (img.astype(np.float64) * p["rescale_factor"]).astype(np.float32)
    x = (x - np.array(p["image_mean"], dtype=np.float32)) / np.array(p["image_std"], dtype=np.float32)
    return x.transpose(2, 0, 1)[None]


def test_preprocessing_golden_follows_manifest_recipe(built):
    g = golden(built, "preprocess")
    manifest = json.loads(open(f"{built}/manifest.json").read())
    raw = g["image_uint8"].numpy().astype(np.uint8)
    ours = _preprocess_from_manifest(raw, manifest["preprocessing"]["image"])
    assert np.abs(ours - g["pixel_values"].numpy()).max() <= 1e-6


def test_tokenizer_golden_ids(built):
    from tokenizers import Tokenizer

    meta = golden_json(built, "text")
    tok = Tokenizer.from_file(f"{built}/tokenizer.json")
    info = json.loads(open(f"{built}/manifest.json").read())["preprocessing"]["text"]
    for text, ids, tokens in zip(meta["texts"], meta["input_ids"], meta["tokens"]):
        enc = tok.encode(text).ids  # the file pads and truncates by itself
        assert enc == ids and len(enc) == info["max_length"]
        n = len(tokens)
        assert enc[0] == info["bos_token_id"] and enc[n - 1] == info["eos_token_id"]
        assert enc[n:] == [info["pad_token_id"]] * (info["max_length"] - n)
    long = tok.encode("a cat " * 100).ids
    assert len(long) == info["max_length"] and long[-1] == info["eos_token_id"]


# ----------------------------------------------------------------------------- real-export path

def test_export_checkpoint_directory(checkpoint, tmp_path, eager):
    out = clip.export(str(checkpoint), str(tmp_path))
    manifest = json.loads(open(f"{out}/manifest.json").read())
    assert manifest["family"] == "clip" and manifest["source"]["tiny"] is False
    ids = torch.randint(0, 900, (2, 77), generator=torch.Generator().manual_seed(5))
    ids[:, 9] = manifest["preprocessing"]["text"]["eos_token_id"]
    with torch.no_grad():
        assert max_diff(torch.jit.load(f"{out}/text_encoder.pt")(ids), clip.TextEncoder(eager)(ids)) <= FORWARD_ATOL


def _hf_to_openai(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Inverse of the exporter's mapping, written independently from the OpenAI clip module names."""
    out = {}
    rename = {"layer_norm1": "ln_1", "layer_norm2": "ln_2", "mlp.fc1": "mlp.c_fc", "mlp.fc2": "mlp.c_proj",
              "self_attn.out_proj": "attn.out_proj"}
    fixed = {"text_model.embeddings.token_embedding.weight": "token_embedding.weight",
             "text_model.embeddings.position_embedding.weight": "positional_embedding",
             "text_model.final_layer_norm.weight": "ln_final.weight",
             "text_model.final_layer_norm.bias": "ln_final.bias",
             "vision_model.embeddings.patch_embedding.weight": "visual.conv1.weight",
             "vision_model.embeddings.class_embedding": "visual.class_embedding",
             "vision_model.embeddings.position_embedding.weight": "visual.positional_embedding",
             "vision_model.pre_layrnorm.weight": "visual.ln_pre.weight",
             "vision_model.pre_layrnorm.bias": "visual.ln_pre.bias",
             "vision_model.post_layernorm.weight": "visual.ln_post.weight",
             "vision_model.post_layernorm.bias": "visual.ln_post.bias",
             "logit_scale": "logit_scale"}
    qkv: dict[str, dict[str, torch.Tensor]] = {}
    for k, v in sd.items():
        if k in fixed:
            out[fixed[k]] = v
        elif k == "text_projection.weight":
            out["text_projection"] = v.t()
        elif k == "visual_projection.weight":
            out["visual.proj"] = v.t()
        else:
            m = re.match(r"(text|vision)_model\.encoder\.layers\.(\d+)\.(.+)\.(weight|bias)$", k)
            assert m, k
            base = ("" if m.group(1) == "text" else "visual.") + f"transformer.resblocks.{m.group(2)}"
            name, kind = m.group(3), m.group(4)
            if name in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"):
                qkv.setdefault(f"{base}.attn.in_proj_{kind}", {})[name[-6]] = v
            else:
                out[f"{base}.{rename[name]}.{kind}"] = v
    for key, parts in qkv.items():
        out[key] = torch.cat([parts["q"], parts["k"], parts["v"]], dim=0)
    return out


def _other_model():
    model, _ = clip.tiny_model()
    torch.manual_seed(99)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return model


def _assert_exports_weights_of(out: str, model) -> None:
    ids = golden(COMMITTED_TINY / "clip", "text")["input_ids"]
    pix = golden(COMMITTED_TINY / "clip", "image")["pixel_values"]
    with torch.no_grad():
        assert max_diff(torch.jit.load(f"{out}/text_encoder.pt")(ids), clip.TextEncoder(model)(ids)) <= FORWARD_ATOL
        assert max_diff(torch.jit.load(f"{out}/image_encoder.pt")(pix), clip.ImageEncoder(model)(pix)) <= FORWARD_ATOL


def test_state_dict_openai_layout_hps_style(checkpoint, tmp_path):
    other = _other_model()
    path = tmp_path / "hpc.pt"
    torch.save({"state_dict": _hf_to_openai(other.state_dict())}, path)
    out = clip.export(str(checkpoint), str(tmp_path / "out"), state_dict=str(path))
    _assert_exports_weights_of(out, other)
    manifest = json.loads(open(f"{out}/manifest.json").read())
    assert manifest["source"]["state_dict"] == str(path)
    assert abs(manifest["extra"]["logit_scale"] - other.logit_scale.exp().item()) < 1e-6


def test_state_dict_prefixed_safetensors(tmp_path):
    other = _other_model()
    path = tmp_path / "ft.safetensors"
    save_file({f"module.{k}": v.contiguous() for k, v in other.state_dict().items()}, path)
    model, _ = clip.tiny_model()
    clip.load_state_dict_into(model, clip.read_state_dict(str(path)), str(path))
    for k, v in other.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k


def test_state_dict_missing_key_is_named(checkpoint, tmp_path):
    sd = dict(clip.tiny_model()[0].state_dict())
    del sd["text_projection.weight"]
    path = tmp_path / "bad.safetensors"
    save_file({k: v.contiguous() for k, v in sd.items()}, path)
    with pytest.raises(ExportError, match=r"bad\.safetensors.*missing keys \['text_projection\.weight'\]"):
        clip.export(str(checkpoint), str(tmp_path / "out"), state_dict=str(path))


def test_state_dict_wrong_shape_is_named(checkpoint, tmp_path):
    sd = {k: v.contiguous() for k, v in clip.tiny_model()[0].state_dict().items()}
    sd["visual_projection.weight"] = torch.zeros(8, 32)
    path = tmp_path / "shape.safetensors"
    save_file(sd, path)
    with pytest.raises(ExportError, match=r"'visual_projection\.weight' has shape \[8, 32\]"):
        clip.export(str(checkpoint), str(tmp_path / "out"), state_dict=str(path))


def test_state_dict_file_missing(checkpoint, tmp_path):
    with pytest.raises(ExportError, match="nope.pt"):
        clip.export(str(checkpoint), str(tmp_path / "out"), state_dict=str(tmp_path / "nope.pt"))


def test_missing_checkpoint(tmp_path):
    with pytest.raises(ExportError, match=re.escape(str(tmp_path / "absent"))):
        clip.export(str(tmp_path / "absent"), str(tmp_path / "out"))


def test_non_safetensors_checkpoint(checkpoint, tmp_path):
    d = pickled_weights_checkpoint(checkpoint, tmp_path / "bin")
    with pytest.raises(ExportError, match=r"pytorch_model\.bin.*safetensors"):
        clip.export(str(d), str(tmp_path / "out"))


def test_wrong_architecture(checkpoint, tmp_path):
    d = copy_with_config(checkpoint, tmp_path / "arch", lambda c: c.update(architectures=["LlamaForCausalLM"]))
    with pytest.raises(ExportError, match=r"config\.json.*LlamaForCausalLM.*CLIPModel"):
        clip.export(str(d), str(tmp_path / "out"))


def test_legacy_eos_config_pools_the_same_position(eager):
    """openai/clip-vit-large-patch14's config says eos_token_id=2, which makes transformers pool at the
    highest id instead of the first EOS; with EOS as the last vocabulary id and EOS padding (our
    convention, as in the real vocabulary) both rules pick the same position."""
    ids = golden(COMMITTED_TINY / "clip", "text")["input_ids"]
    assert (ids.argmax(-1) == (ids == ids.max()).int().argmax(-1)).all()
    first_eos = clip.TextEncoder(eager)(ids)
    eager.text_model.eos_token_id = 2
    try:
        legacy = clip.TextEncoder(eager)(ids)
    finally:
        eager.text_model.eos_token_id = eager.config.text_config.eos_token_id
    assert max_diff(legacy, first_eos) == 0.0


def test_checkpoint_without_tokenizer_json_is_converted(tmp_path):
    """A snapshot with only vocab.json/merges.txt gets its tokenizer.json from transformers' converter."""
    from tokenizers import Tokenizer

    from finerewards_export.tokenizers_tiny import clip_tokenizer_fast

    model, tok = clip.tiny_model()
    d = tmp_path / "ckpt"
    model.save_pretrained(d, safe_serialization=True)
    save_tokenizer(tok, str(tmp_path))
    clip_tokenizer_fast(str(tmp_path / "tokenizer.json")).save_pretrained(d, legacy_format=True)
    (d / "tokenizer.json").unlink(missing_ok=True)
    assert (d / "vocab.json").is_file() and (d / "merges.txt").is_file()
    out = clip.export(str(d), str(tmp_path / "out"))
    converted = Tokenizer.from_file(f"{out}/tokenizer.json")
    for text in clip.GOLDEN_TEXTS + ["A  Dog, 2 cats!"]:
        ids = tok.encode(text).ids
        assert converted.encode(text).ids == ids + [ids[-1]] * (77 - len(ids)), text


def test_files_are_device_agnostic(built):
    assert_device_agnostic(built)


@needs_cuda
def test_committed_files_run_on_cuda():
    d = COMMITTED_TINY / "clip"
    text, image = golden(d, "text"), golden(d, "image")
    assert max_diff(on_cuda(d / "text_encoder.pt", text["input_ids"]), text["text_embeds"]) <= 1e-4
    assert max_diff(on_cuda(d / "image_encoder.pt", image["pixel_values"]), image["image_embeds"]) <= 1e-4


def test_goldens_are_not_vacuous():
    d = COMMITTED_TINY / "clip"
    for t in (golden(d, "text")["text_embeds"], golden(d, "image")["image_embeds"]):
        assert t.std() > 1e-2
    texts = golden(d, "text")["text_embeds"]
    assert max_diff(texts[0], texts[1]) > 1e-2, "different texts must embed differently"


def test_weights_hash_with_0_dim_logit_scale_is_the_committed_one(built):
    """CLIP's logit_scale is a 0-dim tensor; the hash covers it (as shape [1]) and stays the committed one."""
    from finerewards_export.manifest import state_dict_sha256

    assert state_dict_sha256({"s": torch.tensor(2.5)}) == state_dict_sha256({"s": torch.tensor([2.5])})
    assert state_dict_sha256({"s": torch.tensor(2.5)}) != state_dict_sha256({"s": torch.tensor(2.0)})
    committed = json.loads((COMMITTED_TINY / "clip" / "manifest.json").read_text())["source"]["weights_sha256"]
    assert json.loads((built / "manifest.json").read_text())["source"]["weights_sha256"] == committed
