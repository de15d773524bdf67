"""Trace, save, reload and compare: the steps every TorchScript component goes through."""

from __future__ import annotations

import os
import random
from typing import Callable, Sequence

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Fixed seeds and deterministic kernels so tiny models and goldens regenerate identically."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def _as_tuple(out) -> tuple[torch.Tensor, ...]:
    return out if isinstance(out, tuple) else (out,)


def trace_and_save(module: torch.nn.Module, example_inputs: tuple, path: str) -> torch.jit.ScriptModule:
    """``torch.jit.trace`` ``module`` on ``example_inputs`` and save it to ``path``.

    The tracer's own check re-runs the module and compares with a loose tolerance; we skip it and
    instead compare the reloaded file ourselves (``verify_traced``) at a tight one.
    """
    module.eval()
    with torch.no_grad():
        traced = torch.jit.trace(module, example_inputs, check_trace=False, strict=False)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.jit.save(traced, path)
    return traced


def max_abs_diff(a: Sequence[torch.Tensor], b: Sequence[torch.Tensor]) -> float:
    if len(a) != len(b):
        raise AssertionError(f"output count differs: {len(a)} vs {len(b)}")
    worst = 0.0
    for x, y in zip(a, b):
        if x.shape != y.shape:
            raise AssertionError(f"output shape differs: {tuple(x.shape)} vs {tuple(y.shape)}")
        worst = max(worst, (x.double() - y.double()).abs().max().item() if x.numel() else 0.0)
    return worst


def verify_traced(
    path: str,
    eager: Callable[..., object],
    input_sets: Sequence[tuple],
    atol: float,
    what: str,
    device: str = "cpu",
) -> list[float]:
    """Load ``path`` back with ``torch.jit.load`` and compare with ``eager`` on every input set.

    Returns the max abs difference per input set; raises naming the file when one exceeds ``atol``.
    """
    loaded = torch.jit.load(path, map_location=device)
    loaded.eval()
    diffs = []
    with torch.no_grad():
        for inputs in input_sets:
            expected = _as_tuple(eager(*inputs))
            got = _as_tuple(loaded(*inputs))
            diff = max_abs_diff(expected, got)
            shapes = [tuple(t.shape) for t in inputs]
            if not diff <= atol:
                raise AssertionError(f"{what} ({path}) differs from eager by {diff} > {atol} on input shapes {shapes}")
            diffs.append(diff)
    return diffs
