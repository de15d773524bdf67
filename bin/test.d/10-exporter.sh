#!/usr/bin/env bash
# The exporter's pytest suite, in its pinned virtual environment (bin/python-env creates it once).
set -euo pipefail
venv="$(bin/python-env)"
echo "exporter tests (pytest, venv $venv)"
cd exporter && "$venv/bin/python" -m pytest -q tests
