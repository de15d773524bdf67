"""Pins libtorch's kernel choice for the whole suite, before torch is imported.

The golden checks compare against tensors computed once and committed. On x86 the numbers a
kernel gives depend on the CPU: MKL's sgemm picks its code path by CPU (MKL_CBWR=COMPATIBLE makes
it the same everywhere), ATen's vectorised kernels by the widest ISA (avx2 exists on every CI
machine), oneDNN's convolutions by ISA (ONEDNN_MAX_CPU_ISA), and reductions split by the thread
count. The Java tests set the same variables (the parent pom's surefire configuration); what each
one changed on the machine we measured is in docs/seeds.md. These variables are read when the
libraries load, so setting them here only works because pytest imports this file before any test
module imports torch.
"""
import os
import sys

PINNED = {
    "MKL_CBWR": "COMPATIBLE",
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "OMP_NUM_THREADS": "1",
}
if "torch" in sys.modules:
    raise RuntimeError("tests/conftest.py must pin kernels before torch loads; something imported torch first")
for key, value in PINNED.items():
    os.environ[key] = value

import torch  # noqa: E402  (after the pins on purpose)

torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
