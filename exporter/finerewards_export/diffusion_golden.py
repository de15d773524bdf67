"""Golden files for the tiny diffusion model: what diffusers itself computes on fixed inputs.

Every file and tensor is described in ``golden/README.md`` (copied from ``data/diffusion_golden_README.md``).
Tensors go to safetensors (float32/int64), metadata to JSON.
"""

from __future__ import annotations

import copy
import hashlib
import os
from importlib import resources

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from . import diffusion_lora as lora
from .golden import golden_dir, save_json, save_tensors

PROMPTS = ["a cat sitting on a red chair", "two dogs playing with a frisbee in the park"]
NEGATIVE_PROMPT = ""
GUIDANCE_SCALE = 7.5
PIPELINE_STEPS = 10
SCHEDULER_STEPS = (10, 50)
# file stem -> diffusers class; all built with Class.from_config(scheduler_config.json), i.e. each
# class's own defaults for fields the SD 1.5 file lacks (DPM-Solver++ 2M with lower_order_final, ...).
SCHEDULERS = {
    "ddim": "DDIMScheduler",
    "dpmsolver_multistep": "DPMSolverMultistepScheduler",
    "euler_discrete": "EulerDiscreteScheduler",
    "pndm": "PNDMScheduler",
}
ADAMW = {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 1e-2}
TRAIN_STEPS = 3


def write_all(out: str, text_encoder, unet, vae, tokenizer, scheduler_config: dict) -> str:
    gdir = golden_dir(out)
    with torch.no_grad():
        _components(gdir, text_encoder, unet, vae, tokenizer)
        for name in SCHEDULERS:
            for steps in SCHEDULER_STEPS:
                _scheduler_only(gdir, name, steps, scheduler_config)
        _pipelines(gdir, text_encoder, unet, vae, tokenizer, scheduler_config)
    _lora_training(gdir, text_encoder, unet, vae, tokenizer, scheduler_config)
    readme = resources.files(__package__).joinpath("data/diffusion_golden_README.md").read_text(encoding="utf-8")
    with open(os.path.join(gdir, "README.md"), "w", encoding="utf-8") as f:
        f.write(readme)
    return gdir


def _ids(tokenizer, texts) -> torch.Tensor:
    return tokenizer(
        texts, padding="max_length", max_length=tokenizer.model_max_length, truncation=True, return_tensors="pt"
    ).input_ids.to(torch.int64)


def _randn(seed: int, *shape) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- per component


def _components(gdir, text_encoder, unet, vae, tokenizer) -> None:
    ids = _ids(tokenizer, PROMPTS)
    states = text_encoder(ids, return_dict=False)[0]
    save_tensors(os.path.join(gdir, "text_encoder.safetensors"), {"input_ids": ids, "last_hidden_state": states})

    sample = _randn(10, 2, 4, 8, 8)
    timestep = torch.tensor([999.0, 501.0])
    out_zero = unet(sample, timestep, states, return_dict=False)[0]
    # A nonzero LoRA set (A and B) in diffusers' file layout; also a valid pytorch_lora_weights.safetensors.
    g = torch.Generator().manual_seed(11)
    nonzero = {k: torch.randn(v.shape, generator=g) * 0.1 for k, v in lora.lora_state(unet).items()}
    tuned = copy.deepcopy(unet)
    lora.set_lora_state(tuned, nonzero)
    out_nonzero = tuned(sample, timestep, states, return_dict=False)[0]
    save_tensors(os.path.join(gdir, "lora_nonzero.safetensors"), nonzero)
    save_tensors(
        os.path.join(gdir, "unet.safetensors"),
        {
            "sample": sample,
            "timestep": timestep,
            "encoder_hidden_states": states,
            "out_lora_zero": out_zero,
            "out_lora_nonzero": out_nonzero,
        },
    )

    latents = _randn(12, 1, 4, 8, 8)
    image = vae.decode(latents, return_dict=False)[0]
    save_tensors(os.path.join(gdir, "vae_decoder.safetensors"), {"latents": latents, "image": image})

    # A smooth image in [-1, 1]: gradients and a sine pattern, nothing random.
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, 64), torch.linspace(-1, 1, 64), indexing="ij")
    enc_in = torch.stack([xs, ys, torch.sin(3.0 * (xs + ys))]).unsqueeze(0).contiguous()
    dist = vae.encode(enc_in).latent_dist
    save_tensors(
        os.path.join(gdir, "vae_encoder.safetensors"),
        {"image": enc_in, "latent_mean": dist.mean, "latent_logvar": dist.logvar},
    )


# ---------------------------------------------------------------- schedulers alone


def _scheduler(name: str, scheduler_config: dict):
    import diffusers

    return getattr(diffusers, SCHEDULERS[name]).from_config(scheduler_config)


def deterministic_sample(batch=2, channels=4, height=4, width=4) -> torch.Tensor:
    """diffusers' scheduler-test sample: a reversed arange / n, laid out (C,H,W,B) then made (B,C,H,W)."""
    n = batch * channels * height * width
    sample = torch.arange(n, dtype=torch.float32).flip(-1) / n
    return sample.reshape(channels, height, width, batch).permute(3, 0, 1, 2).contiguous()


def fake_model(sample: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The closed-form stand-in for the UNet used by diffusers' scheduler tests: sample * t / (t + 1)."""
    t = t.to(torch.float32)
    return sample * t / (t + 1)


def _scheduler_only(gdir, name: str, steps: int, scheduler_config: dict) -> None:
    sched = _scheduler(name, scheduler_config)
    sched.set_timesteps(steps)
    sample0 = deterministic_sample()
    sample = sample0 * sched.init_noise_sigma
    prev = []
    for t in sched.timesteps:
        model_input = sched.scale_model_input(sample, t)
        sample = sched.step(fake_model(model_input, t), t, sample, return_dict=False)[0]
        prev.append(sample)
    prev = torch.stack(prev)
    stem = f"scheduler_{name}_{steps}"
    save_tensors(os.path.join(gdir, stem + ".safetensors"), {"sample": sample0, "prev_samples": prev})
    save_json(
        os.path.join(gdir, stem + ".json"),
        {
            "scheduler": SCHEDULERS[name],
            "config": _config(sched),
            "num_inference_steps": steps,
            "timesteps": sched.timesteps.tolist(),
            "init_noise_sigma": float(sched.init_noise_sigma),
            "step_sums": [float(p.double().sum()) for p in prev],
            "step_means": [float(p.double().mean()) for p in prev],
            "final_sum": float(prev[-1].double().sum()),
            "final_mean": float(prev[-1].double().mean()),
        },
    )


def _config(sched) -> dict:
    """The scheduler's effective config (file values plus class defaults), JSON-ready."""
    out = {}
    for k, v in dict(sched.config).items():
        if isinstance(v, tuple):
            v = list(v)
        if k == "_use_default_values":  # the fields the file lacked; a set in diffusers, so sort it
            v = sorted(v)
        out[k] = v
    return out


# ---------------------------------------------------------------- full pipeline


def _pipelines(gdir, text_encoder, unet, vae, tokenizer, scheduler_config) -> None:
    from diffusers import StableDiffusionPipeline

    initial = _randn(20, len(PROMPTS), 4, 8, 8)
    prompt_ids = _ids(tokenizer, PROMPTS)
    negative_ids = _ids(tokenizer, [NEGATIVE_PROMPT] * len(PROMPTS))
    save_tensors(
        os.path.join(gdir, "pipeline_inputs.safetensors"),
        {
            "initial_latents": initial,
            "prompt_ids": prompt_ids,
            "negative_ids": negative_ids,
            "prompt_embeds": text_encoder(prompt_ids, return_dict=False)[0],
            "negative_prompt_embeds": text_encoder(negative_ids, return_dict=False)[0],
        },
    )
    for name in SCHEDULERS:
        sched = _scheduler(name, scheduler_config)
        pipe = StableDiffusionPipeline(
            vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=sched,
            safety_checker=None, feature_extractor=None, requires_safety_checker=False,
        )
        pipe.set_progress_bar_config(disable=True)
        per_step, step_t = [], []

        def record(_pipe, i, t, kwargs):
            per_step.append(kwargs["latents"].clone())
            step_t.append(float(t))
            return kwargs

        result = pipe(
            PROMPTS,
            negative_prompt=[NEGATIVE_PROMPT] * len(PROMPTS),
            height=64,
            width=64,
            num_inference_steps=PIPELINE_STEPS,
            guidance_scale=GUIDANCE_SCALE,
            latents=initial.clone(),
            output_type="np",
            callback_on_step_end=record,
        )
        images = np.ascontiguousarray(result.images, dtype=np.float32)  # [B, H, W, 3] in [0, 1]
        pixels = (images * 255).round().astype(np.uint8)
        pngs = []
        for i, px in enumerate(pixels):
            png = f"pipeline_{name}_{i}.png"
            Image.fromarray(px).save(os.path.join(gdir, png), format="PNG")
            pngs.append(png)
        latents = torch.stack(per_step)
        save_tensors(
            os.path.join(gdir, f"pipeline_{name}.safetensors"),
            {"latents": latents, "image": torch.from_numpy(images), "timesteps": torch.tensor(step_t, dtype=torch.float32)},
        )
        save_json(
            os.path.join(gdir, f"pipeline_{name}.json"),
            {
                "scheduler": SCHEDULERS[name],
                "config": _config(pipe.scheduler),
                "prompts": PROMPTS,
                "negative_prompt": NEGATIVE_PROMPT,
                "guidance_scale": GUIDANCE_SCALE,
                "num_inference_steps": PIPELINE_STEPS,
                "height": 64,
                "width": 64,
                "timesteps": step_t,
                "init_noise_sigma": float(pipe.scheduler.init_noise_sigma),
                "final_latents_sum": float(latents[-1].double().sum()),
                "final_latents_mean": float(latents[-1].double().mean()),
                "png_files": pngs,
                "pixels_uint8_sha256": [hashlib.sha256(p.tobytes()).hexdigest() for p in pixels],
            },
        )


# ---------------------------------------------------------------- LoRA training


def _lora_training(gdir, text_encoder, unet, vae, tokenizer, scheduler_config) -> None:
    """Three AdamW steps on LoRA only, with the denoising loss of diffusers' LoRA training script."""
    from diffusers import DDPMScheduler

    unet = copy.deepcopy(unet)
    lora.freeze_all_but_lora(unet)
    unet.train()
    ddpm = DDPMScheduler.from_config(scheduler_config)
    scaling = vae.config.scaling_factor

    ids = _ids(tokenizer, PROMPTS)
    images = (torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(30)) * 2 - 1).contiguous()
    encode_noise = _randn(31, 2, 4, 8, 8)
    noise = _randn(32, 2, 4, 8, 8)
    timesteps = torch.randint(0, ddpm.config.num_train_timesteps, (2,), generator=torch.Generator().manual_seed(33))
    with torch.no_grad():
        states = text_encoder(ids, return_dict=False)[0]
        dist = vae.encode(images).latent_dist
        latents = (dist.mean + dist.std * encode_noise) * scaling
        noisy = ddpm.add_noise(latents, noise, timesteps)

    named = lora.lora_named_parameters(unet)
    optimizer = torch.optim.AdamW(
        [p for _, p in named], lr=ADAMW["lr"], betas=tuple(ADAMW["betas"]), eps=ADAMW["eps"],
        weight_decay=ADAMW["weight_decay"], foreach=False,
    )
    tensors = {
        "input_ids": ids,
        "images": images,
        "encode_noise": encode_noise,
        "noise": noise,
        "timesteps": timesteps.to(torch.int64),
        "encoder_hidden_states": states,
        "latents": latents,
        "noisy_latents": noisy,
    }
    for n, p in named:
        tensors[f"step0/{lora.diffusers_key(n)}"] = p.detach().clone()
    losses = []
    for step in range(1, TRAIN_STEPS + 1):
        optimizer.zero_grad()
        pred = unet(noisy, timesteps, states, return_dict=False)[0]
        loss = F.mse_loss(pred.float(), noise.float(), reduction="mean")
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
        for n, p in named:
            if step == 1:  # gradients of the first step only (those of A are zero there: B starts at 0)
                tensors[f"grad{step}/{lora.diffusers_key(n)}"] = p.grad.detach().clone()
            tensors[f"step{step}/{lora.diffusers_key(n)}"] = p.detach().clone()
    tensors["losses"] = torch.tensor(losses, dtype=torch.float32)
    save_tensors(os.path.join(gdir, "lora_train.safetensors"), tensors)
    save_json(
        os.path.join(gdir, "lora_train.json"),
        {
            "prompts": PROMPTS,
            "optimizer": "torch.optim.AdamW (decoupled weight decay, bias-corrected, eps after sqrt)",
            "adamw": ADAMW,
            "steps": TRAIN_STEPS,
            "losses": losses,
            "loss": "mse_loss(unet(noisy_latents, timesteps, encoder_hidden_states), noise), mean over all elements",
            "latents": "(latent_mean + exp(0.5*latent_logvar) * encode_noise) * vae_scaling_factor",
            "vae_scaling_factor": scaling,
            "noise_scheduler": "DDPMScheduler.from_config(scheduler_config.json).add_noise(latents, noise, timesteps)",
            "trainable": "LoRA A and B of every to_q/to_k/to_v/to_out.0, nothing else",
            "batch": "the same batch (same noise and timesteps) at every step",
            "lora_parameters": [lora.diffusers_key(n) for n, _ in named],
        },
    )
