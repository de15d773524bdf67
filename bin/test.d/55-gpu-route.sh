#!/usr/bin/env bash
# The GPU route without a GPU (docs/gpu.md, issue 19): an installed PyTorch (the exporter venv's pip
# torch 2.7.1, a CUDA build, used in the cpu flavour) through the models.libtorch keys, then the
# device check rehearsed on this CPU.
#  1. `finerewards doctor` with models.libtorch.path: libtorch and JNI load from the venv, not from
#     the native jar; models.device=gpu without a GPU fails with its named reason.
#  2. A JNI stamped for another torch version is refused before the engine starts, naming both.
#  3. bin/gpu-check --rehearse: the bundle (jlinked JRE, trimmed class path, wheels) is built under
#     its size limit, every family's golden cases pass through the Java classes on the installed
#     torch, and the UNet timing runs from Java and Python (tiny sizes).
# Builds what it needs (the default Spark line, no tests); removes its files, also on failure.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
work="$(mktemp -d -t gpu-route-XXXXXX)"
trap 'rm -rf "$work"' EXIT
fail() { echo "gpu-route: FAIL $*" >&2; exit 1; }
venv="$(bin/python-env)"
site="$("$venv/bin/python" -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))')"
lib="$site/torch/lib"
mvn -B -ntp -q -DskipTests package
route=(--set "models.libtorch.path=$lib" --set models.libtorch.flavor=cpu --set "models.libtorch.cache-dir=$work/djl")

echo "gpu-route: 1. finerewards doctor on the venv's torch ($lib)"
bin/finerewards doctor "${route[@]}" > "$work/doctor.out" 2>&1 || { cat "$work/doctor.out"; fail "doctor exited $?"; }
cat "$work/doctor.out"
grep -qF "libtorch (loaded): $lib/libtorch.so, torch 2.7.1, flavour cpu" "$work/doctor.out" || fail "libtorch not loaded from $lib"
grep -qF "JNI: $work/djl/pytorch/2.7.1-cpu-linux-x86_64/0.36.0-libdjl_torch.so" "$work/doctor.out" \
  || fail "the pytorch-jni jar's JNI was not extracted into models.libtorch.cache-dir"
if ! command -v nvidia-smi >/dev/null; then
  set +e; bin/finerewards doctor "${route[@]}" --set models.device=gpu > "$work/gpu.out" 2>&1; rc=$?; set -e
  [ "$rc" = 1 ] && grep -q '^FAIL no-gpu-visible: ' "$work/gpu.out" || { cat "$work/gpu.out"; fail "device=gpu without a GPU: exit $rc"; }
  echo "gpu-route: models.device=gpu without a GPU: $(grep '^FAIL' "$work/gpu.out")"
fi

echo "gpu-route: 2. a JNI stamped for another torch is refused"
echo "2.6.0+cpu" > "$work/djl/pytorch/2.7.1-cpu-linux-x86_64/0.36.0-libdjl_torch.so.torch-version"
set +e; bin/finerewards doctor "${route[@]}" > "$work/stamp.out" 2>&1; rc=$?; set -e
[ "$rc" = 1 ] && grep -q '^FAIL libtorch-unusable: .*built for torch 2.6.0 but .* holds torch 2.7.1' "$work/stamp.out" \
  || { cat "$work/stamp.out"; fail "a JNI stamped 2.6.0 with torch 2.7.1: exit $rc"; }
echo "gpu-route: $(grep '^FAIL' "$work/stamp.out" | cut -c1-160)..."

echo "gpu-route: 3. the device check, rehearsed on the CPU"
bin/gpu-check --out "$work/bundle" --rehearse
echo "gpu-route: ok"
