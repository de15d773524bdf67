"""The recipes of docs/analysis.md, read from the page itself so that the tests run what users read.

A recipe is a fenced code block right after a marker line ``<!-- recipe: NAME TOOL -->``. TOOL is
``duckdb`` (one SQL query), ``spark`` (Python run with a SparkSession named ``spark`` that leaves a
Spark DataFrame in ``result``), ``pandas`` or ``datasets`` (Python that leaves its answer in
``result``). The recipes read the demo root ``runs/demo``; ``with_root`` puts another root in its place.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
import re

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "analysis.md"
DEMO_ROOT = "runs/demo"
TOOLS = ("duckdb", "spark", "pandas", "datasets")
_MARKER = re.compile(r"<!-- recipe: (?P<name>[a-z0-9-]+) (?P<tool>[a-z]+) -->\n```[a-z]*\n(?P<code>.*?)\n```", re.S)


@dataclasses.dataclass(frozen=True)
class Recipe:
    name: str
    tool: str
    code: str

    def with_root(self, root: str) -> str:
        return self.code.replace(DEMO_ROOT, str(root))


def load(doc: pathlib.Path = DOC) -> list[Recipe]:
    text = doc.read_text(encoding="utf-8")
    recipes = [Recipe(m["name"], m["tool"], m["code"]) for m in _MARKER.finditer(text)]
    markers = text.count("<!-- recipe:")
    if markers != len(recipes):
        raise ValueError(f"{doc}: {markers} recipe markers but {len(recipes)} are followed by a code block")
    for r in recipes:
        if r.tool not in TOOLS:
            raise ValueError(f"{doc}: recipe {r.name} names unknown tool {r.tool!r} (one of {TOOLS})")
        if DEMO_ROOT not in r.code:
            raise ValueError(f"{doc}: recipe {r.name} {r.tool} does not read the demo root {DEMO_ROOT}")
    seen = set()
    for r in recipes:
        if (r.name, r.tool) in seen:
            raise ValueError(f"{doc}: recipe {r.name} {r.tool} appears twice")
        seen.add((r.name, r.tool))
    return recipes


def plain(value):
    """A result value as plain Python: numpy scalars and arrays, tuples and NaN made comparable."""
    if value is None:
        return None
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return plain(value.tolist())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return plain(value.item())
    return value
