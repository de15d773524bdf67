"""The tiny Stable Diffusion model: real SD 1.x architecture, random weights, shapes small enough to commit.

The tiny model is written as a real diffusers snapshot (safetensors) in a temporary folder and
exported through the same ``diffusion.export`` path as real checkpoints, so the tests exercise
the path users take. Configs follow diffusers' own tiny test components, reordered to SD 1.x's
block layout (cross-attention at the outer resolution).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import torch

from . import diffusion, diffusion_golden
from . import diffusion_lora as lora
from .tokenizers_tiny import clip_tokenizer_fast, save_tokenizer, train_clip_tokenizer
from .tracing import seed_everything

SEED = 0
# scheduler/scheduler_config.json of the SD 1.5 snapshot: only these fields, so every other
# scheduler built from it (DDIM, DPM-Solver++, Euler) takes its own defaults, as with the real file.
SD15_SCHEDULER_CONFIG = {
    "_class_name": "PNDMScheduler",
    "_diffusers_version": "0.31.0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
}
LORA_RANK = 4


def tiny_components(tokenizer):
    """Text encoder, UNet and VAE of the tiny model, each created under its own fixed seed."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(SEED + 1)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=5,
            num_attention_heads=4,
            max_position_embeddings=diffusion.TEXT_MAX_LENGTH,
            hidden_act="quick_gelu",  # as CLIP ViT-L/14's text tower
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    torch.manual_seed(SEED + 2)
    unet = UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(16, 32),
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=2,
        norm_num_groups=8,
    )
    torch.manual_seed(SEED + 3)
    # Four blocks give SD's 8x spatial factor: 64x64 images <-> 8x8 latents.
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(8, 16, 16, 16),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=64,
        scaling_factor=0.18215,  # SD 1.x's value
    )
    return text_encoder, unet, vae


def write_snapshot(path: str):
    """Write the tiny model as a diffusers StableDiffusionPipeline snapshot (safetensors)."""
    from diffusers import PNDMScheduler, StableDiffusionPipeline

    tok_dir = tempfile.mkdtemp(prefix="tok-", dir=path)
    tokenizer = clip_tokenizer_fast(save_tokenizer(train_clip_tokenizer(), tok_dir))
    text_encoder, unet, vae = tiny_components(tokenizer)
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=PNDMScheduler.from_config(SD15_SCHEDULER_CONFIG),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    snapshot = os.path.join(path, "snapshot")
    pipe.save_pretrained(snapshot, safe_serialization=True)
    with open(os.path.join(snapshot, "scheduler", "scheduler_config.json"), "w", encoding="utf-8") as f:
        json.dump(SD15_SCHEDULER_CONFIG, f, indent=2, sort_keys=True)
        f.write("\n")
    shutil.rmtree(tok_dir)
    return snapshot


def build(root: str) -> str:
    """Build ``root/diffusion``: exported tiny model plus ``golden/``; returns that directory."""
    out = os.path.join(root, diffusion.FAMILY)
    _clear(out)
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    # One thread and deterministic kernels: the same reduction order on every run and machine.
    torch.set_num_threads(1)
    try:
        seed_everything(SEED)
        with tempfile.TemporaryDirectory(prefix="tiny-sd-") as tmp:
            snapshot = write_snapshot(tmp)
            diffusion.export(snapshot, root, lora_rank=LORA_RANK, source_label="tiny (finerewards_export.diffusion_tiny, seed 0)")
            text_encoder, unet, vae, tokenizer, scheduler_path = diffusion.load_snapshot(snapshot)
            lora.add_lora(unet, LORA_RANK, diffusion.LORA_SEED)
            for m in (text_encoder, unet, vae):
                m.eval()
            with open(scheduler_path, encoding="utf-8") as f:
                scheduler_config = json.load(f)
            diffusion_golden.write_all(out, text_encoder, unet, vae, tokenizer, scheduler_config)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    return out


_OWNED = ("text_encoder.pt", "unet.pt", "vae_encoder.pt", "vae_decoder.pt", "scheduler_config.json", "tokenizer.json", "manifest.json")


def _clear(out: str) -> None:
    """Remove what a previous build wrote (only our own files), so no stale golden survives."""
    if not os.path.isdir(out):
        os.makedirs(out)
        return
    for name in _OWNED:
        if os.path.isfile(os.path.join(out, name)):
            os.remove(os.path.join(out, name))
    golden = os.path.join(out, "golden")
    if os.path.isdir(golden):
        shutil.rmtree(golden)
