"""Benchmark setup: a random-weight UNet of Stable Diffusion 1.5's real configuration, with the
exporter's LoRA layers (rank 4), traced as the exporter traces it, for timing UNet calls from Java.

    python export_sd15_unet_random.py OUT_DIR [--side 256]

Writes OUT_DIR/unet.pt (about 3.4 GB, float32) and prints PyTorch eager seconds per call at batch 1.
Never commit the output: bin/bench-sd15-unet writes it into a temporary directory.
"""
import argparse
import os
import sys
import time

import torch
from diffusers import UNet2DConditionModel

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../../exporter"))
from finerewards_export.diffusion import UNetForExport  # noqa: E402
from finerewards_export.diffusion_lora import add_lora  # noqa: E402
from finerewards_export.tracing import trace_and_save  # noqa: E402

# unet/config.json of the SD 1.5 snapshot (stable-diffusion-v1-5), architecture fields only.
SD15_UNET = dict(
    act_fn="silu", attention_head_dim=8, block_out_channels=[320, 640, 1280, 1280], center_input_sample=False,
    cross_attention_dim=768, down_block_types=["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"], downsample_padding=1,
    flip_sin_to_cos=True, freq_shift=0, in_channels=4, layers_per_block=2, mid_block_scale_factor=1, norm_eps=1e-5,
    norm_num_groups=32, out_channels=4, sample_size=64, up_block_types=["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--side", type=int, default=256, help="image side in pixels (latents are side/8)")
    args = p.parse_args()
    torch.manual_seed(0)
    unet = UNet2DConditionModel(**SD15_UNET).eval()
    add_lora(unet, rank=4, seed=0)
    module = UNetForExport(unet).eval()
    n = sum(p.numel() for p in module.parameters())
    lat = args.side // 8
    inputs = (torch.randn(1, 4, lat, lat), torch.tensor([999.0]), torch.randn(1, 77, 768))
    with torch.no_grad():
        module(*inputs)
        t0 = time.perf_counter()
        for _ in range(3):
            module(*inputs)
        eager = (time.perf_counter() - t0) / 3
    trace_and_save(module, inputs, os.path.join(args.out, "unet.pt"))
    print(f"SD 1.5 UNet (random weights, LoRA rank 4): {n / 1e6:.0f}M parameters; PyTorch {torch.__version__} eager, "
          f"{torch.get_num_threads()} threads, {args.side}x{args.side} batch 1: {eager:.2f} s per call")


if __name__ == "__main__":
    main()
