"""LoRA on the UNet attention projections, named as peft names them and as diffusers saves them.

Three names exist for one LoRA matrix, and the Java trainer must move between them:
- eager module path (peft):   ``down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.default.weight``
- TorchScript parameter name: the same under the export wrapper's ``unet.`` attribute
- diffusers file key:         ``unet.down_blocks.0....attn1.to_q.lora_A.weight`` (adapter name dropped),
  the layout ``StableDiffusionPipeline.save_lora_weights`` writes and ``load_lora_weights`` reads.
"""

from __future__ import annotations

import torch
from peft import LoraConfig

TARGET_MODULES = ("to_k", "to_q", "to_v", "to_out.0")
ADAPTER = "default"  # peft's adapter name, part of the traced parameter names
WRAPPER_PREFIX = "unet."  # attribute of the export wrapper holding the UNet
DIFFUSERS_PREFIX = "unet."  # prefix of UNet keys in pytorch_lora_weights.safetensors
LORA_FILE = "pytorch_lora_weights.safetensors"


def add_lora(unet, rank: int, seed: int) -> None:
    """Inject LoRA as diffusers training scripts do: A gaussian (std 1/rank), B zero, alpha = rank.

    alpha = rank gives scaling 1; it is also what ``load_lora_weights`` assumes for a file without
    alpha entries, so a saved file reloads with the scale it was trained with.
    """
    if rank < 1:
        raise ValueError(f"LoRA rank must be >= 1, got {rank}")
    config = LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=list(TARGET_MODULES))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        unet.add_adapter(config, adapter_name=ADAPTER)


def lora_named_parameters(unet) -> list[tuple[str, torch.nn.Parameter]]:
    """The LoRA parameters in module order, under their eager (peft) names."""
    return [(n, p) for n, p in unet.named_parameters() if ".lora_A." in n or ".lora_B." in n]


def diffusers_key(eager_name: str) -> str:
    """peft eager name -> key in diffusers' pytorch_lora_weights.safetensors."""
    return DIFFUSERS_PREFIX + eager_name.replace(f".{ADAPTER}.", ".")


def torchscript_name(eager_name: str) -> str:
    return WRAPPER_PREFIX + eager_name


def parameter_table(unet) -> list[dict]:
    """Manifest entries: TorchScript name, diffusers key, shape, for every LoRA parameter."""
    return [
        {
            "torchscript_name": torchscript_name(n),
            "diffusers_key": diffusers_key(n),
            "shape": list(p.shape),
            "matrix": "A" if ".lora_A." in n else "B",
        }
        for n, p in lora_named_parameters(unet)
    ]


def lora_state(unet) -> dict[str, torch.Tensor]:
    """Current LoRA weights keyed as in diffusers' file (a valid pytorch_lora_weights.safetensors)."""
    return {diffusers_key(n): p.detach().clone().float().contiguous() for n, p in lora_named_parameters(unet)}


def set_lora_state(unet, state: dict[str, torch.Tensor]) -> None:
    """Copy diffusers-keyed LoRA weights into the UNet; every LoRA parameter must be given."""
    params = dict(lora_named_parameters(unet))
    wanted = {diffusers_key(n): n for n in params}
    missing = sorted(set(wanted) - set(state))
    extra = sorted(set(state) - set(wanted))
    if missing or extra:
        raise KeyError(f"LoRA state mismatch: missing {missing[:3]}..., unexpected {extra[:3]}...")
    with torch.no_grad():
        for key, name in wanted.items():
            params[name].copy_(state[key])


def freeze_all_but_lora(unet) -> None:
    for n, p in unet.named_parameters():
        p.requires_grad_(".lora_A." in n or ".lora_B." in n)
