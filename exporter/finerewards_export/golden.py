"""Writers for golden files: tensors as safetensors (float32/int64), metadata as sorted JSON."""

from __future__ import annotations

import json
import os
from typing import Any

import torch
from safetensors.torch import load_file, save_file

_ALLOWED = (torch.float32, torch.int64)


def save_tensors(path: str, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> str:
    """Write contiguous CPU tensors; only float32 and int64 are allowed so Java reads two dtypes."""
    clean = {}
    for name, t in tensors.items():
        if t.dtype not in _ALLOWED:
            raise ValueError(f"golden tensor {name!r} in {path} has dtype {t.dtype}; expected float32 or int64")
        clean[name] = t.detach().to("cpu").contiguous()
    save_file(clean, path, metadata=metadata)
    return path


def load_tensors(path: str) -> dict[str, torch.Tensor]:
    return load_file(path)


def save_json(path: str, data: Any) -> str:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    return path


def load_json(path: str) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def golden_dir(model_dir: str) -> str:
    path = os.path.join(model_dir, "golden")
    os.makedirs(path, exist_ok=True)
    return path
