"""Which kernel moves the UNet, VAE decoder and SAM image encoder off their CPU goldens on a GPU
(docs/gpu.md): every golden case of the model directories under ROOT run from PyTorch on DEVICE
under each switch below, printing the largest |output - golden| of each. A switch that brings a
case to the 1e-5 of the CPU names the kernel family; "default" is what the Java path runs.

    python goldens_kernels.py ROOT [--device cuda]

  default    PyTorch's defaults (cuDNN on, its heuristic algorithm choice, TF32 off for matmuls)
  no-tf32    TF32 off for cuBLAS and cuDNN
  no-cudnn   cuDNN off: ATen's own CUDA convolution and normalisation kernels (no Winograd/FFT)
  sdpa-math  scaled_dot_product_attention on its math backend only (no flash / memory-efficient)

Cases are matched as GoldenCases.java matches them: a golden/*.safetensors file with a tensor
named like every input and output (or its alias) of the component's manifest signature.
"""
import argparse
import glob
import json
import os

import torch
from safetensors.torch import load_file

ALIASES = {"diffusion/unet/model_output": "out_lora_zero"}


def _tf32(off):
    torch.backends.cuda.matmul.allow_tf32 = False if off else torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = not off


def _cudnn(off):
    torch.backends.cudnn.enabled = not off


def _sdpa_math(on):
    torch.backends.cuda.enable_flash_sdp(not on)
    torch.backends.cuda.enable_mem_efficient_sdp(not on)
    if hasattr(torch.backends.cuda, "enable_cudnn_sdp"):
        torch.backends.cuda.enable_cudnn_sdp(not on)


# name -> function(enable): set the switch (True) or restore PyTorch's default (False).
SWITCHES = {"default": lambda on: None, "no-tf32": _tf32, "no-cudnn": _cudnn, "sdpa-math": _sdpa_math}


def cases(root):
    for manifest in sorted(glob.glob(os.path.join(root, "*", "manifest.json"))):
        d = os.path.dirname(manifest)
        m = json.load(open(manifest))
        goldens = {g: load_file(g) for g in sorted(glob.glob(os.path.join(d, "golden", "*.safetensors")))}
        for name, c in m["components"].items():
            ins = [t["name"] for t in c["inputs"]]
            outs = [ALIASES.get(f"{m['family']}/{name}/{t['name']}", t["name"]) for t in c["outputs"]]
            ranks = [len(t["shape"]) for t in c["inputs"] + c["outputs"]]
            for g, tensors in goldens.items():
                names = ins + outs
                if all(n in tensors and tensors[n].dim() == r for n, r in zip(names, ranks)):
                    yield m["family"], name, os.path.join(d, c["file"]), os.path.basename(g), tensors, ins, outs


def main():
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("--device", default="cuda")
    a = p.parse_args()
    device = torch.device(a.device)
    for family, comp, file, golden, t, ins, outs in cases(a.root):
        model = torch.jit.load(file, map_location=device).eval()
        worst = {}
        for name, switch in SWITCHES.items():
            switch(True)
            try:
                with torch.no_grad():
                    got = model(*[t[n].to(device) for n in ins])
            finally:
                switch(False)
            got = got if isinstance(got, (tuple, list)) else (got,)
            worst[name] = max((g.float().cpu() - t[o].float()).abs().max().item() for g, o in zip(got, outs))
        print(f"PYTHON-GOLDEN {family}/{comp} {golden} ({device}): max|d| "
              + ", ".join(f"{k} {v:.3g}" for k, v in worst.items()))


if __name__ == "__main__":
    main()
