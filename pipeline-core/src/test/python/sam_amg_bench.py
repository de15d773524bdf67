"""Reference side of SamAmgBenchmarkTest: export a random-weight SAM ViT-B and time transformers' AMG.

Writes into OUT: ``segmenter/`` (the exporter's model directory, with amg_postprocess.pt), the test
images ``image_<i>.png`` (side x side RGB) and ``reference.json`` (seconds and mask count per image
of ``pipeline("mask-generation")`` on the same eager model, one intra-op thread, one run).

SamConfig()'s defaults are the ViT-B image encoder (768 wide, 12 layers, global attention at 2, 5,
8, 11, 1024x1024 input) with SAM's prompt encoder and mask decoder; the weights are random (seed 0).
Run with the exporter's environment (bin/python-env), exporter/ on PYTHONPATH, and torchvision
importable (transformers' mask-generation post-processing calls torchvision's batched_nms).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--side", type=int, default=512)
    p.add_argument("--images", type=int, default=2)
    p.add_argument("--points-per-side", type=int, default=32)
    p.add_argument("--points-per-batch", type=int, default=64)
    p.add_argument("--pred-iou-thresh", type=float, default=0.0)
    p.add_argument("--stability-score-thresh", type=float, default=0.95)
    p.add_argument("--stability-score-offset", type=float, default=1.0)
    p.add_argument("--box-nms-thresh", type=float, default=0.7)
    p.add_argument("--model", choices=("vit-b", "small"), default="vit-b",
                   help="small: a 2-layer 96-wide encoder at 256x256 input, to check the bench itself quickly")
    a = p.parse_args()

    import torchvision  # noqa: F401  (fail here, before minutes of export, if it is missing)
    from PIL import Image
    from transformers import SamConfig, SamModel, pipeline

    from finerewards_export import segmenter
    from finerewards_export import _hf_util as U
    from finerewards_export.manifest import record_file_hashes

    # The export may use every core; the timed part below runs on one intra-op thread, as Java.
    torch.set_num_threads(os.cpu_count() or 1)
    t0 = time.perf_counter()
    torch.manual_seed(0)
    model = SamModel(SamConfig() if a.model == "vit-b" else _small_config()).eval()
    ckpt = os.path.join(a.out, "checkpoint")
    model.save_pretrained(ckpt, safe_serialization=True)
    proc = segmenter._processor_for(model)
    proc.save_pretrained(ckpt)
    record_file_hashes(segmenter.export(ckpt, a.out))
    export_s = time.perf_counter() - t0

    torch.set_num_threads(1)
    pipe = pipeline("mask-generation", model=model, image_processor=proc, framework="pt", device="cpu")
    images = []
    for i in range(a.images):
        path = os.path.join(a.out, f"image_{i}.png")
        Image.fromarray(U.fixed_rgb_image(a.side, a.side, seed=100 + i)).save(path)
        images.append(path)
    results = []
    for path in images:
        image = Image.open(path).convert("RGB")
        t = time.perf_counter()
        out = pipe(image, points_per_batch=a.points_per_batch, points_per_crop=a.points_per_side,
                   pred_iou_thresh=a.pred_iou_thresh, stability_score_thresh=a.stability_score_thresh,
                   stability_score_offset=a.stability_score_offset, mask_threshold=0.0,
                   crops_nms_thresh=a.box_nms_thresh)
        results.append({"image": os.path.basename(path), "seconds": time.perf_counter() - t,
                        "masks": len(out["masks"])})
        print(f"transformers mask-generation {os.path.basename(path)}: {results[-1]['seconds']:.2f} s, "
              f"{results[-1]['masks']} masks", flush=True)
    with open(os.path.join(a.out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump({"export_seconds": export_s, "torch": torch.__version__, "threads": torch.get_num_threads(),
                   "images": results, "args": vars(a)}, f, indent=1)


def _small_config():
    from transformers import SamConfig

    return SamConfig(vision_config=dict(hidden_size=96, num_hidden_layers=2, num_attention_heads=4, image_size=256,
                                        window_size=7, global_attn_indexes=[1]),
                     prompt_encoder_config=dict(image_size=256))


if __name__ == "__main__":
    main()
