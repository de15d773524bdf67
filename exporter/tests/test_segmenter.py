"""Segmenter exporter: tiny SAM build, TorchScript parity, pre/post-processing recipes, AMG reference, bad input."""

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

from finerewards_export import amg, segmenter
from finerewards_export.errors import ExportError

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return Path(segmenter.build_tiny(str(tmp_path_factory.mktemp("tiny"))))


@pytest.fixture(scope="module")
def model():
    return segmenter.tiny_model()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, model):
    d = tmp_path_factory.mktemp("ckpt")
    model.save_pretrained(d, safe_serialization=True)
    segmenter._processor_for(model).save_pretrained(d)
    return d


def manifest(d: Path) -> dict:
    return json.loads((d / "manifest.json").read_text())


def test_torchscript_matches_eager_on_golden_inputs(built, model):
    e = golden(built, "image_embeddings")
    dec = golden(built, "decoder")
    with torch.no_grad():
        assert max_diff(torch.jit.load(str(built / "image_encoder.pt"))(e["pixel_values"]),
                        segmenter.ImageEncoder(model)(e["pixel_values"])) <= FORWARD_ATOL
        ts = torch.jit.load(str(built / "mask_decoder.pt"))
        args = (dec["image_embeddings"], dec["input_points"], dec["input_labels"])
        got, want = ts(*args), segmenter.MaskDecoder(model)(*args)
    assert got[0].shape[2] == 3, "three masks per point"
    for g, w in zip(got, want):
        assert max_diff(g, w) <= FORWARD_ATOL


def test_regenerated_goldens_match_committed(built):
    assert_golden_dirs_match(built / "golden", COMMITTED_TINY / "segmenter" / "golden")


def test_committed_model_reproduces_committed_goldens():
    d = COMMITTED_TINY / "segmenter"
    e, dec = golden(d, "image_embeddings"), golden(d, "decoder")
    with torch.no_grad():
        emb = torch.jit.load(str(d / "image_encoder.pt"))(e["pixel_values"])
        masks, iou = torch.jit.load(str(d / "mask_decoder.pt"))(emb, dec["input_points"], dec["input_labels"])
    assert max_diff(emb, e["image_embeddings"]) <= FORWARD_ATOL
    assert max_diff(masks, dec["pred_masks"]) <= FORWARD_ATOL and max_diff(iou, dec["iou_scores"]) <= FORWARD_ATOL


def test_preprocessing_and_point_transform_follow_manifest(built):
    pre = manifest(built)["preprocessing"]["image"]
    g, meta = golden(built, "preprocess"), golden_json(built, "preprocess")
    raw = g["image_uint8"].numpy().astype(np.uint8)
    h, w = raw.shape[:2]
    scale = pre["resize"]["longest_edge"] / max(h, w)
    nh, nw = int(h * scale + 0.5), int(w * scale + 0.5)
    assert [nh, nw] == meta["reshaped_input_size"]
    assert pre["resize"]["resample"] == "bilinear"
    img = np.asarray(Image.fromarray(raw).resize((nw, nh), resample=Image.BILINEAR, reducing_gap=None))
    x = (img.astype(np.float64) * pre["rescale_factor"]).astype(np.float32)
    x = (x - np.array(pre["image_mean"], dtype=np.float32)) / np.array(pre["image_std"], dtype=np.float32)
    padded = np.zeros((pre["pad_size"]["height"], pre["pad_size"]["width"], 3), dtype=np.float32)
    padded[:nh, :nw] = x
    assert np.abs(padded.transpose(2, 0, 1)[None] - g["pixel_values"].numpy()).max() <= 1e-6

    dec = golden(built, "decoder")
    pts = dec["input_points_original"].clone()
    pts[..., 0] *= nw / w
    pts[..., 1] *= nh / h
    # Arithmetic, not a forward: one float32 multiply per coordinate here against the processor's
    # own order, two roundings at most: 2 ulps of the largest coordinate (57, ulp 3.8e-6). Measured:
    # 3.8e-6, one ulp.
    assert max_diff(pts, dec["input_points"]) <= 2 * torch.finfo(torch.float32).eps * 32  # 2 ulps in [32, 64)


def test_mask_postprocessing_follows_manifest(built):
    dec, meta = golden(built, "decoder"), golden_json(built, "decoder")
    post = manifest(built)["extra"]["postprocessing"]["masks"]
    pad = manifest(built)["preprocessing"]["image"]["pad_size"]
    assert list(dec["pred_masks"].shape[-2:]) == post["low_res_mask_size"]
    up = amg.upscale(dec["pred_masks"][0], meta["original_size"], meta["reshaped_input_size"],
                     [pad["height"], pad["width"]])
    assert max_diff(up, dec["upscaled_logits"]) <= FORWARD_ATOL
    assert torch.equal((up > post["mask_threshold"]).long(), dec["masks"])


def test_amg_reference_matches_transformers_filter_masks(built):
    """Stages 1-4 of the reference against transformers' own post_process_masks + filter_masks."""
    from transformers.models.sam.image_processing_sam import _rle_to_mask

    case = amg.synthetic_case()
    t = case["thresholds"]
    proc = segmenter._processor_for(segmenter.tiny_model())
    up = proc.post_process_masks(case["pred_masks"][None], [case["original_size"]], [case["reshaped_input_size"]],
                                 binarize=False)[0]
    h, w = case["original_size"]
    rles, scores, boxes = proc.filter_masks(up, case["iou_scores"], case["original_size"], [0, 0, w, h],
                                            t["pred_iou_thresh"], t["stability_score_thresh"], t["mask_threshold"],
                                            t["stability_score_offset"])
    ours = amg.generate(case["pred_masks"], case["iou_scores"], case["original_size"], case["reshaped_input_size"],
                        case["pad_size"], **t)
    cand = ours["stages"]["after_iou_and_stability"]
    assert torch.equal(scores, case["iou_scores"].flatten()[cand])
    assert torch.equal(boxes.float(), torch.stack([amg.mask_to_box(m) for m in (up.flatten(0, 1)[cand] > 0)]))
    assert len(rles) == len(cand)
    for rle, i in zip(rles, cand):
        assert np.array_equal(_rle_to_mask(rle), (up.flatten(0, 1)[i] > 0).numpy())


def test_amg_golden_exercises_every_filter(built):
    stages = golden_json(built, "amg")["stages"]
    g = golden(built, "amg")
    flat = g["iou_scores"].flatten()
    assert (g["keep_iou"] == 0).any() and (g["keep_stability"] == 0).any()
    assert set(stages["after_iou_and_stability"]) > set(stages["after_nms"]) > set(stages["after_min_area"])
    assert stages["after_min_area"] == g["candidate_index"].tolist()
    assert torch.equal(g["scores"], flat[g["candidate_index"]])
    assert (g["scores"][:-1] >= g["scores"][1:]).all(), "outputs are in NMS (descending score) order"
    assert torch.equal(g["areas"], g["masks"].flatten(1).sum(-1))
    assert (g["areas"] >= golden_json(built, "amg")["thresholds"]["min_mask_area"]).all()


def _postprocess_args(g):
    return g["pred_masks"], g["iou_scores"], g["sizes"], g["thresholds"]


def test_committed_amg_postprocess_reproduces_its_golden_exactly():
    """The scripted graph runs the reference's own torch kernels: equal, not close."""
    d = COMMITTED_TINY / "segmenter"
    g = golden(d, "amg_postprocess")
    with torch.no_grad():
        got = torch.jit.load(str(d / "amg_postprocess.pt"))(*_postprocess_args(g))
    names = ["candidate_index", "scores", "stability", "boxes", "areas", "masks"]
    for name, t in zip(names, got):
        assert torch.equal(t.long() if t.dtype == torch.bool else t, g[name]), name
    assert got[5].dtype == torch.bool
    assert g["candidate_index"].tolist() == golden_json(d, "amg")["stages"]["after_iou_and_stability"]


def test_amg_postprocess_chunks_and_empty_results_agree_with_reference(model):
    """More candidates than one chunk (40 points x 3), a chunk size that does not divide them, and
    thresholds that keep nothing: same outputs as amg.generate's filters."""
    with torch.no_grad():
        emb = segmenter.ImageEncoder(model)(torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(3)))
        pts = torch.rand(1, 40, 1, 2, generator=torch.Generator().manual_seed(4)) * 64
        pred, iou = segmenter.MaskDecoder(model)(emb, pts, torch.ones(1, 40, 1, dtype=torch.int64))
    t = {"pred_iou_thresh": float(iou.median()), "stability_score_thresh": 0.0, "stability_score_offset": 0.5,
         "mask_threshold": 0.1}
    sizes, thr = amg.postprocess_inputs([40, 56], [46, 64], [64, 64], **t)
    want = amg.generate(pred[0], iou[0], [40, 56], [46, 64], [64, 64], **t)
    cand = want["stages"]["after_iou_and_stability"]
    assert 16 < len([i for i in range(120) if want["keep_iou"][i]]) and len(cand) > 0
    for chunk in (7, 16, 200):
        got = torch.jit.script(amg.Postprocess(chunk))(pred, iou, sizes, thr)
        assert got[0].tolist() == cand
        assert torch.equal(got[2], want["stability_scores"][cand])
        up = amg.upscale(pred[0], [40, 56], [46, 64], [64, 64]).flatten(0, 1)[cand] > 0.1
        assert torch.equal(got[5], up) and torch.equal(got[4], up.flatten(1).sum(1))
        assert torch.equal(got[3], torch.stack([amg.mask_to_box(m) for m in up]).long())
    thr[0] = 2.0  # no predicted IoU is above 2
    empty = amg.Postprocess()(pred, iou, sizes, thr)
    assert [tuple(x.shape) for x in empty] == [(0,), (0,), (0,), (0, 4), (0,), (0, 40, 56)]


def test_nms_suppresses_overlaps_only():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30], [0, 0, 10, 10.0]])
    scores = torch.tensor([0.9, 0.95, 0.5, 0.9])
    # box 1 (best) suppresses 0 and 3 (IoU 0.81); box 2 does not overlap
    assert amg.nms(boxes, scores, 0.7) == [1, 2]
    assert amg.nms(boxes, scores, 0.9) == [1, 0, 2]  # 0 and 3 tie at 0.9: lower index first, 3 ~ 0


def test_export_checkpoint_directory(checkpoint, tmp_path, model):
    out = Path(segmenter.export(str(checkpoint), str(tmp_path)))
    m = manifest(out)
    assert m["tokenizer"] is None and m["source"]["tiny"] is False
    e = golden(COMMITTED_TINY / "segmenter", "image_embeddings")
    with torch.no_grad():
        assert max_diff(torch.jit.load(str(out / "image_encoder.pt"))(e["pixel_values"]),
                        segmenter.ImageEncoder(model)(e["pixel_values"])) <= FORWARD_ATOL


def test_pad_size_mismatch(checkpoint, tmp_path):
    d = copy_with_config(checkpoint, tmp_path / "ckpt", lambda c: c.update(pad_size={"height": 1024, "width": 1024}),
                         name="preprocessor_config.json")
    with pytest.raises(ExportError, match=r"preprocessor_config\.json: pad_size .*1024.*image_size 64"):
        segmenter.export(str(d), str(tmp_path / "out"))


def test_missing_checkpoint(tmp_path):
    with pytest.raises(ExportError, match=re.escape(str(tmp_path / "gone"))):
        segmenter.export(str(tmp_path / "gone"), str(tmp_path / "out"))


def test_non_safetensors_checkpoint(checkpoint, tmp_path):
    d = pickled_weights_checkpoint(checkpoint, tmp_path / "bin")
    with pytest.raises(ExportError, match=r"pytorch_model\.bin.*safetensors"):
        segmenter.export(str(d), str(tmp_path / "out"))


def test_wrong_architecture(checkpoint, tmp_path):
    d = copy_with_config(checkpoint, tmp_path / "arch", lambda c: c.update(architectures=["CLIPModel"]))
    with pytest.raises(ExportError, match=r"config\.json.*CLIPModel.*SamModel"):
        segmenter.export(str(d), str(tmp_path / "out"))


def test_files_are_device_agnostic(built):
    assert_device_agnostic(built)


@needs_cuda
def test_committed_files_run_on_cuda():
    d = COMMITTED_TINY / "segmenter"
    e, dec = golden(d, "image_embeddings"), golden(d, "decoder")
    assert max_diff(on_cuda(d / "image_encoder.pt", e["pixel_values"]), e["image_embeddings"]) <= 1e-4
    masks, iou = on_cuda(d / "mask_decoder.pt", dec["image_embeddings"], dec["input_points"], dec["input_labels"])
    assert max_diff(masks, dec["pred_masks"]) <= 1e-4 and max_diff(iou, dec["iou_scores"]) <= 1e-4
    g = golden(d, "amg_postprocess")
    got = on_cuda(d / "amg_postprocess.pt", *_postprocess_args(g))
    # CUDA's bilinear kernel rounds differently: the same candidates, masks within 1% IoU.
    assert torch.equal(got[0].cpu(), g["candidate_index"])
    for m, want in zip(got[5].cpu(), g["masks"].bool()):
        assert (m & want).sum() / (m | want).sum() >= 0.99


def test_goldens_are_not_vacuous():
    dec = golden(COMMITTED_TINY / "segmenter", "decoder")
    assert dec["pred_masks"].std() > 1e-2 and dec["iou_scores"].std() > 1e-2
    assert max_diff(dec["pred_masks"][0, 0], dec["pred_masks"][0, 1]) > 1e-2, "masks must depend on the point"
    assert 0 < dec["masks"].float().mean() < 1
