"""Registry of model families: family name -> the module that exports it.

Each family module offers ``export(checkpoint: str, out: str, **opts) -> str`` (real weights to a
model directory) and ``build_tiny(out: str) -> str`` (tiny random model + goldens into
``out/<family>``). A family whose module is not written yet is reported as unavailable, so the CLI
and the tiny build keep working for the families that exist.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import ExportError
from .manifest import FAMILIES

# Family name -> module inside this package; the names match manifest.FAMILIES.
MODULES = {family: f"{__package__}.{family}" for family in FAMILIES}


class FamilyUnavailable(ExportError):
    """The family's module does not exist (yet) or lacks ``export``/``build_tiny``."""


def load_family(family: str) -> ModuleType:
    if family not in MODULES:
        raise ExportError(f"unknown model family {family!r}; expected one of {', '.join(MODULES)}")
    name = MODULES[family]
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as e:
        # Only a missing family module means "not built yet"; a missing dependency inside it is a real error.
        if e.name != name:
            raise
        raise FamilyUnavailable(f"model family {family!r} is not available yet: module {name} does not exist") from e
    missing = [fn for fn in ("export", "build_tiny") if not callable(getattr(module, fn, None))]
    if missing:
        raise FamilyUnavailable(f"model family {family!r}: module {name} lacks {', '.join(missing)}")
    return module


def available_families() -> dict[str, str | None]:
    """Family -> None when usable, else the reason it is not."""
    status: dict[str, str | None] = {}
    for family in MODULES:
        try:
            load_family(family)
            status[family] = None
        except FamilyUnavailable as e:
            status[family] = str(e)
    return status
