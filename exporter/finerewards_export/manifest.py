"""The manifest every exported model directory carries (``manifest.json``).

The Java side (pipeline-core ``ModelManifest``) reads this file before loading anything, so the
field names here are a contract: change them only together with the Java reader and bump
``MANIFEST_FORMAT``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, asdict
from typing import Any

import torch

from . import EXPORTER_VERSION

MANIFEST_FORMAT = 1
MANIFEST_FILE = "manifest.json"
FAMILIES = ("diffusion", "clip", "captioner", "segmenter", "llm")


@dataclass
class TensorSpec:
    """A named input or output of a TorchScript file; -1 marks a free dimension."""

    name: str
    shape: list[int]
    dtype: str  # "float32", "float16", "int64", ...


@dataclass
class ComponentSpec:
    """One TorchScript file of a model directory and its signature (positional order)."""

    file: str
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    doc: str = ""


@dataclass
class Manifest:
    family: str
    architecture: str
    dtype: str
    components: dict[str, ComponentSpec]
    config: dict[str, Any] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    tokenizer: str | None = "tokenizer.json"
    source: dict[str, Any] = field(default_factory=dict)  # checkpoint, weights_sha256, tiny
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown model family {self.family!r}; expected one of {FAMILIES}")
        return {
            "format": MANIFEST_FORMAT,
            "exporter_version": EXPORTER_VERSION,
            "torch_version": torch.__version__.split("+")[0],
            "family": self.family,
            "architecture": self.architecture,
            "dtype": self.dtype,
            "components": {k: asdict(v) for k, v in self.components.items()},
            "config": self.config,
            "preprocessing": self.preprocessing,
            "tokenizer": self.tokenizer,
            "source": self.source,
            "extra": self.extra,
        }


def write_manifest(out_dir: str, manifest: Manifest) -> str:
    """Write ``manifest.json`` into ``out_dir`` (sorted keys, stable bytes) and return its path."""
    path = os.path.join(out_dir, MANIFEST_FILE)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest.to_json(), f, indent=2, sort_keys=True)
        f.write("\n")
    return path


def file_sha256(path: str) -> str:
    """SHA-256 (hex) of a file's bytes, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def record_file_hashes(out_dir: str) -> dict[str, dict[str, Any]]:
    """Write the ``files`` table into ``out_dir``'s manifest: size and SHA-256 of every top-level file
    but the manifest itself (sub-directories such as ``golden/`` are test data the pipeline never loads).

    The Java side checks every listed file on the driver before a stage runs (pipeline-core
    ``ModelFiles``) and puts the table into stage fingerprints, so it must be written after the last
    file of the directory. Returns the table.
    """
    manifest = read_manifest(out_dir)
    files = {}
    for name in sorted(os.listdir(out_dir)):
        path = os.path.join(out_dir, name)
        if name == MANIFEST_FILE or name.startswith(".") or not os.path.isfile(path):
            continue
        files[name] = {"sha256": file_sha256(path), "size": os.path.getsize(path)}
    for c in manifest.get("components", {}).values():
        if c["file"] not in files:
            raise FileNotFoundError(f"component file {c['file']} missing from {out_dir}")
    manifest["files"] = files
    with open(os.path.join(out_dir, MANIFEST_FILE), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    return files


def read_manifest(out_dir: str) -> dict[str, Any]:
    path = os.path.join(out_dir, MANIFEST_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no {MANIFEST_FILE} in model directory {out_dir}")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def state_dict_sha256(state_dict: dict[str, torch.Tensor]) -> str:
    """A hash of a model's weights that does not depend on file layout: names and bytes, sorted.

    A 0-dim tensor (e.g. CLIP's logit_scale) is hashed as shape [1]: ``view`` cannot reinterpret a 0-dim
    tensor as bytes, and the committed manifests' hashes were recorded in that form.
    """
    h = hashlib.sha256()
    for name in sorted(state_dict):
        t = state_dict[name].detach().to("cpu").contiguous()
        if t.dim() == 0:
            t = t.reshape(1)
        h.update(name.encode("utf-8"))
        h.update(str(t.dtype).encode("utf-8"))
        h.update(str(tuple(t.shape)).encode("utf-8"))
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()
