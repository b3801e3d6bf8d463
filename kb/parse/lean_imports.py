"""Import the standard library's `dataclasses` without `inspect` (about 9 ms of `runbook search`'s start-up).

dataclasses imports inspect for one call: the signature it writes into the docstring of a dataclass that
has none. Every dataclass on the search path has a docstring, so inspect is never needed there. While
dataclasses loads, `inspect` resolves to a stand-in that imports the real module the first time anything
is read from it (a docstring-less dataclass, say); afterwards the stand-in leaves `sys.modules`, so
every other `import inspect` gets the real module. If dataclasses was already imported, nothing changes.
tests/test_search_imports.py checks both halves.
"""

from __future__ import annotations

import importlib
import sys
import types


class _Later(types.ModuleType):
    """A module imported for real the first time anything is read from it."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def import_dataclasses_lean() -> None:
    if "dataclasses" in sys.modules or "inspect" in sys.modules:
        return
    stand_in = _Later("inspect")
    sys.modules["inspect"] = stand_in
    try:
        import dataclasses  # noqa: F401
    finally:
        if sys.modules.get("inspect") is stand_in:
            del sys.modules["inspect"]


import_dataclasses_lean()
