"""Segmenter (``SamModel``, reference facebook/sam-vit-huge): image encoder and prompt encoder + mask decoder.

Output ``<out>/segmenter/``: ``image_encoder.pt``, ``mask_decoder.pt``, ``amg_postprocess.pt`` (the automatic
mask generator's upscaling, filters, binarisation and boxes, run on the model's device), ``manifest.json`` (SamProcessor
pre-processing, point transform, mask post-processing and automatic-mask-generation thresholds) and
for the tiny model ``golden/``. SAM has no tokenizer (manifest ``tokenizer`` is null).
"""

from __future__ import annotations

import contextlib
import json
import os

import numpy as np
import torch
from torch import nn

from . import _hf_util as U
from . import amg
from .errors import ExportError
from .manifest import ComponentSpec, Manifest, write_manifest

FAMILY = "segmenter"
AMG_POSTPROCESS = "amg_postprocess"
ARCHITECTURES = ("SamModel",)


class ImageEncoder(nn.Module):
    """pixel_values [B, 3, S, S] -> image_embeddings [B, C, S/16, S/16] (ViT + neck)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return self.model.get_image_embeddings(pixel_values)


class MaskDecoder(nn.Module):
    """(image_embeddings, input_points [B, P, 1, 2], input_labels [B, P, 1]) -> (pred_masks, iou_scores).

    Each of the P points is its own prompt (as the automatic mask generator uses them); SAM's prompt
    encoder appends its padding point itself. multimask_output is fixed to True: 3 masks per point.
    """

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image_embeddings, input_points, input_labels):
        with _repeat_interleave_by_expand():
            out = self.model(image_embeddings=image_embeddings, input_points=input_points, input_labels=input_labels,
                             multimask_output=True)
        return out[1], out[0]  # SamImageSegmentationOutput order is (iou_scores, pred_masks, ...)


@contextlib.contextmanager
def _repeat_interleave_by_expand():
    """transformers' SamMaskDecoder calls ``x.repeat_interleave(point_batch_size, 0)`` with a shape
    value the tracer holds as a CPU tensor (``prim::NumToTensor``); the traced file then fails on
    CUDA ("index is on cpu ... index_select"). The same values through unsqueeze/expand/reshape keep
    the size an int in the graph, so the file runs on any device."""
    original = torch.Tensor.repeat_interleave

    def by_expand(self, repeats, dim=None, *, output_size=None):
        # While tracing, a shape value is a 0-dim tensor, not an int.
        count = isinstance(repeats, int) or (torch.is_tensor(repeats) and repeats.dim() == 0)
        if count and dim == 0 and output_size is None and self.dim() >= 1:
            rest = self.shape[1:]
            return self.unsqueeze(1).expand(self.shape[0], repeats, *rest).reshape(-1, *rest)
        return original(self, repeats, dim, output_size=output_size)

    torch.Tensor.repeat_interleave = by_expand
    try:
        yield
    finally:
        torch.Tensor.repeat_interleave = original


def _resample_name(resample) -> str:
    return {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}.get(int(resample),
                                                                                                 str(resample))


def _preprocessing(proc) -> dict:
    return {
        "image": {
            "processor": "SamImageProcessor (transformers 4.46.3)",
            "steps": [
                "convert to RGB uint8, HWC",
                "resize so the longest side is resize.longest_edge: scale = longest_edge / max(h, w), "
                "new_h = int(h * scale + 0.5), new_w = int(w * scale + 0.5); PIL.Image.resize with the resample "
                "filter on uint8, result uint8; (new_h, new_w) is the reshaped_input_size",
                "rescale: float64(x) * rescale_factor, then cast to float32",
                "normalize per channel in float32: (x - image_mean[c]) / image_std[c]",
                "pad bottom and right with 0.0 (after normalisation) to pad_size.height x pad_size.width",
                "transpose to CHW; batch as [B, 3, pad_height, pad_width] float32",
            ],
            "do_resize": bool(proc.do_resize),
            "resize": {"longest_edge": int(proc.size["longest_edge"]), "resample": _resample_name(proc.resample)},
            "do_rescale": bool(proc.do_rescale),
            "rescale_factor": float(proc.rescale_factor),
            "do_normalize": bool(proc.do_normalize),
            "image_mean": [float(x) for x in proc.image_mean],
            "image_std": [float(x) for x in proc.image_std],
            "do_pad": bool(proc.do_pad),
            "pad_size": {"height": int(proc.pad_size["height"]), "width": int(proc.pad_size["width"])},
        },
        "points": {
            "layout": "input_points [B, P, 1, 2] float32 as (x, y) in the resized image's pixel frame; "
                      "input_labels [B, P, 1] int64, 1 = foreground, 0 = background",
            "transform": "x' = x * new_w / w, y' = y * new_h / h for a point (x, y) in original pixels, with "
                         "(new_h, new_w) the reshaped_input_size above (SamProcessor._normalize_coordinates)",
        },
    }


def _postprocessing(model, proc) -> dict:
    emb = model.config.prompt_encoder_config.image_size // model.config.prompt_encoder_config.patch_size
    return {
        "masks": {
            "low_res_mask_size": [4 * emb, 4 * emb],
            "mask_threshold": 0.0,
            "steps": [
                "bilinear (align_corners=False, no antialias) upscale of the low-res logits to pad_size",
                "crop to [:reshaped_h, :reshaped_w]",
                "bilinear (align_corners=False) resize to the original (h, w)",
                "binary mask = logits > mask_threshold (SamImageProcessor.post_process_masks)",
            ],
        },
        "automatic_mask_generation": amg.DEFAULTS | {
            "point_grid": "points_per_side^2 prompts, one point each, label 1: x = (i + 0.5) / n * w, "
                          "y = (j + 0.5) / n * h in original pixels (row-major over j, then i), then the point "
                          "transform of preprocessing.points",
            "doc": amg.__doc__.strip(),
        },
    }


def _components(model, dtype: str) -> dict[str, ComponentSpec]:
    cfg = model.config
    s = cfg.vision_config.image_size
    emb = cfg.prompt_encoder_config.image_size // cfg.prompt_encoder_config.patch_size
    c = cfg.vision_config.output_channels
    return {
        "image_encoder": ComponentSpec(
            file="image_encoder.pt",
            inputs=[U.tensor_spec("pixel_values", [-1, 3, s, s], dtype)],
            outputs=[U.tensor_spec("image_embeddings", [-1, c, emb, emb], dtype)],
            doc="Preprocessed, padded pixels to image embeddings (run once per image).",
        ),
        "mask_decoder": ComponentSpec(
            file="mask_decoder.pt",
            inputs=[U.tensor_spec("image_embeddings", [-1, c, emb, emb], dtype),
                    U.tensor_spec("input_points", [-1, -1, 1, 2], dtype),
                    U.tensor_spec("input_labels", [-1, -1, 1], "int64")],
            outputs=[U.tensor_spec("pred_masks", [-1, -1, 3, 4 * emb, 4 * emb], dtype),
                     U.tensor_spec("iou_scores", [-1, -1, 3], dtype)],
            doc="One prompt per point, 3 masks per prompt (multimask_output=True): low-resolution mask logits "
                "and predicted IoU. Points are in the resized frame (see preprocessing.points).",
        ),
        AMG_POSTPROCESS: ComponentSpec(
            file="amg_postprocess.pt",
            inputs=[U.tensor_spec("pred_masks", [1, -1, 3, 4 * emb, 4 * emb], dtype),
                    U.tensor_spec("iou_scores", [1, -1, 3], dtype),
                    U.tensor_spec("sizes", [6], "int64"),
                    U.tensor_spec("thresholds", [5], "float32")],
            outputs=[U.tensor_spec("candidate_index", [-1], "int64"),
                     U.tensor_spec("scores", [-1], "float32"),
                     U.tensor_spec("stability", [-1], "float32"),
                     U.tensor_spec("boxes", [-1, 4], "int64"),
                     U.tensor_spec("areas", [-1], "int64"),
                     U.tensor_spec("masks", [-1, -1, -1], "bool")],
            doc=" ".join(amg.Postprocess.__doc__.split()),
        ),
    }


def _trace(model, out_dir: str, atol: float, dtype: torch.dtype):
    cfg = model.config
    s = cfg.vision_config.image_size
    g = U.seeded(11)
    dev = next(model.parameters()).device
    pix = torch.randn(1, 3, s, s, generator=g).to(dtype)
    enc = U.trace_and_verify(ImageEncoder(model), (pix,), os.path.join(out_dir, "image_encoder.pt"),
                             [(torch.randn(2, 3, s, s, generator=g).to(dtype),)], atol)
    with torch.no_grad():
        emb = enc(pix.to(dev))
        emb2 = enc(torch.randn(2, 3, s, s, generator=g).to(device=dev, dtype=dtype))
    pts = (torch.rand(1, 4, 1, 2, generator=g) * s).to(dtype)
    labels = torch.ones(1, 4, 1, dtype=torch.int64)
    pts2 = (torch.rand(2, 7, 1, 2, generator=g) * s).to(dtype)
    labels2 = torch.randint(0, 2, (2, 7, 1), generator=g)
    dec = U.trace_and_verify(MaskDecoder(model), (emb, pts, labels), os.path.join(out_dir, "mask_decoder.pt"),
                             [(emb2, pts2, labels2)], atol)
    post = _script_postprocess(out_dir, dec, emb, pts, labels)
    return enc, dec, post


def _script_postprocess(out_dir, dec, emb, pts, labels):
    """Script ``amg.Postprocess`` and check it against ``amg.generate``'s filters on this model's own
    decoder output (loosened thresholds, so candidates survive) and on the synthetic case. The check
    runs the saved file on the CPU whatever ``dev`` is (it holds no tensors, so it is the same graph
    everywhere): there it runs the reference's own torch kernels, so candidates, stability scores,
    masks and boxes must be equal, not close; a GPU's bilinear kernel rounds otherwise."""
    path = os.path.join(out_dir, "amg_postprocess.pt")
    amg.script_postprocess(path)
    post = torch.jit.load(path, map_location="cpu")
    with torch.no_grad():
        pred_masks, iou = dec(emb, pts, labels)
    s = pred_masks.shape[-1] * 4  # a pad size as SamImageProcessor's: 4x the low-res side
    own = {"pred_masks": pred_masks[0].cpu(), "iou_scores": iou[0].cpu(), "original_size": [s // 2, s // 2 + 3],
           "reshaped_input_size": [s - 5, s], "pad_size": [s, s],
           "thresholds": {"pred_iou_thresh": -1e9, "stability_score_thresh": 0.0, "stability_score_offset": 1.0,
                          "mask_threshold": 0.0}}
    for case in (amg.synthetic_case(), own):
        _check_postprocess(post, case)
    return post


def _check_postprocess(post, case):
    t = case["thresholds"]
    want = amg.generate(case["pred_masks"], case["iou_scores"], case["original_size"], case["reshaped_input_size"],
                        case["pad_size"], **{k: v for k, v in t.items() if k != "box_nms_thresh" and
                                             k != "min_mask_area"})
    sizes, thr = amg.postprocess_inputs(case["original_size"], case["reshaped_input_size"], case["pad_size"], **t)
    with torch.no_grad():
        got = list(post(case["pred_masks"].unsqueeze(0), case["iou_scores"].unsqueeze(0), sizes, thr))
    cand = want["stages"]["after_iou_and_stability"]
    binary = amg.upscale(case["pred_masks"].float(), case["original_size"], case["reshaped_input_size"],
                         case["pad_size"]).flatten(0, 1) > t["mask_threshold"]
    boxes = torch.stack([amg.mask_to_box(binary[i]) for i in cand]).long() if cand else torch.zeros(0, 4).long()
    if got[0].tolist() != cand or not torch.equal(got[2], want["stability_scores"][cand]) or \
            not torch.equal(got[5], binary[cand]) or not torch.equal(got[3], boxes):
        raise ExportError(f"amg_postprocess.pt differs from amg.generate: candidates {got[0].tolist()} vs {cand}")


def _write_manifest(model, proc, out_dir, dtype, source):
    manifest = Manifest(
        family=FAMILY,
        architecture="SamModel",
        dtype=dtype,
        components=_components(model, dtype),
        config=json.loads(model.config.to_json_string(use_diff=False)),
        preprocessing=_preprocessing(proc),
        tokenizer=None,
        source=source,
        extra={"postprocessing": _postprocessing(model, proc)},
    )
    write_manifest(out_dir, manifest)


def export(checkpoint: str, out: str, dtype: str = "float32", trust_remote_code: bool = False, device: str = "cpu",
           **_opts) -> str:
    """Export a SamModel checkpoint (safetensors) to ``<out>/segmenter``."""
    from transformers import SamImageProcessor, SamModel

    U.check_checkpoint(checkpoint, ARCHITECTURES)
    torch_dt = U.torch_dtype(dtype)
    dev = U.resolve_device(device)
    out_dir = os.path.join(out, FAMILY)
    os.makedirs(out_dir, exist_ok=True)
    model = U.load_pretrained(SamModel, checkpoint, torch_dt, trust_remote_code).to(dev)
    if os.path.isfile(os.path.join(checkpoint, "preprocessor_config.json")):
        proc = SamImageProcessor.from_pretrained(checkpoint)
    else:
        proc = _processor_for(model)
    if proc.pad_size["height"] != model.config.vision_config.image_size:
        raise ExportError(f"{checkpoint}/preprocessor_config.json: pad_size {proc.pad_size} does not match the "
                          f"vision encoder's image_size {model.config.vision_config.image_size}")
    _trace(model, out_dir, 1e-4 if torch_dt == torch.float32 else 5e-2, torch_dt)
    source = {"checkpoint": os.path.abspath(checkpoint), "weights_sha256": U.weights_sha256(model.state_dict()),
              "tiny": False, "traced_on": str(device)}
    _write_manifest(model, proc, out_dir, dtype, source)
    return out_dir


def _processor_for(model):
    from transformers import SamImageProcessor

    s = model.config.vision_config.image_size
    low = 4 * (model.config.prompt_encoder_config.image_size // model.config.prompt_encoder_config.patch_size)
    return SamImageProcessor(size={"longest_edge": s}, pad_size={"height": s, "width": s},
                             mask_size={"longest_edge": low}, mask_pad_size={"height": low, "width": low})


TINY_SEED = 0
TINY_IMAGE = 64
TINY_PATCH = 8


def tiny_model():
    """Tiny random SamModel: 64x64 input, 8x8 embeddings of 16 channels, 32x32 low-res masks.

    Window size 3 does not divide the 8x8 grid, so the window padding path runs as it does for
    sam-vit-huge (64x64 grid, window 14)."""
    from transformers import SamConfig, SamModel

    cfg = SamConfig(
        vision_config=dict(hidden_size=32, output_channels=16, num_hidden_layers=2, num_attention_heads=4,
                           image_size=TINY_IMAGE, patch_size=TINY_PATCH, window_size=3, global_attn_indexes=[1],
                           num_pos_feats=8, mlp_dim=64),
        prompt_encoder_config=dict(hidden_size=16, image_size=TINY_IMAGE, patch_size=TINY_PATCH,
                                   mask_input_channels=4),
        mask_decoder_config=dict(hidden_size=16, mlp_dim=32, num_hidden_layers=2, num_attention_heads=2,
                                 iou_head_depth=3, iou_head_hidden_dim=16),
        # SAM's default std 0.02 makes a 16-wide decoder output ~1e-6 logits, too small for a parity
        # test to mean anything; 0.35 gives O(1) mask logits and IoU predictions that depend on the point
        initializer_range=0.35,
        torchscript=True,
    )
    torch.manual_seed(TINY_SEED)
    return SamModel(cfg).eval()


def build_tiny(out: str) -> str:
    out_dir = os.path.join(out, FAMILY)
    os.makedirs(out_dir, exist_ok=True)
    model = tiny_model()
    proc = _processor_for(model)
    enc, dec, _post = _trace(model, out_dir, 1e-5, torch.float32)
    source = {"checkpoint": None, "weights_sha256": U.weights_sha256(model.state_dict()), "tiny": True,
              "traced_on": "cpu",
              "seed": TINY_SEED}
    _write_manifest(model, proc, out_dir, "float32", source)
    write_goldens(model, proc, os.path.join(out_dir, "golden"), enc, dec)
    return out_dir


GOLDEN_IMAGE_HW = (40, 56)
GOLDEN_POINTS = [[10.0, 12.0], [30.5, 20.0], [50.0, 35.0]]  # (x, y) in original pixels
GOLDEN_LABELS = [1, 1, 0]


def write_goldens(model, proc, golden_dir, enc, dec):
    gw = U.GoldenWriter(golden_dir, "Segmenter (tiny SAM) golden data",
                        "Computed with transformers 4.46.3 SamModel / SamImageProcessor (eager, float32).")
    from transformers import SamProcessor

    raw = U.fixed_rgb_image(*GOLDEN_IMAGE_HW, seed=5)
    inputs = SamProcessor(proc)(images=raw, input_points=[[[p] for p in GOLDEN_POINTS]], input_labels=[[[lab] for lab in
                  GOLDEN_LABELS]], return_tensors="pt")
    pix = inputs["pixel_values"]
    orig = [int(x) for x in inputs["original_sizes"][0]]
    reshaped = [int(x) for x in inputs["reshaped_input_sizes"][0]]
    points = inputs["input_points"].float()  # [1, P, 1, 2] in the resized frame
    labels = inputs["input_labels"].long()
    with torch.no_grad():
        emb = ImageEncoder(model)(pix)
        pred_masks, iou = MaskDecoder(model)(emb, points, labels)
        for name, got, want in (("image_encoder", enc(pix), emb), ("mask_decoder", dec(emb, points, labels)[0],
                                                                   pred_masks)):
            d = U.max_abs_diff(got, want)
            if d > 1e-5:
                raise ExportError(f"{name}.pt differs from eager by {d:.3g} on the golden inputs")
    upscaled = proc.post_process_masks(pred_masks, [orig], [reshaped], binarize=False)[0]
    binary = proc.post_process_masks(pred_masks, [orig], [reshaped], mask_threshold=0.0, binarize=True)[0]
    sizes = {"original_size": orig, "reshaped_input_size": reshaped}
    sizes_doc = {"original_size": "(h, w) of the raw image", "reshaped_input_size": "(h, w) after the resize"}
    gw.case("preprocess", f"SamImageProcessor on a fixed {orig[0]}x{orig[1]} RGB uint8 image.",
            {"image_uint8": (torch.from_numpy(raw.astype(np.int64)), "raw image, HWC RGB, values 0..255"),
             "pixel_values": (pix, "processor output, resized, normalised, zero-padded; compare to 1e-6")},
            sizes, sizes_doc)
    gw.case("image_embeddings", "image_encoder.pt on the `preprocess` pixel_values.",
            {"pixel_values": (pix, "input (same as preprocess)"),
             "image_embeddings": (emb, "output")})
    gw.case("decoder", "mask_decoder.pt on the `image_embeddings` output and fixed points, then "
            "SamImageProcessor.post_process_masks.",
            {"input_points_original": (torch.tensor(GOLDEN_POINTS).view(1, -1, 1, 2), "(x, y) in original pixels"),
             "input_points": (points, "after the point transform (resized frame): mask_decoder input"),
             "input_labels": (labels, "mask_decoder input"),
             "image_embeddings": (emb, "mask_decoder input"),
             "pred_masks": (pred_masks, "low-res mask logits [B, P, 3, h, w]"),
             "iou_scores": (iou, "predicted IoU [B, P, 3]"),
             "upscaled_logits": (upscaled, "post_process_masks(binarize=False): logits at the original size"),
             "masks": (binary.long(), "post_process_masks with mask_threshold 0.0: 1 = inside")},
            sizes, sizes_doc)
    case = amg.synthetic_case()
    result = amg.generate(case["pred_masks"], case["iou_scores"], case["original_size"],
                          case["reshaped_input_size"], case["pad_size"], **case["thresholds"])
    gw.case("amg", "Automatic-mask-generation post-processing (finerewards_export.amg, single crop) on synthetic "
            "decoder outputs built to hit every filter: see amg.synthetic_case.",
            {"pred_masks": (case["pred_masks"], "decoder low-res logits [P, 3, h, w] (one image)"),
             "iou_scores": (case["iou_scores"], "decoder IoU predictions [P, 3]"),
             "stability_scores": (result["stability_scores"], "per candidate (P*3, row-major), offset 1.0"),
             "keep_iou": (result["keep_iou"].long(), "1 if iou_score > pred_iou_thresh"),
             "keep_stability": (result["keep_stability"].long(), "1 if stability > stability_score_thresh"),
             "masks": (result["masks"].long(), "final masks [K, H, W] at the original size, in output order"),
             "scores": (result["scores"], "their iou_scores"),
             "boxes": (result["boxes"], "their XYXY boxes (inclusive pixel indices, as float)"),
             "areas": (result["areas"], "their pixel areas"),
             "candidate_index": (result["candidate_index"], "index of each output in the P*3 candidates")},
            {"original_size": case["original_size"], "reshaped_input_size": case["reshaped_input_size"],
             "pad_size": case["pad_size"], "thresholds": case["thresholds"],
             "stages": result["stages"]},
            {"thresholds": "arguments to amg.generate", "stages": "candidate indices surviving each stage",
             **sizes_doc, "pad_size": "(h, w) the low-res masks are first upscaled to"})
    sizes_t, thr_t = amg.postprocess_inputs(case["original_size"], case["reshaped_input_size"], case["pad_size"],
                                            **case["thresholds"])
    cand = result["stages"]["after_iou_and_stability"]
    binary = amg.upscale(case["pred_masks"], case["original_size"], case["reshaped_input_size"],
                         case["pad_size"]).flatten(0, 1) > case["thresholds"]["mask_threshold"]
    gw.case(AMG_POSTPROCESS, "The `amg` case's first stages (upscale, IoU and stability filters, binarise, box, "
            "area) as amg.generate computes them, laid out as amg_postprocess.pt's signature.",
            {"pred_masks": (case["pred_masks"].unsqueeze(0), "input: the amg case's logits [1, P, 3, h, w]"),
             "iou_scores": (case["iou_scores"].unsqueeze(0), "input [1, P, 3]"),
             "sizes": (sizes_t, "input: pad (h, w), reshaped (h, w), original (h, w)"),
             "thresholds": (thr_t, "input: iou, stability, mask + offset, mask - offset, mask thresholds"),
             "candidate_index": (torch.tensor(cand, dtype=torch.int64), "after_iou_and_stability of the amg case"),
             "scores": (case["iou_scores"].flatten()[cand], "their iou_scores"),
             "stability": (result["stability_scores"][cand], "their stability scores"),
             "boxes": (torch.stack([amg.mask_to_box(binary[i]) for i in cand]).long(), "inclusive XYXY boxes"),
             "areas": (binary[cand].flatten(1).sum(1), "pixel areas"),
             "masks": (binary[cand].long(), "binary masks [K, H, W] at the original size (the graph returns bool)")})
    gw.finish()
