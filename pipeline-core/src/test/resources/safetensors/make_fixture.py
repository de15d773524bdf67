"""Writes dtypes.safetensors, the Python-written fixture SafetensorsTest reads.

Run with the exporter's venv (torch 2.7.1, safetensors): python make_fixture.py
Values are arange-based so the Java test computes what it expects.
"""
import torch
from safetensors.torch import save_file

tensors = {
    "f32": (torch.arange(6, dtype=torch.float32) * 0.5 - 1.0).reshape(2, 3),
    "f16": (torch.arange(4, dtype=torch.float32) * 0.25 - 0.5).to(torch.float16).reshape(4),
    "bf16": (torch.arange(4, dtype=torch.float32) - 2.0).to(torch.bfloat16).reshape(2, 2),
    "i64": (torch.arange(5, dtype=torch.int64) * 1_000_000_000_000 - 7).reshape(5),
    "i32": (torch.arange(6, dtype=torch.int32) - 3).reshape(3, 2),
    "scalar": torch.tensor(3.25, dtype=torch.float32),
}
save_file(tensors, "dtypes.safetensors", metadata={"writer": "make_fixture.py", "format": "pt"})
