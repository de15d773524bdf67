"""The one error type the exporter raises for bad input, and the checks shared by every family."""

from __future__ import annotations

import os

import torch

# DJL 0.36.0 bundles libtorch 2.7.1: TorchScript must be written by the same torch to load there.
REQUIRED_TORCH = "2.7.1"
SAFETENSORS_SUFFIX = ".safetensors"
_OTHER_WEIGHT_SUFFIXES = (".bin", ".ckpt", ".pt", ".pth", ".pkl", ".h5", ".msgpack", ".onnx")


class ExportError(Exception):
    """Bad input to the exporter: the message names the file, key or version and what was expected."""


def check_torch_version(found: str | None = None) -> None:
    """Refuse to trace with a torch other than the libtorch DJL loads the files with."""
    found = (found or torch.__version__).split("+")[0]
    if found != REQUIRED_TORCH:
        raise ExportError(
            f"torch version mismatch: found torch {found}, expected torch {REQUIRED_TORCH} "
            f"(the libtorch of DJL 0.36.0); install the pinned exporter/requirements.txt"
        )


def require_dir(path: str, what: str) -> str:
    if not os.path.exists(path):
        raise ExportError(f"{what} not found: {path}")
    if not os.path.isdir(path):
        raise ExportError(f"{what} must be a directory, got a file: {path}")
    return path


def require_file(path: str, what: str) -> str:
    if not os.path.isfile(path):
        raise ExportError(f"{what} not found: {path}")
    return path


def require_safetensors(component_dir: str, what: str) -> list[str]:
    """The ``*.safetensors`` weight files of a component folder; other weight formats are refused.

    Pickle-based weights (.bin, .ckpt, ...) can run code when loaded, so they are never read.
    """
    require_dir(component_dir, what)
    names = sorted(os.listdir(component_dir))
    weights = [n for n in names if n.endswith(SAFETENSORS_SUFFIX)]
    if weights:
        return [os.path.join(component_dir, n) for n in weights]
    others = [n for n in names if n.endswith(_OTHER_WEIGHT_SUFFIXES)]
    if others:
        raise ExportError(
            f"{what} {component_dir} has only non-safetensors weights ({', '.join(others)}); "
            f"expected *.safetensors (convert the checkpoint to safetensors first)"
        )
    raise ExportError(f"{what} {component_dir} has no weights: expected a *.safetensors file")
