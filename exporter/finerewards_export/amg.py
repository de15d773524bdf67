"""Reference automatic-mask-generation post-processing for one image and one crop (the whole image).

Follows transformers 4.46.3's mask-generation pipeline (SamImageProcessor.post_process_masks,
filter_masks, post_process_for_mask_generation), which mirrors segment-anything's
SamAutomaticMaskGenerator with crop_n_layers=0:
1. upscale the low-res logits: bilinear (align_corners=False) to pad_size, crop to the reshaped
   input size, bilinear to the original size (no binarisation yet);
2. keep candidates with iou_score > pred_iou_thresh;
3. stability score = #(logits > mask_threshold + offset) / #(logits > mask_threshold - offset)
   (0 when the union is empty); keep candidates with stability > stability_score_thresh;
4. binarise at logits > mask_threshold; box = XYXY of the inclusive pixel extents ([0,0,0,0] if
   empty); the crop-edge filter is a no-op for a single full-image crop;
5. greedy NMS: sort by iou_score descending (stable: ties keep the lower candidate index first),
   drop a box whose IoU with a kept box is > box_nms_thresh; box IoU uses areas
   (x1 - x0) * (y1 - y0) as torchvision.ops.box_iou does on these inclusive boxes;
6. drop masks with fewer than min_mask_area pixels (a FineRewards addition; segment-anything's
   min_mask_region_area instead removes small islands and holes and defaults to 0, i.e. off).
Comparisons are strict (">") as in transformers; segment-anything uses ">=" for stability.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

DEFAULTS = {
    "points_per_side": 32,
    "pred_iou_thresh": 0.88,
    "stability_score_thresh": 0.95,
    "stability_score_offset": 1.0,
    "mask_threshold": 0.0,
    "box_nms_thresh": 0.7,
    "min_mask_area": 0,
}


def upscale(pred_masks: torch.Tensor, original_size, reshaped_input_size, pad_size) -> torch.Tensor:
    """[N, 3, h, w] low-res logits -> [N, 3, H, W] logits at the original size."""
    x = F.interpolate(pred_masks, tuple(pad_size), mode="bilinear", align_corners=False)
    x = x[..., : reshaped_input_size[0], : reshaped_input_size[1]]
    return F.interpolate(x, tuple(original_size), mode="bilinear", align_corners=False)


def stability_scores(logits: torch.Tensor, mask_threshold: float, offset: float) -> torch.Tensor:
    inter = (logits > mask_threshold + offset).flatten(-2).sum(-1).double()
    union = (logits > mask_threshold - offset).flatten(-2).sum(-1).double()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(union)).float()


def mask_to_box(mask: torch.Tensor) -> torch.Tensor:
    ys, xs = torch.nonzero(mask, as_tuple=True)
    if ys.numel() == 0:
        return torch.zeros(4)
    return torch.tensor([xs.min(), ys.min(), xs.max(), ys.max()], dtype=torch.float32)


def box_iou(a: torch.Tensor, b: torch.Tensor) -> float:
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    w = (torch.minimum(a[2], b[2]) - torch.maximum(a[0], b[0])).clamp(min=0)
    h = (torch.minimum(a[3], b[3]) - torch.maximum(a[1], b[1])).clamp(min=0)
    inter = w * h
    union = area_a + area_b - inter
    return float(inter / union) if union > 0 else 0.0


def nms(boxes: torch.Tensor, scores: torch.Tensor, threshold: float) -> list[int]:
    order = sorted(range(len(scores)), key=lambda i: -float(scores[i]))  # sorted() is stable
    kept: list[int] = []
    for i in order:
        if all(box_iou(boxes[i], boxes[j]) <= threshold for j in kept):
            kept.append(i)
    return kept


def generate(pred_masks, iou_scores, original_size, reshaped_input_size, pad_size,
             pred_iou_thresh=DEFAULTS["pred_iou_thresh"], stability_score_thresh=DEFAULTS["stability_score_thresh"],
             stability_score_offset=DEFAULTS["stability_score_offset"], mask_threshold=DEFAULTS["mask_threshold"],
             box_nms_thresh=DEFAULTS["box_nms_thresh"], min_mask_area=DEFAULTS["min_mask_area"]) -> dict:
    """Masks for one image from decoder outputs ``pred_masks`` [P, 3, h, w] and ``iou_scores`` [P, 3]."""
    logits = upscale(pred_masks.float(), original_size, reshaped_input_size, pad_size).flatten(0, 1)
    scores = iou_scores.float().flatten()
    stab = stability_scores(logits, mask_threshold, stability_score_offset)
    keep_iou = scores > pred_iou_thresh
    keep_stab = stab > stability_score_thresh
    cand = [i for i in range(len(scores)) if keep_iou[i] and keep_stab[i]]
    binary = logits > mask_threshold
    boxes = torch.stack([mask_to_box(binary[i]) for i in cand]) if cand else torch.zeros(0, 4)
    after_nms = [cand[k] for k in nms(boxes, scores[cand], box_nms_thresh)] if cand else []
    areas = {i: int(binary[i].sum()) for i in after_nms}
    final = [i for i in after_nms if areas[i] >= min_mask_area]
    h, w = original_size
    return {
        "stability_scores": stab,
        "keep_iou": keep_iou,
        "keep_stability": keep_stab,
        "candidate_index": torch.tensor(final, dtype=torch.int64),
        "masks": binary[final] if final else torch.zeros(0, h, w, dtype=torch.bool),
        "scores": scores[final] if final else torch.zeros(0),
        "boxes": torch.stack([mask_to_box(binary[i]) for i in final]) if final else torch.zeros(0, 4),
        "areas": torch.tensor([areas[i] for i in final], dtype=torch.int64),
        "stages": {"after_iou_and_stability": cand, "after_nms": after_nms, "after_min_area": final},
    }


def _blob(h: int, w: int, cx: float, cy: float, r: float, slope: float) -> torch.Tensor:
    """Logits slope * (r - distance to (cx, cy)) on an h x w low-res grid: a disk of radius r."""
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32),
                            indexing="ij")
    return slope * (r - torch.sqrt((xs - cx) ** 2 + (ys - cy) ** 2))


def synthetic_case() -> dict:
    """Decoder outputs for 4 points x 3 masks designed so every stage removes something.

    Steep blobs (slope 40) are stable, a shallow one (slope 0.5) is not; a near-copy of a kept
    blob with a lower score is removed by NMS; a radius-1 blob is below min_mask_area; one
    candidate has a low iou_score; one is empty (stability 0).
    """
    h = w = 32
    blob = lambda cx, cy, r, s: _blob(h, w, cx, cy, r, s)  # noqa: E731
    masks = [
        [blob(10, 12, 6, 40), blob(10, 12, 6.3, 40), blob(10, 12, 9, 0.5)],
        [blob(24, 14, 5, 40), blob(24, 14, 5, 40) + 0.5, torch.full((h, w), -10.0)],
        [blob(20, 5, 1.0, 40), blob(13, 12, 10, 40), blob(28, 20, 3, 40)],
        [40 * (6.0 - torch.arange(w, dtype=torch.float32)).expand(h, w).clone(),
         40 * (6.4 - torch.arange(w, dtype=torch.float32)).expand(h, w).clone(), torch.full((h, w), -5.0)],
    ]
    ious = [[0.95, 0.93, 0.97], [0.80, 0.91, 0.99], [0.92, 0.90, 0.50], [0.89, 0.885, 0.20]]
    return {
        "pred_masks": torch.stack([torch.stack(m) for m in masks]),
        "iou_scores": torch.tensor(ious),
        "original_size": [40, 56],
        "reshaped_input_size": [46, 64],
        "pad_size": [64, 64],
        "thresholds": {"pred_iou_thresh": 0.88, "stability_score_thresh": 0.95, "stability_score_offset": 1.0,
                       "mask_threshold": 0.0, "box_nms_thresh": 0.7, "min_mask_area": 20},
    }


# --- The same steps as a TorchScript graph, run where the model runs (issue 15) ---------------------

POSTPROCESS_CHUNK = 16
"""Candidates upscaled at once inside the graph: bounds its memory to 16 x pad_size floats (64 MB for
SAM's 1024x1024 pad) whatever points_per_batch is; the bilinear kernel computes each output pixel
alone, so chunking does not change a value."""


class Postprocess(torch.nn.Module):
    """Steps 1-4 of this module's recipe for one decoder pass, on the decoder's device.

    Inputs: ``pred_masks`` [1, P, 3, h, w] and ``iou_scores`` [1, P, 3] as the mask decoder returns
    them; ``sizes`` int64 [6] = (pad_h, pad_w, reshaped_h, reshaped_w, original_h, original_w);
    ``thresholds`` float32 [5] = (pred_iou_thresh, stability_score_thresh, mask_threshold + offset,
    mask_threshold - offset, mask_threshold), each rounded to float32 once by the caller, as torch
    rounds a Python scalar compared with a float32 tensor.
    Outputs, for the K candidates passing the IoU and stability filters, in candidate order (P*3,
    point-major): ``candidate_index`` int64 [K], ``scores`` [K], ``stability`` [K], ``boxes`` int64
    [K, 4] (inclusive XYXY, zeros when empty), ``areas`` int64 [K], ``masks`` bool [K, H, W].
    Only IoU-kept candidates are upscaled (the reference upscales all; the kept ones are identical),
    and NMS stays with the caller: it runs over every pass of the image, on K boxes only.
    """

    def __init__(self, chunk: int = POSTPROCESS_CHUNK):
        super().__init__()
        self.chunk = chunk

    def forward(self, pred_masks: torch.Tensor, iou_scores: torch.Tensor, sizes: torch.Tensor,
                thresholds: torch.Tensor):
        low = pred_masks.flatten(0, 2).float()
        scores = iou_scores.flatten().float()
        pad_h, pad_w = int(sizes[0]), int(sizes[1])
        rh, rw = int(sizes[2]), int(sizes[3])
        oh, ow = int(sizes[4]), int(sizes[5])
        dev = low.device
        keep_iou = torch.nonzero(scores > thresholds[0]).flatten()
        ys = torch.arange(oh, device=dev)
        xs = torch.arange(ow, device=dev)
        idx_out = [torch.zeros(0, dtype=torch.int64, device=dev)]
        stab_out = [torch.zeros(0, device=dev)]
        mask_out = [torch.zeros(0, oh, ow, dtype=torch.bool, device=dev)]
        for start in range(0, keep_iou.numel(), self.chunk):
            sel = keep_iou[start:start + self.chunk]
            x = F.interpolate(low.index_select(0, sel).unsqueeze(1), size=[pad_h, pad_w], mode="bilinear",
                              align_corners=False)
            x = F.interpolate(x[:, :, :rh, :rw], size=[oh, ow], mode="bilinear", align_corners=False).squeeze(1)
            inter = (x > thresholds[2]).flatten(1).sum(1).double()
            union = (x > thresholds[3]).flatten(1).sum(1).double()
            stab = torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(union)).float()
            ok = torch.nonzero(stab > thresholds[1]).flatten()
            idx_out.append(sel.index_select(0, ok))
            stab_out.append(stab.index_select(0, ok))
            mask_out.append(x.index_select(0, ok) > thresholds[4])
        index = torch.cat(idx_out)
        masks = torch.cat(mask_out)
        rows = masks.any(2)
        cols = masks.any(1)
        none = torch.full_like(ys, -1)
        # First and last row/column holding a pixel; an empty mask gives (oh, -1), zeroed below.
        y0 = torch.where(rows, ys, torch.full_like(ys, oh)).min(1)[0] if index.numel() > 0 else index
        y1 = torch.where(rows, ys, none).max(1)[0] if index.numel() > 0 else index
        x0 = torch.where(cols, xs, torch.full_like(xs, ow)).min(1)[0] if index.numel() > 0 else index
        x1 = torch.where(cols, xs, torch.full_like(xs, -1)).max(1)[0] if index.numel() > 0 else index
        areas = masks.flatten(1).sum(1)
        boxes = torch.stack([x0, y0, x1, y1], 1) * (areas > 0).long().unsqueeze(1)
        return index, scores.index_select(0, index), torch.cat(stab_out), boxes, areas, masks


def script_postprocess(path: str) -> torch.jit.ScriptModule:
    """``Postprocess`` scripted (its loop and sizes depend on the inputs, so it cannot be traced),
    saved, and loaded back. It holds no tensors, so the file runs on any device."""
    scripted = torch.jit.script(Postprocess().eval())
    torch.jit.save(scripted, path)
    return torch.jit.load(path)


def postprocess_inputs(original_size, reshaped_input_size, pad_size, pred_iou_thresh, stability_score_thresh,
                       stability_score_offset, mask_threshold, **_unused):
    """The ``sizes`` and ``thresholds`` inputs of ``Postprocess`` for ``generate``'s arguments."""
    sizes = torch.tensor([*pad_size, *reshaped_input_size, *original_size], dtype=torch.int64)
    thresholds = torch.tensor([pred_iou_thresh, stability_score_thresh, mask_threshold + stability_score_offset,
                               mask_threshold - stability_score_offset, mask_threshold], dtype=torch.float32)
    return sizes, thresholds
