"""CLI and bad input: every refusal names the file, key or version and says what was expected."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import torch

EXPORTER_DIR = Path(__file__).resolve().parents[1]
if str(EXPORTER_DIR) not in sys.path:  # tests import the package from the source tree
    sys.path.insert(0, str(EXPORTER_DIR))

from finerewards_export import cli, diffusion, diffusion_tiny, families  # noqa: E402
from finerewards_export.errors import ExportError, check_torch_version  # noqa: E402

COMMITTED_TOKENIZER = EXPORTER_DIR.parent / "models" / "tiny" / "diffusion" / "tokenizer.json"


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    torch.manual_seed(diffusion_tiny.SEED)
    return Path(diffusion_tiny.write_snapshot(str(tmp_path_factory.mktemp("snap"))))


@pytest.fixture
def copy(snapshot, tmp_path) -> Path:
    """A private copy of the tiny snapshot for a test to break."""
    return Path(shutil.copytree(snapshot, tmp_path / "ckpt"))


def _export(capsys, checkpoint, out, *extra) -> tuple[int, str]:
    rc = cli.main(["export", "--family", "diffusion", "--checkpoint", str(checkpoint), "--out", str(out), *extra])
    return rc, capsys.readouterr().err


def _edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def test_missing_checkpoint_directory(capsys, tmp_path):
    rc, err = _export(capsys, tmp_path / "nope", tmp_path / "out")
    assert rc == 2
    assert "checkpoint directory not found" in err and str(tmp_path / "nope") in err


def test_single_file_checkpoint_is_refused(capsys, tmp_path):
    ckpt = tmp_path / "v1-5-pruned.ckpt"
    ckpt.write_bytes(b"not a snapshot")
    rc, err = _export(capsys, ckpt, tmp_path / "out")
    assert rc == 2 and "must be a directory" in err and str(ckpt) in err


def test_directory_without_model_index(capsys, tmp_path):
    rc, err = _export(capsys, tmp_path, tmp_path / "out")
    assert rc == 2 and "no model_index.json" in err and "diffusers Stable Diffusion snapshot" in err


def test_bin_only_weights_are_refused(capsys, copy, tmp_path):
    unet = copy / "unet"
    (unet / "diffusion_pytorch_model.safetensors").unlink()
    (unet / "diffusion_pytorch_model.bin").write_bytes(b"pickle")
    rc, err = _export(capsys, copy, tmp_path / "out")
    assert rc == 2
    assert str(unet) in err and "diffusion_pytorch_model.bin" in err and "expected *.safetensors" in err
    assert not (tmp_path / "out").exists(), "nothing is written before the checks pass"


def test_state_dict_option_reaches_only_the_clip_family(capsys, tmp_path):
    """--state-dict is a clip option: the diffusion exporter must not silently accept it."""
    rc, err = _export(capsys, tmp_path / "nope", tmp_path / "out", "--state-dict", "hps.pt")
    assert rc == 2 and "--state-dict is not an option of family 'diffusion'" in err


def test_missing_weights(capsys, copy, tmp_path):
    (copy / "vae" / "diffusion_pytorch_model.safetensors").unlink()
    rc, err = _export(capsys, copy, tmp_path / "out")
    assert rc == 2 and str(copy / "vae") in err and "has no weights" in err


def test_sdxl_pipeline_is_unsupported(capsys, copy, tmp_path):
    _edit_json(copy / "model_index.json", _class_name="StableDiffusionXLPipeline", text_encoder_2=["transformers", "CLIPTextModelWithProjection"])
    rc, err = _export(capsys, copy, tmp_path / "out")
    assert rc == 2
    assert "unsupported architecture" in err and "StableDiffusionXLPipeline" in err and "model_index.json" in err


def test_sdxl_unet_config_is_unsupported(capsys, copy, tmp_path):
    _edit_json(copy / "unet" / "config.json", addition_embed_type="text_time")
    rc, err = _export(capsys, copy, tmp_path / "out")
    assert rc == 2
    assert "unsupported architecture" in err and str(copy / "unet" / "config.json") in err and "addition_embed_type" in err


def test_custom_component_code_is_never_loaded(capsys, copy, tmp_path):
    _edit_json(copy / "model_index.json", unet=["my_package", "MyUNet"])
    rc, err = _export(capsys, copy, tmp_path / "out", "--trust-remote-code")
    assert rc == 2 and "'unet'" in err and "my_package" in err and "custom component code is never loaded" in err
    assert "warning: --trust-remote-code" in err


def test_invalid_json_names_the_file(capsys, copy, tmp_path):
    (copy / "model_index.json").write_text("{ not json")
    rc, err = _export(capsys, copy, tmp_path / "out")
    assert rc == 2 and str(copy / "model_index.json") in err and "not valid JSON" in err


def test_snapshot_with_only_slow_tokenizer_files(copy, tmp_path):
    """SD 1.5 ships tokenizer/vocab.json + merges.txt without tokenizer.json: it is converted."""
    from tokenizers import Tokenizer

    (copy / "tokenizer" / "tokenizer.json").unlink()
    tokenizer = diffusion.load_snapshot(str(copy))[3]
    path = diffusion.write_tokenizer(tokenizer, str(tmp_path))
    converted, committed = Tokenizer.from_file(path), Tokenizer.from_file(str(COMMITTED_TOKENIZER))
    for text in ["a cat sitting on a red chair", "Two DOGS, 1 frisbee!", "Zürich café", ""]:
        ids = converted.encode(text).ids
        assert ids == committed.encode(text).ids and len(ids) == 77, text


def test_trust_remote_code_is_off_by_default():
    args = cli._parser().parse_args(["export", "--family", "diffusion", "--checkpoint", "c", "--out", "o"])
    assert args.trust_remote_code is False


def test_bad_lora_rank(capsys, copy, tmp_path):
    rc, err = _export(capsys, copy, tmp_path / "out", "--lora-rank", "0")
    assert rc == 2 and "--lora-rank must be >= 1, got 0" in err


def test_torch_version_mismatch_names_both_versions(capsys, monkeypatch, tmp_path):
    with pytest.raises(ExportError, match=r"found torch 2\.5\.1, expected torch 2\.7\.1"):
        check_torch_version("2.5.1+cu121")
    check_torch_version("2.7.1+cpu")  # local version tags do not matter
    monkeypatch.setattr(torch, "__version__", "2.8.0")
    rc = cli.main(["tiny", "--out", str(tmp_path), "--family", "diffusion"])
    err = capsys.readouterr().err
    assert rc == 2 and "2.8.0" in err and "2.7.1" in err
    assert not (tmp_path / "diffusion").exists()


def test_unavailable_family_is_skipped_with_a_message(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(families.MODULES, "segmenter", "finerewards_export.no_such_module")
    rc = cli.main(["tiny", "--out", str(tmp_path), "--family", "segmenter"])
    err = capsys.readouterr().err
    assert rc == 2  # asked for explicitly, so the run fails
    assert "skipping segmenter" in err and "not available yet" in err and "no_such_module" in err


def test_export_command_writes_a_loadable_model_directory(capsys, snapshot, tmp_path):
    rc, err = _export(capsys, snapshot, tmp_path, "--lora-rank", "2")
    out = tmp_path / "diffusion"
    assert rc == 0, err
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["manifest.json", "scheduler_config.json", "text_encoder.pt", "tokenizer.json", "unet.pt", "vae_decoder.pt", "vae_encoder.pt"]
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["extra"]["lora"]["rank"] == 2 and manifest["extra"]["lora"]["alpha"] == 2
    assert manifest["source"]["checkpoint"] == str(snapshot.absolute())
    a_shapes = [p["shape"] for p in manifest["extra"]["lora"]["parameters"] if p["matrix"] == "A"]
    assert a_shapes and all(s[0] == 2 for s in a_shapes)
    unet = torch.jit.load(str(out / "unet.pt"))
    names = {n for n, _ in unet.named_parameters()}
    assert {p["torchscript_name"] for p in manifest["extra"]["lora"]["parameters"]} <= names
