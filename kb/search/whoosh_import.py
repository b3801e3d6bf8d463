"""Import Whoosh without the two imports it never uses here, which cost `runbook search` ~40 ms.

`whoosh.compat` imports `urllib.request` (and with it email, http.client and ssl) for one
Python 2 era helper, `urlretrieve`, that nothing in runbook calls; `whoosh.reading` imports the
`cached_property` package, which imports asyncio, for one property that the standard library's
`functools.cached_property` does just as well. Import this module before any `whoosh` import:
while Whoosh loads, those two names resolve to tiny stand-ins; afterwards both are removed
from `sys.modules`, so any later import gets the real modules, and `whoosh.compat.urlretrieve`
forwards to the real function if anything ever calls it. If Whoosh was already imported,
nothing changes. Measured in bench/search_speed.py; tests/test_boundary.py checks the result.
"""

from __future__ import annotations

import functools
import importlib
import io
import mmap
import os
import sys
import types


def _lazy_urlretrieve(*args, **kwargs):
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)


def _lazy_variations(*args, **kwargs):
    from whoosh.lang.morph_en import variations

    return variations(*args, **kwargs)


def _lazy_stem(*args, **kwargs):
    from whoosh.lang.porter import stem

    return stem(*args, **kwargs)


def _lazy_double_metaphone(*args, **kwargs):
    from whoosh.lang.dmetaphone import double_metaphone

    return double_metaphone(*args, **kwargs)


class _Later(types.ModuleType):
    """A module Whoosh imports at load time and runbook never uses to read its index (fuzzy-term automata,
    highlighting): the real one is imported the first time anything is read from it."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        return getattr(real, name)


# Whoosh modules loaded lazily (issue 24: ~7 ms of `runbook search`): stemming and phonetic filters
# (no field of ours uses them), the Levenshtein automata behind fuzzy terms, and highlighting.
_LATER = ("whoosh.automata.lev", "whoosh.highlight")


def _import_whoosh_lean() -> None:
    if "whoosh.compat" in sys.modules:
        return
    stand_ins = {}
    for name in _LATER:
        if name not in sys.modules:
            stand_ins[name] = _Later(name)
    if "whoosh.lang.porter" not in sys.modules:
        porter = types.ModuleType("whoosh.lang.porter")
        porter.stem = _lazy_stem  # type: ignore[attr-defined]
        stand_ins["whoosh.lang.porter"] = porter
    if "whoosh.lang.dmetaphone" not in sys.modules:
        metaphone = types.ModuleType("whoosh.lang.dmetaphone")
        metaphone.double_metaphone = _lazy_double_metaphone  # type: ignore[attr-defined]
        stand_ins["whoosh.lang.dmetaphone"] = metaphone
    if "urllib.request" not in sys.modules:
        request = types.ModuleType("urllib.request")
        request.urlretrieve = _lazy_urlretrieve  # type: ignore[attr-defined]
        stand_ins["urllib.request"] = request
    if "cached_property" not in sys.modules:
        cached = types.ModuleType("cached_property")
        cached.cached_property = functools.cached_property  # type: ignore[attr-defined]
        stand_ins["cached_property"] = cached
    if "whoosh.lang.morph_en" not in sys.modules:  # English word variations: only Variations queries use it
        morph = types.ModuleType("whoosh.lang.morph_en")
        morph.variations = _lazy_variations  # type: ignore[attr-defined]
        stand_ins["whoosh.lang.morph_en"] = morph
    sys.modules.update(stand_ins)
    try:
        import whoosh.compat  # noqa: F401
        import whoosh.query  # noqa: F401
        import whoosh.reading  # noqa: F401
        import whoosh.analysis  # noqa: F401
        import whoosh.codec.whoosh3  # noqa: F401
        import whoosh.searching  # noqa: F401
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


class _SubFileMap(mmap.mmap):
    """One sub-file of a compound segment as its own read-only memory map: reads, seeks and
    pickle loads run in C straight from the page cache, with positions counted from the
    sub-file's start. The OS maps whole pages, so the map begins up to one page early and
    positions are shifted by that much; it ends where the sub-file ends."""

    def __new__(cls, fileno: int, offset: int, length: int) -> "_SubFileMap":
        start = offset - offset % mmap.ALLOCATIONGRANULARITY
        self = super().__new__(cls, fileno, length + offset - start, access=mmap.ACCESS_READ, offset=start)
        self._shift = offset - start
        mmap.mmap.seek(self, self._shift)
        return self

    def seek(self, pos: int, whence: int = 0) -> int:
        mmap.mmap.seek(self, pos + self._shift if whence == 0 else pos, whence)
        return self.tell()

    def tell(self) -> int:
        return mmap.mmap.tell(self) - self._shift


def _open_segments_without_copying() -> None:
    """Whoosh's compound segments are memory-mapped, but opening a reader copied every sub-file out
    of the map into a BytesIO (52 MB at 10,000 reports: ~0.1 s of `runbook search`, and that much
    memory for as long as the index is open). Each sub-file is read through a map of its own instead.
    Anything unexpected (no fileno, a map that fails) leaves Whoosh's own way in place."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.structfile import BufferFile

    if getattr(CompoundStorage, "_runbook_maps", False):
        return
    whoosh_init, whoosh_open, whoosh_close = CompoundStorage.__init__, CompoundStorage.open_file, CompoundStorage.close

    def __init__(self, dbfile, use_mmap=True, basepos=0):
        try:
            fileno = os.dup(dbfile.fileno()) if use_mmap else None
        except (AttributeError, OSError, io.UnsupportedOperation):
            fileno = None
        whoosh_init(self, dbfile, use_mmap, basepos)
        self._runbook_fileno = fileno if self._source is not None else None
        if fileno is not None and self._runbook_fileno is None:
            os.close(fileno)

    def open_file(self, name, *args, **kwargs):
        fileno = getattr(self, "_runbook_fileno", None)
        if fileno is None or self.is_closed:
            return whoosh_open(self, name, *args, **kwargs)
        offset, length = self.range(name)
        try:
            reader = _SubFileMap(fileno, offset, length) if length else io.BytesIO()
        except (OSError, ValueError):
            return whoosh_open(self, name, *args, **kwargs)
        f = BufferFile.__new__(BufferFile)
        f._buf, f._name, f.file, f.onclose, f.is_real, f.is_closed = (
            memoryview(self._source)[offset:offset + length], name, reader, None, False, False)
        return f

    def close(self):
        fileno, self._runbook_fileno = getattr(self, "_runbook_fileno", None), None
        if fileno is not None:
            os.close(fileno)
        whoosh_close(self)

    CompoundStorage.__init__, CompoundStorage.open_file, CompoundStorage.close = __init__, open_file, close
    CompoundStorage._runbook_maps = True


_import_whoosh_lean()
_open_segments_without_copying()
