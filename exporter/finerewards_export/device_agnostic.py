"""Make a traced TorchScript module run on whatever device its inputs are on.

``torch.jit.trace`` records the device of every tensor the model creates on the fly as a constant:
transformers' ``torch.arange(..., device=x.device)`` becomes ``device=torch.device("cpu")`` (or
``"cuda:0"``) in the saved code. A file traced on CPU then mixes CPU and GPU tensors when DJL runs
it on a GPU, and a file traced on ``cuda:0`` fails on ``cuda:1``. This pass replaces each such
constant by ``prim::device`` of the graph's first tensor input, which is on the model's device.
"""

from __future__ import annotations

import zipfile

import torch


def make_device_agnostic(module: torch.jit.ScriptModule) -> int:
    """Rewrite device constants in the forward graph of ``module`` and every submodule, in place.

    Returns the number of constants replaced. Raises if a graph creates tensors on a fixed device
    but has no tensor input to take the device from.
    """
    replaced = 0
    for name, sub in module.named_modules():
        try:
            graph = sub._c._get_method("forward").graph
        except RuntimeError:
            continue  # a container without forward (e.g. ModuleList)
        constants = [n for n in graph.findAllNodes("prim::Constant") if n.output().type().kind() == "DeviceObjType"]
        if not constants:
            continue
        tensor_inputs = [v for v in list(graph.inputs())[1:] if v.type().kind() == "TensorType"]
        if not tensor_inputs:
            raise RuntimeError(f"submodule {name or '<root>'!r} creates tensors on a fixed device but has no tensor "
                               "input to take the device from")
        device = graph.create("prim::device", [tensor_inputs[0]])
        device.output().setType(constants[0].output().type())
        device.insertBefore(next(iter(graph.nodes())))
        for node in constants:
            node.output().replaceAllUsesWith(device.output())
            node.destroy()
            replaced += 1
    return replaced


def fixed_devices_in_file(path: str) -> list[str]:
    """Code files of a saved TorchScript archive that still name a device literally (should be none)."""
    with zipfile.ZipFile(path) as z:
        return [n for n in z.namelist() if n.endswith(".py") and b"torch.device(" in z.read(n)]
