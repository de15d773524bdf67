"""Fixtures of the analysis tests: a finished run root (made by bin/test.d/80-analysis.sh with the
demo), the recipes of docs/analysis.md, and the run's tables read with plain pyarrow for the
independently computed expectations."""

from __future__ import annotations

import glob
import json
import os
import pathlib
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import recipes  # noqa: E402


@pytest.fixture(scope="session")
def run_root() -> pathlib.Path:
    root = os.environ.get("FINEREWARDS_RUN_ROOT")
    if not root:
        pytest.fail("FINEREWARDS_RUN_ROOT is not set: run these tests through bin/test.d/80-analysis.sh, "
                    "which runs the demo into a fresh run root first")
    path = pathlib.Path(root).resolve()
    if not (path / "ranked").is_dir():
        pytest.fail(f"FINEREWARDS_RUN_ROOT={path} holds no finished run (no ranked table)")
    return path


@pytest.fixture(scope="session")
def all_recipes() -> list[recipes.Recipe]:
    return recipes.load()


def read_rows(root: pathlib.Path, table: str) -> list[dict]:
    """Every row of a table as a dict, with round from its directory: pyarrow only, no query engine."""
    rows = []
    for f in sorted(glob.glob(str(root / table / "round=*" / "*.parquet"))):
        r = int(pathlib.Path(f).parent.name.split("=", 1)[1])
        for row in pq.read_table(f).to_pylist():
            row["round"] = r
            rows.append(row)
    if not rows:
        raise AssertionError(f"table {table} under {root} has no rows")
    return rows


def checkpoints(root: pathlib.Path) -> list[dict]:
    out = []
    for f in sorted(glob.glob(str(root / "checkpoints" / "round=*" / "checkpoint.json"))):
        with open(f, encoding="utf-8") as fh:
            out.append(json.load(fh))
    return out


def run_spark_recipes(root: pathlib.Path, out: pathlib.Path, only: list[str] | None = None) -> dict:
    """The Spark recipes' results, from analysis/spark_recipes.py in pyspark's own environment."""
    python = os.environ.get("FINEREWARDS_SPARK_PYTHON")
    if not python:
        pytest.fail("FINEREWARDS_SPARK_PYTHON is not set (the python of $(bin/tool-env spark35))")
    cmd = [python, str(HERE.parent / "spark_recipes.py"), "--root", str(root), "--out", str(out)]
    if only:
        cmd += ["--only", *only]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise AssertionError(f"spark recipes failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def spark_results(run_root, tmp_path_factory) -> dict:
    return run_spark_recipes(run_root, tmp_path_factory.mktemp("spark") / "results.json")
