"""Captioner exporter: tiny BLIP-2 build, TorchScript parity, greedy protocol vs generate, goldens, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tiny_helpers import (COMMITTED_TINY, assert_device_agnostic, assert_golden_dirs_match, copy_with_config, golden,
                          golden_json, max_diff, needs_cuda, FORWARD_ATOL, on_cuda, pickled_weights_checkpoint)

from finerewards_export import captioner
from finerewards_export.errors import ExportError
from finerewards_export.tokenizers_tiny import save_tokenizer

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return Path(captioner.build_tiny(str(tmp_path_factory.mktemp("tiny"))))


@pytest.fixture(scope="module")
def model():
    return captioner.tiny_model()[0]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    m, tok = captioner.tiny_model()
    d = tmp_path_factory.mktemp("ckpt")
    m.save_pretrained(d, safe_serialization=True)
    save_tokenizer(tok, str(d))
    captioner._processor_for(m).save_pretrained(d)
    return d


def manifest(d: Path) -> dict:
    return json.loads((d / "manifest.json").read_text())


def components(d: Path):
    return tuple(torch.jit.load(str(d / f)) for f in ("vision_prefix.pt", "embed_tokens.pt", "lm.pt"))


def test_torchscript_matches_eager_on_golden_inputs(built, model):
    vp, et, lm = components(built)
    p, g = golden(built, "prefix"), golden(built, "lm")
    bos = torch.full((2, 1), manifest(built)["extra"]["generation"]["bos_token_id"])
    with torch.no_grad():
        assert max_diff(vp(p["pixel_values"]), captioner.VisionPrefix(model)(p["pixel_values"])) <= FORWARD_ATOL
        assert max_diff(et(bos), captioner.EmbedTokens(model)(bos)) <= FORWARD_ATOL
        for mask in (g["attention_mask"], g["padded_attention_mask"]):
            want = captioner.LanguageModel(model)(g["inputs_embeds"], mask)
            assert max_diff(lm(g["inputs_embeds"], mask), want) <= FORWARD_ATOL


def test_left_padding_equals_the_row_alone(built):
    _, _, lm = components(built)
    g = golden(built, "lm")
    with torch.no_grad():
        alone = lm(g["inputs_embeds"][1:, 2:], torch.ones(1, g["inputs_embeds"].shape[1] - 2, dtype=torch.int64))
    assert max_diff(g["padded_logits"][1:, 2:], alone) <= FORWARD_ATOL
    assert max_diff(g["padded_logits"][0], g["logits"][0]) <= 1e-6


def test_greedy_protocol_on_committed_files_reproduces_generate():
    d = COMMITTED_TINY / "captioner"
    vp, et, lm = components(d)
    gen = manifest(d)["extra"]["generation"]
    g = golden(d, "generate")
    assert torch.equal(captioner.greedy_with_components(vp, et, lm, g["pixel_values"], gen), g["output_ids"])
    early = golden_json(d, "generate_early_eos")
    gen_early = gen | {"eos_token_ids": [early["eos_token_id"]]}
    got = captioner.greedy_with_components(vp, et, lm, g["pixel_values"], gen_early)
    assert got.tolist() == early["output_ids"]
    assert early["output_ids"][0][-1] == gen["pad_token_id"], "row 0 ends early and is padded"
    assert all(row[0] == gen["bos_token_id"] for row in early["output_ids"])


def test_regenerated_goldens_match_committed(built):
    assert_golden_dirs_match(built / "golden", COMMITTED_TINY / "captioner" / "golden")


def test_committed_model_reproduces_committed_goldens():
    d = COMMITTED_TINY / "captioner"
    vp, et, lm = components(d)
    p, g = golden(d, "prefix"), golden(d, "lm")
    with torch.no_grad():
        assert max_diff(vp(p["pixel_values"]), p["prefix_embeds"]) <= FORWARD_ATOL
        bos = torch.full((2, 1), manifest(d)["extra"]["generation"]["bos_token_id"])
        assert max_diff(et(bos), g["bos_embeds"]) <= 1e-6
        assert max_diff(lm(g["inputs_embeds"], g["attention_mask"]), g["logits"]) <= FORWARD_ATOL


def test_preprocessing_follows_manifest(built):
    pre = manifest(built)["preprocessing"]["image"]
    g = golden(built, "preprocess")
    assert pre["resize"]["resample"] == "bicubic"
    for i in range(2):
        raw = g[f"image{i}_uint8"].numpy().astype(np.uint8)
        img = np.asarray(Image.fromarray(raw).resize((pre["resize"]["width"], pre["resize"]["height"]),
                                                     resample=Image.BICUBIC, reducing_gap=None))
        x = (img.astype(np.float64) * pre["rescale_factor"]).astype(np.float32)
        x = (x - np.array(pre["image_mean"], dtype=np.float32)) / np.array(pre["image_std"], dtype=np.float32)
        assert np.abs(x.transpose(2, 0, 1) - g["pixel_values"][i].numpy()).max() <= 1e-6


def test_tiny_tokenizer_is_opt_like(built):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(built / "tokenizer.json"))
    gen = manifest(built)["extra"]["generation"]
    assert [tok.token_to_id(t) for t in captioner.OPT_SPECIALS] == [0, 1, 2, 3]
    assert tok.encode("a dog").ids[0] == gen["bos_token_id"] == 2
    assert tok.decode(gen["eos_token_ids"]) == "\n"


def test_export_checkpoint_directory(checkpoint, tmp_path, model):
    out = Path(captioner.export(str(checkpoint), str(tmp_path), max_new_tokens=12))
    gen = manifest(out)["extra"]["generation"]
    assert gen["max_new_tokens"] == 12 and gen["num_query_tokens"] == 4 and gen["bos_token_id"] == 2
    p = golden(COMMITTED_TINY / "captioner", "prefix")
    with torch.no_grad():
        assert max_diff(torch.jit.load(str(out / "vision_prefix.pt"))(p["pixel_values"]),
                        captioner.VisionPrefix(model)(p["pixel_values"])) <= FORWARD_ATOL


def test_non_opt_language_model_refused(checkpoint, tmp_path):
    d = copy_with_config(checkpoint, tmp_path / "t5", lambda c: c["text_config"].update(model_type="t5"))
    with pytest.raises(ExportError, match=r"config\.json: text_config\.model_type='t5'"):
        captioner.export(str(d), str(tmp_path / "out"))


def test_wrong_architecture(checkpoint, tmp_path):
    d = copy_with_config(checkpoint, tmp_path / "arch", lambda c: c.update(architectures=["SamModel"]))
    with pytest.raises(ExportError, match=r"config\.json.*SamModel.*Blip2ForConditionalGeneration"):
        captioner.export(str(d), str(tmp_path / "out"))


def test_missing_checkpoint(tmp_path):
    with pytest.raises(ExportError, match=re.escape(str(tmp_path / "void"))):
        captioner.export(str(tmp_path / "void"), str(tmp_path / "out"))


def test_non_safetensors_checkpoint(checkpoint, tmp_path):
    d = pickled_weights_checkpoint(checkpoint, tmp_path / "bin")
    with pytest.raises(ExportError, match=r"pytorch_model\.bin.*safetensors"):
        captioner.export(str(d), str(tmp_path / "out"))


def test_bad_max_new_tokens(checkpoint, tmp_path):
    with pytest.raises(ExportError, match="max_new_tokens must be >= 1, got 0"):
        captioner.export(str(checkpoint), str(tmp_path / "out"), max_new_tokens=0)


def test_image_token_checkpoints_generate_the_same_ids(model):
    """Checkpoints whose config has image_token_index (newer blip2-opt-2.7b revisions) feed the processor's
    Q image tokens + bos; the LM sees the same embeddings, so the documented protocol still holds."""
    d = COMMITTED_TINY / "captioner"
    g = golden(d, "generate")
    gen = manifest(d)["extra"]["generation"]
    q = gen["num_query_tokens"]
    image_token = 3  # any id: its embedding rows are overwritten by the prefix
    model.config.image_token_index = image_token
    try:
        ids = torch.tensor([[image_token] * q + [gen["bos_token_id"]]] * 2)
        with torch.no_grad():
            out = model.generate(pixel_values=g["pixel_values"], input_ids=ids, attention_mask=torch.ones_like(ids),
                                 do_sample=False, num_beams=1, max_new_tokens=gen["max_new_tokens"])
    finally:
        model.config.image_token_index = None
    assert torch.equal(out, g["output_ids"])


def test_files_are_device_agnostic(built):
    assert_device_agnostic(built)


@needs_cuda
def test_committed_files_run_on_cuda():
    d = COMMITTED_TINY / "captioner"
    p, g = golden(d, "prefix"), golden(d, "lm")
    assert max_diff(on_cuda(d / "vision_prefix.pt", p["pixel_values"]), p["prefix_embeds"]) <= 1e-4
    assert max_diff(on_cuda(d / "lm.pt", g["inputs_embeds"], g["padded_attention_mask"]), g["padded_logits"]) <= 1e-4
    c = golden(d, "lm_cached")
    past = [c[f"past_{p}_{i}"] for i in range(2) for p in ("key", "value")]
    assert max_diff(on_cuda(d / "lm_cached.pt", c["inputs_embeds"], *past)[0], c["last_logits"]) <= 1e-4


def test_checkpoint_with_tied_lm_head_omitted(tmp_path, model):
    """Hub BLIP-2 OPT checkpoints store no lm_head (tied to embed_tokens): the export must tie it."""
    from transformers import Blip2ForConditionalGeneration

    cfg = model.config.__class__.from_dict(model.config.to_dict())
    cfg.torchscript = False
    tied = Blip2ForConditionalGeneration(cfg)
    tied.load_state_dict(model.state_dict())
    tied.tie_weights()
    d = tmp_path / "ckpt"
    tied.save_pretrained(d, safe_serialization=True)
    from safetensors import safe_open

    with safe_open(str(d / "model.safetensors"), "pt") as f:
        assert "language_model.lm_head.weight" not in f.keys()
    save_tokenizer(captioner.tiny_model()[1], str(d))
    out = Path(captioner.export(str(d), str(tmp_path / "out")))
    g = golden(COMMITTED_TINY / "captioner", "lm")
    with torch.no_grad():
        got = torch.jit.load(str(out / "lm.pt"))(g["inputs_embeds"], g["attention_mask"])
    assert max_diff(got, g["logits"]) <= FORWARD_ATOL


def test_goldens_are_not_vacuous():
    d = COMMITTED_TINY / "captioner"
    p, g = golden(d, "prefix"), golden(d, "lm")
    assert p["prefix_embeds"].std() > 1e-2 and g["logits"].std() > 1e-2
    assert max_diff(p["prefix_embeds"][0], p["prefix_embeds"][1]) > 1e-2, "different images, different prefixes"


# --- KV cache (lm_cached.pt) -------------------------------------------------------------------------


def _cached(d: Path):
    return torch.jit.load(str(d / "lm_cached.pt"))


def test_cached_greedy_on_committed_files_reproduces_generate():
    """Token ids of the cached loop equal transformers' generate exactly, also with a row stopping early."""
    d = COMMITTED_TINY / "captioner"
    vp, et, _ = components(d)
    gen = manifest(d)["extra"]["generation"]
    layers = gen["kv_cache"]["layers"]
    g = golden(d, "generate")
    assert torch.equal(captioner.greedy_with_cache(vp, et, _cached(d), g["pixel_values"], gen, layers), g["output_ids"])
    early = golden_json(d, "generate_early_eos")
    got = captioner.greedy_with_cache(vp, et, _cached(d), g["pixel_values"],
                                      gen | {"eos_token_ids": [early["eos_token_id"]]}, layers)
    assert got.tolist() == early["output_ids"]


def test_committed_cached_lm_reproduces_its_golden_and_the_uncached_logits():
    d = COMMITTED_TINY / "captioner"
    g = golden(d, "lm_cached")
    layers = manifest(d)["extra"]["generation"]["kv_cache"]["layers"]
    past = [g[f"past_{p}_{i}"] for i in range(layers) for p in ("key", "value")]
    with torch.no_grad():
        out = _cached(d)(g["inputs_embeds"], *past)
    assert max_diff(out[0], g["last_logits"]) <= FORWARD_ATOL
    for k, (i, p) in enumerate((i, p) for i in range(layers) for p in ("key", "value")):
        assert max_diff(out[1 + k], g[f"present_{p}_{i}"]) <= FORWARD_ATOL
        assert torch.equal(out[1 + k][:, :, :-1], past[k]), "the present starts with the past, unchanged"
    # Cached vs whole-sequence logits: the same sums over other row blockings; tiny float32 logits of
    # magnitude ~3 agree to a few ulps per layer, far inside 1e-5.
    assert max_diff(g["last_logits"], g["uncached_last_logits"]) <= FORWARD_ATOL
    assert g["last_logits"].std() > 1e-2


def test_cached_prefill_equals_the_uncached_last_position(built, model):
    """The prefill (P = 0) call of the one graph: its logits are lm.pt's at the last position."""
    _, _, lm = components(built)
    g = golden(built, "lm")
    with torch.no_grad():
        out = _cached(built)(g["inputs_embeds"], *captioner.empty_past(model, 2))
        assert max_diff(out[0], lm(g["inputs_embeds"], g["attention_mask"])[:, -1]) <= FORWARD_ATOL
        assert out[1].shape == (2, 4, g["inputs_embeds"].shape[1], 8)


def test_manifest_names_the_cached_graph(built):
    m = manifest(built)
    kv = m["extra"]["generation"]["kv_cache"]
    assert kv["component"] == "lm_cached" and kv["layers"] == 2 and kv["heads"] == 4 and kv["head_dim"] == 8
    names = [t["name"] for t in m["components"]["lm_cached"]["inputs"]]
    assert names == ["inputs_embeds", "past_key_0", "past_value_0", "past_key_1", "past_value_1"]
    assert [t["name"] for t in m["components"]["lm_cached"]["outputs"]][:2] == ["last_logits", "present_key_0"]


def test_export_without_the_uncached_lm(checkpoint, tmp_path):
    (tmp_path / "captioner").mkdir()
    (tmp_path / "captioner" / "lm.pt").write_bytes(b"stale")
    from finerewards_export import cli

    assert cli.main(["export", "--family", "captioner", "--checkpoint", str(checkpoint), "--out", str(tmp_path),
                     "--no-uncached-lm"]) == 0
    out = tmp_path / "captioner"
    m = manifest(out)
    assert "lm" not in m["components"] and "lm_cached" in m["components"] and not (out / "lm.pt").exists()
    assert "lm.pt" not in m["files"] and "lm_cached.pt" in m["files"]
    vp, et = (torch.jit.load(str(out / f)) for f in ("vision_prefix.pt", "embed_tokens.pt"))
    g = golden(COMMITTED_TINY / "captioner", "generate")
    gen = m["extra"]["generation"] | {"max_new_tokens": 8}
    got = captioner.greedy_with_cache(vp, et, _cached(out), g["pixel_values"], gen, gen["kv_cache"]["layers"])
    assert torch.equal(got, g["output_ids"])
