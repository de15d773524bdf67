"""Paper estimate for docs/performance.md: floating-point operations of one Stable Diffusion 1.5 image
at 512x512 (or --side), counted by PyTorch's FlopCounterMode over the real module graphs (SD 1.5's
UNet configuration from export_sd15_unet_random.py, the SD 1.5 VAE decoder and the CLIP ViT-L/14 text
encoder), instantiated on the meta device: no weights, no memory, no download, a few seconds.

    $(bin/python-env)/bin/python pipeline-core/src/test/python/sd15_flops.py [--side 512]

FlopCounterMode counts 2 FLOPs per multiply-add of convolutions, matrix products and attention
(the usual convention of the 989 TFLOPs H100 figure); norms, activations and additions are not
counted (they are memory-bound, a few percent of the time on a GPU). Prints the per-module totals
of the UNet (the arithmetic docs/performance.md shows) and the per-image sum at 50 steps with
classifier-free guidance (UNet batch 2).
"""
import argparse
import os
import sys

import torch
from torch.utils.flop_counter import FlopCounterMode
from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel

sys.path.insert(0, os.path.dirname(__file__))
from export_sd15_unet_random import SD15_UNET  # noqa: E402

# vae/config.json of the SD 1.5 snapshot, architecture fields only.
SD15_VAE = dict(
    act_fn="silu", block_out_channels=[128, 256, 512, 512], down_block_types=["DownEncoderBlock2D"] * 4,
    in_channels=3, latent_channels=4, layers_per_block=2, norm_num_groups=32, out_channels=3, sample_size=512,
    up_block_types=["UpDecoderBlock2D"] * 4,
)
# text_encoder/config.json of the SD 1.5 snapshot (CLIP ViT-L/14 text tower).
SD15_TEXT = dict(
    hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
    max_position_embeddings=77, vocab_size=49408, hidden_act="quick_gelu", projection_dim=768,
)


def count(fn, depth=3):
    mode = FlopCounterMode(display=False, depth=depth)
    with mode, torch.no_grad():
        fn()
    return mode.get_total_flops(), mode.get_flop_counts()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--side", type=int, default=512)
    p.add_argument("--steps", type=int, default=50)
    args = p.parse_args()
    lat = args.side // 8
    with torch.device("meta"):
        unet = UNet2DConditionModel(**SD15_UNET).eval()
        vae = AutoencoderKL(**SD15_VAE).eval()
        text = CLIPTextModel(CLIPTextConfig(**SD15_TEXT)).eval()
        params = sum(q.numel() for q in unet.parameters())
        unet1, per_module = count(lambda: unet(torch.randn(1, 4, lat, lat), torch.tensor([999.0]),
                                               torch.randn(1, 77, 768)))
        unet2, _ = count(lambda: unet(torch.randn(2, 4, lat, lat), torch.tensor([999.0, 999.0]),
                                      torch.randn(2, 77, 768)))
        dec, _ = count(lambda: vae.decode(torch.randn(1, 4, lat, lat)))
        txt, _ = count(lambda: text(torch.zeros(2, 77, dtype=torch.long)))
    print(f"SD 1.5 UNet: {params / 1e6:.1f}M parameters, {args.side}x{args.side} ({lat}x{lat} latents)")
    print("UNet batch 1, per top-level module (GFLOPs):")
    for name, ops in per_module.items():
        if name.count(".") == 1 and "blocks" not in name or name.count(".") == 2 and "blocks." in name:
            print(f"  {name:40s} {sum(ops.values()) / 1e9:10.1f}")
    print("UNet batch 1, per operator (GFLOPs):")
    for op, flops in per_module["Global"].items():
        print(f"  {str(op):40s} {flops / 1e9:10.1f}")
    print(f"UNet call, batch 1:            {unet1 / 1e12:.3f} TFLOPs")
    print(f"UNet call, batch 2 (CFG):      {unet2 / 1e12:.3f} TFLOPs")
    print(f"VAE decode, batch 1:           {dec / 1e12:.3f} TFLOPs")
    print(f"text encoder, batch 2 (CFG):   {txt / 1e12:.4f} TFLOPs")
    total = args.steps * unet2 + dec + txt
    print(f"per image, {args.steps} steps with CFG: {total / 1e12:.1f} TFLOPs "
          f"(UNet {args.steps * unet2 / total:.1%})")
    for mfu in (0.3, 0.4, 0.5):
        print(f"  at {mfu:.0%} of 989 TFLOPs: {989e12 * mfu / total:.2f} images/s")


if __name__ == "__main__":
    main()
