#!/usr/bin/env bash
# The HTML report in a real browser: runs a small demo run through
# evaluate and report on the tiny models with hostile prompts (conf/demo/hostile-prompts.jsonl:
# markup, right-to-left text, newlines, emoji), opens <root>/report/index.html in headless Chromium
# (Debian's chromium, installed when missing) and checks: no console error, no script run from data,
# every chart drawn, every gallery image loaded, the hostile prompts shown as text. Screenshots go to
# target/report-test/. The run root is a temporary directory, removed on exit (also on failure).
set -euo pipefail
out="target/report-test"
mkdir -p "$out"
run_root="$(mktemp -d "${TMPDIR:-/tmp}/finerewards-report-test.XXXXXX")"
trap 'rm -rf "$run_root"' EXIT

if ! command -v chromium >/dev/null 2>&1; then
  echo "report test: installing Debian's chromium"
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

# Parts 20/30 build and install the current code; build here only when run on its own (--only).
if ! ls pipeline-jobs/target/finerewards-*-spark*.jar >/dev/null 2>&1; then
  echo "report test: building (mvn -DskipTests package)"
  mvn -B -ntp -q -DskipTests package
fi

prompts=conf/demo/hostile-prompts.jsonl
echo "report test: demo run (2 rounds, every reward, evaluate and report) under $run_root"
start=$(date +%s)
bin/finerewards run --conf conf/local.conf --set "run.root=\"$run_root\"" --set run.rounds=2 \
  --set "prompts.path=$prompts" --set "evaluate.prompts.path=$prompts" \
  --set generate.samples-per-prompt=2 --set generate.steps=2 --set evaluate.samples-per-prompt=1 \
  --set train.max-steps=2 --set report.gallery-size=3 >"$out/run.log" 2>&1 \
  || { tail -n 40 "$out/run.log"; echo "report test: the demo run failed (log: $out/run.log)"; exit 1; }
echo "report test: run took $(( $(date +%s) - start )) s"
grep -E '^(evaluate|report) round=|^  (checkpoint|base model|LoRA of round)' "$out/run.log" | grep -v 'rows/s' || true

# Every hostile prompt must appear literally (as text, not markup) in the page.
expect=()
while IFS= read -r text; do expect+=(--expect-text "$text"); done < <(python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    print(json.loads(line)["prompt"].split("\n")[0])' "$prompts")
python3 bin/test.d/report-browser-check.py --chromium chromium --page "$run_root/report/index.html" \
  --screenshot "$out/report.png" --gallery-screenshot "$out/report-gallery.png" "${expect[@]}"
