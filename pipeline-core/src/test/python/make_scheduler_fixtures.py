"""Replays diffusers' schedulers into JSON fixtures for the Java schedulers' parity tests.

Run with the project's probe venv (diffusers 0.31.0, torch 2.7.1, CPU):

    ~/.cache/finerewards/venv-probe/bin/python pipeline-core/src/test/python/make_scheduler_fixtures.py

It writes pipeline-core/src/test/resources/scheduler-fixtures/: one <case>.json per scheduler run,
noise_schedules.json (betas and alphas_cumprod of each beta schedule) and index.json (the case list).

Each case builds the scheduler the way the pipeline does, `Class.from_config(config_file)`, where
config_file is the SD 1.5 snapshot's scheduler_config.json with the case's overrides, then runs
diffusers' scheduler-test loop: the `arange` sample, the fake model `x * t / (t + 1)` (t as float32)
and every step's prev sample recorded. Floats are written as the shortest decimal that reads back as
the same float32, so the fixtures are exact and small.
"""

import json
import math
import os
import sys

import diffusers
import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "scheduler-fixtures")

# The fields of runwayml/stable-diffusion-v1-5's scheduler/scheduler_config.json (PNDM).
SD_CONFIG = {
    "_class_name": "PNDMScheduler",
    "_diffusers_version": "0.6.0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
    "clip_sample": False,
}

CLASSES = {
    "ddim": "DDIMScheduler",
    "dpmsolver++": "DPMSolverMultistepScheduler",
    "euler": "EulerDiscreteScheduler",
    "pndm": "PNDMScheduler",
}

LINEAR = {"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02}

# (case name, factory name, overrides of SD_CONFIG, inference steps)
CASES = [
    ("ddim_sd_10", "ddim", {}, 10),
    ("ddim_sd_50", "ddim", {}, 50),
    ("ddim_sd_1", "ddim", {}, 1),
    ("ddim_linear_trailing_v_10", "ddim", {**LINEAR, "timestep_spacing": "trailing", "prediction_type": "v_prediction"}, 10),
    ("ddim_linspace_sample_clip_10", "ddim", {"timestep_spacing": "linspace", "prediction_type": "sample", "clip_sample": True, "clip_sample_range": 0.5}, 10),
    ("ddim_cosine_alpha_one_7", "ddim", {"beta_schedule": "squaredcos_cap_v2", "set_alpha_to_one": True, "steps_offset": 0}, 7),
    ("ddim_trailing_7", "ddim", {"timestep_spacing": "trailing"}, 7),
    ("ddim_rescale_trailing_v_10", "ddim", {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing", "prediction_type": "v_prediction"}, 10),
    ("dpm_sd_5", "dpmsolver++", {}, 5),
    ("dpm_sd_10", "dpmsolver++", {}, 10),
    ("dpm_sd_25", "dpmsolver++", {}, 25),
    ("dpm_sd_50", "dpmsolver++", {}, 50),
    ("dpm_sd_1", "dpmsolver++", {}, 1),
    ("dpm_karras_10", "dpmsolver++", {"use_karras_sigmas": True}, 10),
    ("dpm_karras_25", "dpmsolver++", {"use_karras_sigmas": True}, 25),
    ("dpm_leading_v_10", "dpmsolver++", {"timestep_spacing": "leading", "prediction_type": "v_prediction"}, 10),
    ("dpm_trailing_sigma_min_20", "dpmsolver++", {"timestep_spacing": "trailing", "final_sigmas_type": "sigma_min"}, 20),
    ("dpm_no_lower_order_final_10", "dpmsolver++", {"lower_order_final": False}, 10),
    ("dpm_linear_sample_10", "dpmsolver++", {**LINEAR, "prediction_type": "sample"}, 10),
    ("dpm_order3_12", "dpmsolver++", {"solver_order": 3}, 12),
    ("dpm_order3_20", "dpmsolver++", {"solver_order": 3, "final_sigmas_type": "sigma_min"}, 20),
    ("dpm_order1_10", "dpmsolver++", {"solver_order": 1}, 10),
    ("dpm_heun_10", "dpmsolver++", {"solver_type": "heun"}, 10),
    ("dpm_euler_at_final_20", "dpmsolver++", {"euler_at_final": True, "final_sigmas_type": "sigma_min"}, 20),
    ("dpm_cosine_clipped_10", "dpmsolver++", {"beta_schedule": "squaredcos_cap_v2", "lambda_min_clipped": -5.1}, 10),
    ("dpm_rescale_trailing_v_10", "dpmsolver++", {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing", "prediction_type": "v_prediction"}, 10),
    ("euler_sd_10", "euler", {}, 10),
    ("euler_sd_50", "euler", {}, 50),
    ("euler_sd_1", "euler", {}, 1),
    ("euler_karras_10", "euler", {"use_karras_sigmas": True}, 10),
    ("euler_karras_25", "euler", {"use_karras_sigmas": True}, 25),
    ("euler_karras_range_10", "euler", {"use_karras_sigmas": True, "sigma_min": 0.1, "sigma_max": 10.0}, 10),
    ("euler_leading_10", "euler", {"timestep_spacing": "leading"}, 10),
    ("euler_trailing_v_10", "euler", {"timestep_spacing": "trailing", "prediction_type": "v_prediction"}, 10),
    ("euler_linear_sigma_min_sample_10", "euler", {**LINEAR, "final_sigmas_type": "sigma_min", "prediction_type": "sample"}, 10),
    ("euler_trailing_7", "euler", {"timestep_spacing": "trailing"}, 7),
    ("euler_rescale_trailing_v_10", "euler", {"rescale_betas_zero_snr": True, "timestep_spacing": "trailing", "prediction_type": "v_prediction"}, 10),
    ("pndm_sd_10", "pndm", {}, 10),
    ("pndm_sd_50", "pndm", {}, 50),
    ("pndm_sd_1", "pndm", {}, 1),
    ("pndm_sd_3", "pndm", {}, 3),
    ("pndm_linspace_v_10", "pndm", {"timestep_spacing": "linspace", "prediction_type": "v_prediction"}, 10),
    ("pndm_linear_trailing_10", "pndm", {**LINEAR, "timestep_spacing": "trailing", "set_alpha_to_one": True}, 10),
]


def f32(values) -> list:
    """Shortest decimals that read back as the same float32 values."""
    arr = np.asarray(values, dtype=np.float32).reshape(-1)
    return [float(np.format_float_scientific(v, unique=True)) for v in arr]


def deterministic_sample(batch=2, channels=4, height=4, width=4) -> torch.Tensor:
    """diffusers' scheduler-test sample: a reversed arange / n, laid out (C,H,W,B) then made (B,C,H,W)."""
    n = batch * channels * height * width
    sample = torch.arange(n, dtype=torch.float32).flip(-1) / n
    return sample.reshape(channels, height, width, batch).permute(3, 0, 1, 2).contiguous()


def deterministic_noise(shape) -> torch.Tensor:
    """A fixed, non-random 'noise' for add_noise: sin of the flat index."""
    n = int(np.prod(shape))
    return torch.sin(torch.arange(n, dtype=torch.float32) * 0.37).reshape(shape)


def fake_model(sample: torch.Tensor, t) -> torch.Tensor:
    t = torch.as_tensor(t).to(torch.float32)
    return sample * t / (t + 1)


def json_config(config) -> dict:
    out = {}
    for k, v in dict(config).items():
        if k == "_use_default_values":
            v = sorted(v)
        elif isinstance(v, tuple):
            v = list(v)
        out[k] = v
    return out


def run_case(name, factory, overrides, steps) -> dict:
    config_file = {**SD_CONFIG, **overrides}
    cls = getattr(diffusers, CLASSES[factory])
    sched = cls.from_config(config_file)
    sched.set_timesteps(steps)
    timesteps = sched.timesteps.clone()
    init_sigma = float(sched.init_noise_sigma)

    sample0 = deterministic_sample()
    x = sample0 * sched.init_noise_sigma
    prev = []
    for t in sched.timesteps:
        model_input = sched.scale_model_input(x, t)
        x = sched.step(fake_model(model_input, t), t, x, return_dict=False)[0]
        prev.append(x.clone())

    # add_noise on a fresh scheduler with the same timesteps: the first and the last timestep of the
    # schedule, one per batch row.
    noiser = cls.from_config(config_file)
    noiser.set_timesteps(steps)
    noise = deterministic_noise(sample0.shape)
    noise_ts = torch.stack([timesteps[0], timesteps[-1]])
    noisy = noiser.add_noise(sample0, noise, noise_ts)

    return {
        "name": name,
        "scheduler": factory,
        "diffusers_class": CLASSES[factory],
        "diffusers_version": diffusers.__version__,
        "torch_version": torch.__version__,
        "config_file": config_file,
        "effective_config": json_config(sched.config),
        "num_inference_steps": steps,
        "timesteps": f32(timesteps.to(torch.float32)),
        "init_noise_sigma": f32([init_sigma])[0],
        "sample_shape": list(sample0.shape),
        "sample": f32(sample0),
        "prev_samples": [f32(p) for p in prev],
        "final_sum": float(prev[-1].double().sum()),
        "final_mean": float(prev[-1].double().mean()),
        "add_noise": {
            "timesteps": f32(noise_ts.to(torch.float32)),
            "noise": f32(noise),
            "noisy": f32(noisy),
        },
    }


def noise_schedules() -> dict:
    out = {}
    for label, cfg in [
        ("linear", LINEAR),
        ("scaled_linear", {"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012}),
        ("squaredcos_cap_v2", {"beta_schedule": "squaredcos_cap_v2"}),
    ]:
        s = diffusers.DDIMScheduler(num_train_timesteps=1000, **cfg)
        out[label] = {"config": cfg, "betas": f32(s.betas), "alphas_cumprod": f32(s.alphas_cumprod)}
    return out


def main() -> int:
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    names = []
    for name, factory, overrides, steps in CASES:
        case = run_case(name, factory, overrides, steps)
        with open(os.path.join(OUT, name + ".json"), "w") as fh:
            json.dump(case, fh, separators=(",", ":"))
        names.append(name)
    with open(os.path.join(OUT, "noise_schedules.json"), "w") as fh:
        json.dump(noise_schedules(), fh, separators=(",", ":"))
    with open(os.path.join(OUT, "index.json"), "w") as fh:
        json.dump({"diffusers_version": diffusers.__version__, "cases": names}, fh, indent=1)
    print(f"wrote {len(names)} cases to {os.path.normpath(OUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
