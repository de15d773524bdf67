"""Helpers shared by the clip/captioner/segmenter/llm exporter tests."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

EXPORTER_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = EXPORTER_DIR.parent
COMMITTED_TINY = REPO_ROOT / "models" / "tiny"
if str(EXPORTER_DIR) not in sys.path:  # tests import the package from the source tree
    sys.path.insert(0, str(EXPORTER_DIR))


def _close_json(a, b, tol: float, where: str) -> None:
    if isinstance(a, float) or isinstance(b, float):
        assert math.isclose(a, b, rel_tol=tol, abs_tol=tol), f"{where}: {a} != {b}"
    elif isinstance(a, dict):
        assert sorted(a) == sorted(b), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            _close_json(a[k], b[k], tol, f"{where}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            _close_json(x, y, tol, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_golden_dirs_match(new: Path, committed: Path, atol: float = 1e-5) -> None:
    """Same files, same tensor names/dtypes/shapes, values within ``atol``, JSON equal (floats close)."""
    new_files = sorted(p.name for p in new.iterdir())
    old_files = sorted(p.name for p in committed.iterdir())
    assert new_files == old_files, f"golden files differ: {new_files} vs committed {old_files}"
    for name in new_files:
        if name.endswith(".safetensors"):
            a, b = load_file(new / name), load_file(committed / name)
            assert sorted(a) == sorted(b), f"{name}: tensors {sorted(a)} vs {sorted(b)}"
            for k in a:
                assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, f"{name}/{k}: dtype or shape differs"
                if a[k].is_floating_point() and a[k].numel():
                    # atol, plus float32 rounding of the tensor's largest values (other CPUs' kernels)
                    tol = atol + 1e-6 * b[k].abs().max().item()
                    d = (a[k].double() - b[k].double()).abs().max().item()
                    assert d <= tol, f"{name}/{k}: regenerated differs from committed by {d} > {tol}"
                elif not a[k].is_floating_point():
                    assert torch.equal(a[k], b[k]), f"{name}/{k}: regenerated ids differ from committed"
        elif name.endswith(".json"):
            _close_json(json.loads((new / name).read_text()), json.loads((committed / name).read_text()), 1e-5, name)
        else:
            assert (new / name).read_text() == (committed / name).read_text(), f"{name} differs"


def golden(model_dir: Path, case: str) -> dict[str, torch.Tensor]:
    return load_file(os.path.join(model_dir, "golden", f"{case}.safetensors"))


def golden_json(model_dir: Path, case: str):
    return json.loads((Path(model_dir) / "golden" / f"{case}.json").read_text())


# Bound on one forward of a tiny float32 model against its eager module or its committed golden
# (the Java ExportedModelsLoadTest uses the same budget). The tiny models have 2 to ~10 layers and
# outputs of magnitude at most ~4 (ulp 4.8e-7); another summation order (a traced graph's fused ops,
# another kernel) moves each layer's output by a few ulps, so a forward lands within ~10 ulps (5e-6)
# and 1e-5 covers it. Measured with the conftest pins on an AVX-512 Xeon, worst over the CPU tests of
# test_captioner/clip/llm/segmenter: 4.3e-6 (SAM pred_masks, 2.65), 1.7e-6 (captioner logits, 4.3;
# SAM embeddings, 3.1), 1.3e-6 (LLM logits, 2.3), 2.2e-7 (CLIP, unit vectors), 0 where the traced
# graph runs the eager module's kernels. Unpinned (AVX-512 kernels, 2 threads) SAM pred_masks reach
# 1.4e-5 and fail: the pins in conftest.py are what make 1e-5 hold on every CPU.
FORWARD_ATOL = 1e-5


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, f"shape {tuple(a.shape)} != {tuple(b.shape)}"
    return (a.double() - b.double()).abs().max().item()


def assert_device_agnostic(model_dir: Path) -> None:
    """No TorchScript file of the directory names a device literally (so it runs on CPU and any GPU)."""
    from finerewards_export.device_agnostic import fixed_devices_in_file

    files = sorted(Path(model_dir).glob("*.pt"))
    assert files, f"no TorchScript files in {model_dir}"
    for f in files:
        assert fixed_devices_in_file(str(f)) == [], f"{f.name} hard-codes a device"


def on_cuda(module_path: Path, *inputs: torch.Tensor):
    """Run a committed TorchScript file on the GPU and bring the outputs back to the CPU."""
    m = torch.jit.load(str(module_path), map_location="cuda")
    with torch.no_grad():
        out = m(*(t.cuda() for t in inputs))
    return tuple(o.cpu() for o in out) if isinstance(out, tuple) else out.cpu()


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def copy_with_config(checkpoint: Path, d: Path, edit, name: str = "config.json") -> Path:
    """``checkpoint`` as a new directory ``d`` (other files symlinked) whose JSON file ``name`` is a copy
    edited in place by ``edit``."""
    d.mkdir()
    for f in checkpoint.iterdir():
        if f.name != name:
            (d / f.name).symlink_to(f)
    cfg = json.loads((checkpoint / name).read_text())
    edit(cfg)
    (d / name).write_text(json.dumps(cfg))
    return d


def pickled_weights_checkpoint(checkpoint: Path, d: Path) -> Path:
    """A directory with ``checkpoint``'s config.json and only pickled weights (pytorch_model.bin)."""
    d.mkdir()
    (d / "config.json").write_text((checkpoint / "config.json").read_text())
    torch.save({}, d / "pytorch_model.bin")
    return d
