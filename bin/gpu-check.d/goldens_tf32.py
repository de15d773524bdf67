"""The kernel behind the GPU tolerances (docs/gpu.md): every golden case of the model directories
under ROOT run from PyTorch on DEVICE twice, with cuDNN's TF32 convolutions allowed (PyTorch's
default, and what the Java path gets) and forbidden. Prints the largest |output - golden| of each.

    python goldens_tf32.py ROOT [--device cuda]

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
        for tf32 in (True, False):
            torch.backends.cudnn.allow_tf32 = tf32
            with torch.no_grad():
                got = model(*[t[n].to(device) for n in ins])
            got = got if isinstance(got, (tuple, list)) else (got,)
            worst[tf32] = max((g.float().cpu() - t[o].float()).abs().max().item() for g, o in zip(got, outs))
        print(f"PYTHON-GOLDEN {family}/{comp} {golden}: max|d| cudnn.allow_tf32=True {worst[True]:.3g},"
              f" False {worst[False]:.3g} ({device})")
    torch.backends.cudnn.allow_tf32 = True


if __name__ == "__main__":
    main()
