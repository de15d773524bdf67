"""Fixtures of the analysis tests: a finished run root (made by bin/test.d/80-analysis.sh with the
demo), the recipes of docs/analysis.md, and the run's tables read with plain pyarrow for the
independently computed expectations."""

from __future__ import annotations

import glob
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pyarrow as pa
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


def run_spark_recipes(runs: list[tuple[pathlib.Path, pathlib.Path, list[str]]]) -> list[dict]:
    """The Spark recipes' results for each (root, out, only), from analysis/spark_recipes.py in
    pyspark's own environment, in one Spark session."""
    python = os.environ.get("FINEREWARDS_SPARK_PYTHON")
    if not python:
        pytest.fail("FINEREWARDS_SPARK_PYTHON is not set (the python of $(bin/tool-env spark35))")
    cmd = [python, str(HERE.parent / "spark_recipes.py")]
    for root, out, only in runs:
        cmd += ["--run", str(root), str(out), *only]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise AssertionError(f"spark recipes failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return [json.loads(out.read_text(encoding="utf-8")) for _, out, _ in runs]


MISSING_REWARD = "missing reward sam_reward"


@pytest.fixture(scope="session")
def missing_reward_root(run_root, tmp_path_factory) -> tuple[pathlib.Path, str]:
    """A copy of the run's prompts and ranked tables in which one prompt's round-0 candidates all
    miss a reward, as the rank stage writes them then (the demo's rewards are never missing).
    Returns the copy's root and the prompt id."""
    root = tmp_path_factory.mktemp("missing-reward") / "run"
    # Without Hadoop's .crc side files: Spark would check the rewritten files against them.
    for table in ("prompts", "ranked"):
        shutil.copytree(run_root / table, root / table, ignore=shutil.ignore_patterns("*.crc"))
    files = sorted((root / "ranked" / "round=0").glob("*.parquet"))
    victim = min(r["prompt_id"] for f in files for r in pq.read_table(f).to_pylist())
    for f in files:
        table = pq.read_table(f)
        rows = table.to_pylist()
        for r in rows:
            if r["prompt_id"] == victim:
                r.update(assembled_score=None, rank_in_prompt=None, selected=False, excluded_reason=MISSING_REWARD,
                         rewards=[(k, None if k == "sam_reward" else v) for k, v in r["rewards"]])
        pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), f)
    return root, victim


@pytest.fixture(scope="session")
def spark_runs(run_root, missing_reward_root, tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("spark")
    demo, missing = run_spark_recipes([(run_root, out / "demo.json", []),
                                       (missing_reward_root[0], out / "missing.json", ["no-valid-candidate"])])
    return {"demo": demo, "missing-reward": missing}


@pytest.fixture(scope="session")
def spark_results(spark_runs) -> dict:
    return spark_runs["demo"]
