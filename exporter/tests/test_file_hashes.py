"""The manifest's ``files`` table (size and SHA-256 of every file the pipeline loads): written by
``python -m finerewards_export hash``, checked by the Java side before a stage runs."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

EXPORTER_DIR = Path(__file__).resolve().parents[1]
if str(EXPORTER_DIR) not in sys.path:  # tests import the package from the source tree
    sys.path.insert(0, str(EXPORTER_DIR))

from finerewards_export import cli  # noqa: E402
from finerewards_export.manifest import MANIFEST_FILE, record_file_hashes  # noqa: E402

TINY = EXPORTER_DIR.parent / "models" / "tiny"


def _table_as_on_disk(model_dir: Path) -> dict:
    out = {}
    for f in sorted(model_dir.iterdir()):
        if f.is_file() and f.name != MANIFEST_FILE and not f.name.startswith("."):
            out[f.name] = {"sha256": hashlib.sha256(f.read_bytes()).hexdigest(), "size": f.stat().st_size}
    return out


def test_committed_tiny_models_record_the_hashes_of_their_files():
    # A re-export that forgets the table (or a file changed without re-hashing) fails every stage.
    for model_dir in sorted(p for p in TINY.iterdir() if (p / MANIFEST_FILE).is_file()):
        manifest = json.loads((model_dir / MANIFEST_FILE).read_text())
        assert manifest.get("files") == _table_as_on_disk(model_dir), model_dir.name


def test_hash_command_rewrites_only_the_files_table(tmp_path, capsys):
    d = tmp_path / "llm"
    shutil.copytree(TINY / "llm", d, ignore=shutil.ignore_patterns("golden"))
    before = json.loads((d / MANIFEST_FILE).read_text())
    with open(d / "tokenizer.json", "a", encoding="utf-8") as f:
        f.write(" ")
    assert cli.main(["hash", "--dir", str(d)]) == 0
    assert "recorded 3 file hashes" in capsys.readouterr().out  # lm.pt, lm_cached.pt, tokenizer.json
    after = json.loads((d / MANIFEST_FILE).read_text())
    assert after["files"] == _table_as_on_disk(d)
    assert after["files"]["tokenizer.json"] != before["files"]["tokenizer.json"]
    assert {k: v for k, v in after.items() if k != "files"} == {k: v for k, v in before.items() if k != "files"}


def test_a_missing_component_file_is_an_error(tmp_path):
    d = tmp_path / "llm"
    shutil.copytree(TINY / "llm", d, ignore=shutil.ignore_patterns("golden"))
    (d / "lm.pt").unlink()
    try:
        record_file_hashes(str(d))
    except FileNotFoundError as e:
        assert "lm.pt" in str(e)
    else:
        raise AssertionError("expected FileNotFoundError")
    assert cli.main(["hash", "--dir", str(d)]) == 2
