"""Every committed TorchScript file must run on any device. A traced shape value (prim::NumToTensor)
is a CPU tensor; fed to an op that indexes with it (repeat_interleave's repeats, index_select,
embedding), it fails on CUDA with "index is on cpu". This caught SAM's mask decoder, which an H100
run showed failing; the CPU-only suite cannot run CUDA, so it checks the graphs instead."""
import re
from pathlib import Path

import pytest
import torch

from tiny_helpers import COMMITTED_TINY

INDEXING_OPS = ("aten::repeat_interleave", "aten::index_select", "aten::index", "aten::embedding", "aten::take")


def cpu_shape_tensors_used_as_indices(path: Path) -> list[str]:
    graph = str(torch.jit.load(str(path), map_location="cpu").inlined_graph)
    shape_tensors = set(re.findall(r"(%[\w.]+) : Tensor = prim::NumToTensor", graph))
    bad = []
    for line in graph.splitlines():
        op = re.search(r"= (aten::\w+)\((.*)\)", line)
        if op and op.group(1) in INDEXING_OPS:
            args = {a.strip() for a in op.group(2).split(",")}
            if args & shape_tensors:
                bad.append(line.strip()[:160])
    return bad


@pytest.mark.parametrize("path", sorted(COMMITTED_TINY.glob("*/*.pt")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_traced_shape_is_used_as_an_index(path):
    assert cpu_shape_tensors_used_as_indices(path) == []


def test_the_check_sees_the_pattern(tmp_path):
    class RepeatByShape(torch.nn.Module):
        def forward(self, x, y):
            return x.repeat_interleave(y.shape[1], 0)

    f = tmp_path / "bad.pt"
    torch.jit.save(torch.jit.trace(RepeatByShape(), (torch.ones(2, 3), torch.ones(1, 4))), str(f))
    assert len(cpu_shape_tensors_used_as_indices(f)) == 1
