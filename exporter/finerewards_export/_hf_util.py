"""Shared plumbing of the clip, captioner, segmenter and llm exporters.

Checks a Hugging Face checkpoint before loading it, traces a wrapper module and proves the saved
TorchScript reproduces eager, and writes golden cases with a README that documents every tensor.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import torch

from .device_agnostic import fixed_devices_in_file, make_device_agnostic
from .errors import ExportError, require_dir, require_safetensors
from .golden import save_json, save_tensors
from .tracing import trace_and_save

DTYPES = {"float32": torch.float32, "float16": torch.float16}


def torch_dtype(name: str) -> torch.dtype:
    if name not in DTYPES:
        raise ExportError(f"--dtype {name!r}: expected one of {sorted(DTYPES)} (DJL's PyTorch JNI has no bfloat16)")
    return DTYPES[name]


def check_checkpoint(checkpoint: str, accepted_architectures: Sequence[str]) -> dict[str, Any]:
    """Validate a local Hugging Face checkpoint directory and return its config.json.

    Fails, naming the path, when the directory or config.json is missing, when config.json's
    ``architectures`` is not one this family exports, or when there are no safetensors weights
    (pickled ``.bin``/``.pt`` weights can run code on load, so they are refused).
    """
    require_dir(checkpoint, "checkpoint directory")
    cfg_path = os.path.join(checkpoint, "config.json")
    if not os.path.isfile(cfg_path):
        raise ExportError(f"no config.json in checkpoint directory {checkpoint}")
    try:
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
    except json.JSONDecodeError as e:
        raise ExportError(f"{cfg_path} is not valid JSON: {e}") from e
    archs = cfg.get("architectures") or []
    if not any(a in accepted_architectures for a in archs):
        raise ExportError(
            f"{cfg_path}: architectures={archs} is not supported by this exporter; "
            f"expected one of {list(accepted_architectures)}"
        )
    require_safetensors(checkpoint, "checkpoint directory")
    return cfg


def load_pretrained(model_cls, checkpoint: str, dtype: torch.dtype, trust_remote_code: bool = False, **kwargs):
    """Load safetensors weights only, with eager attention (traceable) and tuple outputs."""
    model = model_cls.from_pretrained(
        checkpoint,
        use_safetensors=True,
        trust_remote_code=trust_remote_code,
        torch_dtype=dtype,
        torchscript=True,
        attn_implementation="eager",
        **kwargs,
    )
    return model.eval()


def save_tokenizer_json(checkpoint: str, out_path: str, trust_remote_code: bool = False):
    """Write the checkpoint's fast tokenizer as tokenizer.json and return the transformers tokenizer."""
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(checkpoint, use_fast=True, trust_remote_code=trust_remote_code)
    except Exception as e:  # conversion from sentencepiece needs extra packages
        raise ExportError(
            f"cannot load a fast tokenizer from {checkpoint}: {e}. A checkpoint with only tokenizer.model "
            "needs the 'sentencepiece' and 'protobuf' packages to convert it to tokenizer.json"
        ) from e
    if not getattr(tok, "is_fast", False):
        raise ExportError(f"{checkpoint}: no fast tokenizer available; tokenizer.json cannot be written")
    from .tokenizers_tiny import save_tokenizer

    save_tokenizer(tok.backend_tokenizer, os.path.dirname(out_path), os.path.basename(out_path))
    return tok


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    if a.shape != b.shape:
        return float("inf")
    if not a.is_floating_point():
        return 0.0 if torch.equal(a, b) else float("inf")
    return (a.double() - b.double()).abs().max().item() if a.numel() else 0.0


def trace_and_verify(module: torch.nn.Module, example_inputs: tuple, path: str,
                     check_inputs: Iterable[tuple] = (), atol: float = 1e-5) -> torch.jit.ScriptModule:
    """Trace ``module``, save it to ``path``, load it back and compare with eager.

    ``check_inputs`` should include shapes other than the example's (another batch size or
    length) so that a size baked into the trace is caught here, not in Java. Inputs are moved to
    the device of the module's parameters. Device constants recorded by the trace are replaced
    by the inputs' device (see device_agnostic), so one file serves CPU and any GPU.
    """
    module = module.eval()
    device = next(module.parameters()).device
    example_inputs = to_device(example_inputs, device)
    check_inputs = [to_device(c, device) for c in check_inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        trace_and_save(module, example_inputs, path)
    traced = torch.jit.load(path, map_location=device)
    make_device_agnostic(traced)  # runs on the inputs' device, not the tracing device
    traced.save(path)
    if fixed_devices_in_file(path):
        raise ExportError(f"{path}: device constants remain in {fixed_devices_in_file(path)}")
    loaded = torch.jit.load(path, map_location=device)
    with torch.no_grad():
        for inputs in [example_inputs, *check_inputs]:
            want, got = module(*inputs), loaded(*inputs)
            want, got = (want if isinstance(want, tuple) else (want,)), (got if isinstance(got, tuple) else (got,))
            diff = max(max_abs_diff(w, g) for w, g in zip(want, got)) if len(want) == len(got) else float("inf")
            if not diff <= atol:
                raise ExportError(f"{path}: reloaded TorchScript differs from eager by {diff:.3g} > {atol} on "
                                  f"input shapes {[tuple(t.shape) for t in inputs]}")
    return loaded


def tensor_spec(name: str, shape: Sequence[int], dtype: str):
    from .manifest import TensorSpec

    return TensorSpec(name=name, shape=list(shape), dtype=dtype)


@dataclass
class GoldenWriter:
    """Writes ``golden/<case>.safetensors`` / ``.json`` and a README documenting each of them."""

    golden_dir: str
    title: str
    intro: str = ""
    _sections: list[str] = field(default_factory=list)

    def __post_init__(self):
        os.makedirs(self.golden_dir, exist_ok=True)

    def case(self, name: str, what: str, tensors: dict[str, tuple[torch.Tensor, str]],
             meta: dict[str, Any] | None = None, meta_doc: dict[str, str] | None = None):
        """``tensors`` maps name to (tensor, description); only float32 and int64 are written."""
        lines = [f"## `{name}`", "", what, ""]
        if tensors:
            out = {}
            lines += [f"`{name}.safetensors`:", "", "| tensor | dtype | shape | meaning |", "|---|---|---|---|"]
            for key in sorted(tensors):
                t, doc = tensors[key]
                t = t.detach().cpu().contiguous()
                if t.dtype not in (torch.float32, torch.int64):
                    raise ValueError(f"golden tensor {name}/{key} has dtype {t.dtype}; only float32/int64 allowed")
                out[key] = t
                lines.append(f"| `{key}` | {str(t.dtype).replace('torch.', '')} | {list(t.shape)} | {doc} |")
            save_tensors(os.path.join(self.golden_dir, f"{name}.safetensors"), out, metadata={"case": name})
            lines.append("")
        if meta is not None:
            save_json(os.path.join(self.golden_dir, f"{name}.json"), meta)
            lines += [f"`{name}.json`:", ""]
            for key in sorted(meta):
                lines.append(f"- `{key}`: {(meta_doc or {}).get(key, '')}".rstrip(": ").rstrip())
            lines.append("")
        self._sections.append("\n".join(lines))

    def finish(self):
        text = [f"# {self.title}", "", self.intro.strip(), "",
                "Tensors are stored with safetensors (float32 or int64, row-major); metadata in JSON.",
                "Regenerate with the exporter's tiny mode (see exporter/README.md); never edit by hand.", ""]
        with open(os.path.join(self.golden_dir, "README.md"), "w", encoding="utf-8") as f:
            f.write("\n".join(text + self._sections))


def seeded(seed: int) -> torch.Generator:
    g = torch.Generator().manual_seed(seed)
    return g


def fixed_rgb_image(height: int, width: int, seed: int):
    """A deterministic uint8 RGB test image: smooth gradients plus seeded noise (exercises resampling)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    img = np.stack(
        [
            (255 * xx / max(width - 1, 1)),
            (255 * yy / max(height - 1, 1)),
            127 + 100 * np.sin((xx + 2 * yy) / 3.0),
        ],
        axis=-1,
    )
    img = img + rng.integers(-40, 41, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)



def weights_sha256(state_dict: dict[str, torch.Tensor]) -> str:
    """``manifest.state_dict_sha256``, with 0-dim tensors (e.g. CLIP's logit_scale) hashed as shape [1].

    manifest.state_dict_sha256 cannot view a 0-dim tensor as bytes; reported to the manifest owner.
    """
    from .manifest import state_dict_sha256

    return state_dict_sha256({k: (v.reshape(1) if v.dim() == 0 else v) for k, v in state_dict.items()})


def resolve_device(name: str | None) -> torch.device:
    """The device to trace on. A trace records device constants, so files traced on CPU are for CPU use
    and files traced on CUDA for CUDA use; export once per device type."""
    try:
        device = torch.device(name or "cpu")
    except RuntimeError as e:
        raise ExportError(f"--device {name!r}: not a torch device ({e})") from e
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ExportError(f"--device {name}: no CUDA device is visible to torch")
    if device.type not in ("cpu", "cuda"):
        raise ExportError(f"--device {name}: expected cpu or cuda[:N]")
    return device


def to_device(inputs: tuple, device: torch.device) -> tuple:
    return tuple(t.to(device) for t in inputs)
