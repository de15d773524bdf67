#!/usr/bin/env bash
# Analysis-ready outputs: builds the application (default Spark line), runs the embedded demo into a
# fresh run root, then runs every recipe of docs/analysis.md against it (DuckDB, pandas and datasets
# in requirements/analysis.txt's environment; Spark SQL through pyspark from requirements/spark35.txt)
# and checks that tables with images open in Hugging Face datasets as PIL images (analysis/tests).
# About 4 minutes on 2 cores. The run root is removed afterwards, also on failure.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
venv="$(bin/tool-env analysis)"
spark_venv="$(bin/tool-env spark35)"
work="$(mktemp -d "${TMPDIR:-/tmp}/finerewards-analysis.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# clean: the parts before this one leave the Spark 4 build in target/, which bin/finerewards would pick.
mvn -B -ntp -q -DskipTests clean package
echo "analysis: demo run into $work/run"
# conf/local.conf as users run it (20 prompts x 4 samples, 2 rounds), with fewer denoising and
# training steps: the recipes need the tables, not good images.
bin/finerewards run --conf conf/local.conf --set "run.root=$work/run" --set generate.steps=4 --set train.max-steps=20
FINEREWARDS_RUN_ROOT="$work/run" FINEREWARDS_SPARK_PYTHON="$spark_venv/bin/python" \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider analysis/tests
