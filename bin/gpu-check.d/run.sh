#!/usr/bin/env bash
# The device check's runner (docs/gpu.md): run from the repository root on the machine to check,
# with the bundle that bin/gpu-check built. One call, a few minutes on a GPU:
#
#   bin/gpu-check.d/run.sh [--rehearse] [BUNDLE]         (BUNDLE: default target/gpu-check)
#
# (a) every family's golden cases through the project's Java classes on CUDA in float32, with the
#     GPU tolerances of GoldenTolerance, and the same cases from PyTorch under kernel switches
#     (TF32, cuDNN, attention backend), to name the kernel behind those tolerances;
# (b) the tiny demo through pipeline-core with models.device=gpu: not built yet, says so;
# (c) a real-size SD 1.5 UNet with random weights, traced on the device by PyTorch (512x512,
#     batch 8, 25 steps), timed from Java and from PyTorch: images/s and peak device memory.
# It uses the machine's own torch (python3, or GPU_CHECK_PYTHON) as an installed libtorch
# (models.libtorch route of docs/gpu.md), the bundle's JNI built for that torch, and the bundle's
# wheels for diffusers when the machine has none.
# --rehearse: the same steps on this machine's CPU (flavour cpu, CPU tolerances and pinned CPU
# kernels, a tiny UNet), printing what the GPU run would do instead.
# Writes its log to $OUT/gpu-check.log (OUT: the device tool's output folder; default BUNDLE/out).
# Exit code: 0 when (a) passed and (c) ran, 1 otherwise.
set -uo pipefail
rehearse=0
[ "${1:-}" = --rehearse ] && { rehearse=1; shift; }
bundle="$(cd "${1:-target/gpu-check}" && pwd)" || { echo "gpu-check: no bundle; build it with bin/gpu-check" >&2; exit 1; }
out="${OUT:-$bundle/out}"
mkdir -p "$out"
exec > >(tee "$out/gpu-check.log") 2>&1
work="$(mktemp -d -t gpu-check-XXXXXX)"
trap 'rm -rf "$work"' EXIT
status=0
say() { echo "gpu-check: $*"; }

PY="${GPU_CHECK_PYTHON:-python3}"
read -r site tv cuda_ver pyver < <("$PY" -c 'import os, sys, torch
print(os.path.dirname(os.path.dirname(torch.__file__)), torch.__version__, torch.version.cuda or "-", "%d.%d" % sys.version_info[:2])') \
  || { say "FAIL no torch in $PY"; exit 1; }
plain="${tv%%+*}"
if [ "$rehearse" = 1 ]; then
  flavor=cpu device=cpu pydevice=cpu
  # The CPU kernels the golden files assume (as the surefire configuration pins them).
  export MKL_CBWR=COMPATIBLE ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 OMP_NUM_THREADS=1
  say "REHEARSAL on the CPU: on a GPU this runs with flavour cu${cuda_ver//./}, --device gpu, GPU tolerances and the real-size UNet"
else
  [ "$cuda_ver" != - ] || { say "FAIL torch $tv is not a CUDA build"; exit 1; }
  flavor="cu${cuda_ver//./}" device=gpu pydevice=cuda
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
fi
say "torch $tv (CUDA $cuda_ver, Python $pyver) at $site; flavour $flavor; $(date -u +%FT%TZ)"
cudart=""
for d in "$site/nvidia/cu13/lib" "$site/nvidia/cuda_runtime/lib"; do
  ls "$d"/libcudart.so* >/dev/null 2>&1 && { cudart="$d"; break; }
done

# The JNI: torch 2.7.1 uses the pytorch-jni jar's; any other needs the one the bundle carries.
cache="$work/djl-cache"
mkdir -p "$cache/pytorch"
java="$bundle/jre/bin/java"
[ -x "$java" ] || { tar -xJf "$bundle/jre.tar.xz" -C "$work" && java="$work/jre/bin/java"; }
if [ "$plain" != 2.7.1 ]; then
  jni="$bundle/jni/$plain-$flavor-linux-x86_64"
  if [ -f "$jni/0.36.0-libdjl_torch.so" ]; then
    cp -r "$jni" "$cache/pytorch/"
  elif [ -d "$bundle/djl-src" ]; then
    say "building DJL's JNI against torch $tv here (bin/build-djl-jni, no JDK: header and jni.h from the bundle)"
    nvcc_root=""
    command -v nvcc >/dev/null || { [ -x /usr/local/cuda/bin/nvcc ] && nvcc_root=/usr/local/cuda; }
    t0=$SECONDS
    bin/build-djl-jni --djl-src "$bundle/djl-src" --torch "$site" --flavor "$flavor" --cache-dir "$cache" \
      --header-dir "$bundle/jni-header" --java-include "$bundle/java-include" \
      --jvm-lib "$(dirname "$(dirname "$java")")/lib/server/libjvm.so" ${nvcc_root:+--nvcc-root "$nvcc_root"} \
      || { say "FAIL building the JNI for torch $tv"; exit 1; }
    say "JNI built in $((SECONDS - t0)) s"
  else
    say "FAIL the bundle has no JNI for torch $plain ($flavor) and no DJL sources to build one: rebuild it with" \
        "bin/gpu-check --djl-src <DJL v0.36.0 checkout> (docs/gpu.md)"
    exit 1
  fi
elif [ "$rehearse" = 1 ] && [ -d "$bundle/djl-src" ]; then
  say "torch 2.7.1 takes the JNI of the pytorch-jni jar; on the GPU machine (torch 2.11) this step builds" \
      "DJL's JNI from $bundle/djl-src with bin/build-djl-jni --header-dir ... (about a minute)"
fi
dc=("$java" -cp "$bundle/lib/*" ai.finerewards.core.devicecheck.DeviceCheck --libtorch-path "$site/torch/lib"
    --flavor "$flavor" --cache-dir "$cache")
[ -n "$cudart" ] && dc+=(--cuda-runtime-path "$cudart")

# Python: diffusers from the machine, else from the bundle's wheels.
if ! "$PY" -c 'import diffusers, safetensors' 2>/dev/null; then
  # --no-deps: the wheels are diffusers' closure less what torch brings (filelock, fsspec, typing-extensions).
  "$PY" -m pip install --quiet --no-index --no-deps --target "$work/pylib" "$bundle"/wheels/*.whl \
    || { say "FAIL cannot install the bundle's wheels (built for Python 3.12) into Python $pyver"; status=1; }
  export PYTHONPATH="$work/pylib${PYTHONPATH:+:$PYTHONPATH}"
fi

say "(a) golden cases through the Java classes on $device"
"${dc[@]}" goldens --models models/tiny --device "$device" || status=1
say "(a) the same cases from PyTorch under kernel switches (TF32, cuDNN, attention backend)"
"$PY" bin/gpu-check.d/goldens_kernels.py models/tiny --device "$pydevice" || status=1

say "(b) NOT BUILT: the tiny demo through pipeline-core on $device in fp32/fp16 (generate, caption, segment, score)"

if [ "$rehearse" = 1 ]; then
  unet_args=(--side 64 --batch 2 --steps 3) tiny=--tiny
  say "(c) tiny UNet on the CPU (on a GPU: SD 1.5's real UNet, --side 512 --batch 8 --steps 25)"
else
  unet_args=(--side 512 --batch 8 --steps 25) tiny=""
  say "(c) SD 1.5 UNet, random weights, traced on the device"
fi
py_line="$("$PY" bin/gpu-check.d/sd15_unet.py "$work/unet.pt" "${unet_args[@]}" --device "$pydevice" $tiny 2>"$work/trace.err" | grep '^PYTHON')" \
  || { tail -n 20 "$work/trace.err"; status=1; }
echo "$py_line"
java_line="$("${dc[@]}" unet --file "$work/unet.pt" --device "$device" "${unet_args[@]}" | grep '^JAVA')" || status=1
echo "$java_line"
py_ips="$(echo "$py_line" | grep -oE '[0-9.]+ images/s' | cut -d' ' -f1)"
java_ips="$(echo "$java_line" | grep -oE '[0-9.]+ images/s' | cut -d' ' -f1)"
if [ -n "$py_ips" ] && [ -n "$java_ips" ]; then
  ratio="$(awk -v j="$java_ips" -v p="$py_ips" 'BEGIN { printf "%.3f", j / p }')"
  goal="$(awk -v r="$ratio" 'BEGIN { print (r >= 0.95) ? "meets" : "misses" }')"
  say "(c) Java/Python images/s = $ratio ($goal the goal of 0.95)"
fi
say "done, exit $status"
exit "$status"
