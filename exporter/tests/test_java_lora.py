"""A LoRA checkpoint written by the Java trainer loads with diffusers' load_lora_weights.

The fixture tests/fixtures/java_lora/pytorch_lora_weights.safetensors is the final checkpoint of
pipeline-core's TrainingRunTest on the tiny model, regenerated with
``mvn -o -pl pipeline-core -am test -Dtest=TrainingRunTest -Dsurefire.failIfNoSpecifiedTests=false
-Dfinerewards.write.lora.fixture=$PWD/exporter/tests/fixtures/java_lora/pytorch_lora_weights.safetensors``.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

EXPORTER_DIR = Path(__file__).resolve().parents[1]
if str(EXPORTER_DIR) not in sys.path:
    sys.path.insert(0, str(EXPORTER_DIR))

from finerewards_export import diffusion_tiny  # noqa: E402

COMMITTED = EXPORTER_DIR.parent / "models" / "tiny" / "diffusion"
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "java_lora" / "pytorch_lora_weights.safetensors"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((COMMITTED / "manifest.json").read_text())


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    torch.manual_seed(diffusion_tiny.SEED)
    return Path(diffusion_tiny.write_snapshot(str(tmp_path_factory.mktemp("snap"))))


def test_java_file_layout(manifest):
    raw = FIXTURE.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    assert header_len % 8 == 0, "header padded so the data section is 8-byte aligned"
    header = json.loads(raw[8 : 8 + header_len])
    assert header["__metadata__"]["format"] == "pt"
    keys = [k for k in header if k != "__metadata__"]
    assert keys == sorted(keys)
    assert set(keys) == {e["diffusers_key"] for e in manifest["extra"]["lora"]["parameters"]}
    with safe_open(str(FIXTURE), framework="pt") as f:
        assert f.metadata()["format"] == "pt"


def test_diffusers_loads_the_java_lora_and_applies_it(snapshot, manifest):
    """load_lora_weights maps every key onto the UNet: its output equals the traced UNet with the
    same LoRA values copied in by the manifest's table, and differs from the base model."""
    from diffusers import StableDiffusionPipeline

    state = load_file(str(FIXTURE))
    assert max(t.abs().max().item() for k, t in state.items() if "lora_B" in k) > 1e-4, "trained B"
    pipe = StableDiffusionPipeline.from_pretrained(str(snapshot), safety_checker=None, requires_safety_checker=False)
    g = load_file(str(COMMITTED / "golden" / "unet.safetensors"))
    with torch.no_grad():
        base = pipe.unet(g["sample"], g["timestep"], g["encoder_hidden_states"]).sample
    pipe.load_lora_weights(str(FIXTURE.parent), weight_name=FIXTURE.name)
    traced = torch.jit.load(str(COMMITTED / "unet.pt"), map_location="cpu").eval()
    params = dict(traced.named_parameters())
    with torch.no_grad():
        for e in manifest["extra"]["lora"]["parameters"]:
            params[e["torchscript_name"]].copy_(state[e["diffusers_key"]])
        with torch.jit.optimized_execution(False):
            expected = traced(g["sample"], g["timestep"], g["encoder_hidden_states"])
        out = pipe.unet(g["sample"], g["timestep"], g["encoder_hidden_states"]).sample
    assert (out - expected).abs().max().item() <= 1e-5
    assert (out - base).abs().max().item() > 1e-6, "the LoRA changes the UNet's output"
