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
import sys
import types


def _lazy_urlretrieve(*args, **kwargs):
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)


def _import_whoosh_lean() -> None:
    if "whoosh.compat" in sys.modules:
        return
    stand_ins = {}
    if "urllib.request" not in sys.modules:
        request = types.ModuleType("urllib.request")
        request.urlretrieve = _lazy_urlretrieve  # type: ignore[attr-defined]
        stand_ins["urllib.request"] = request
    if "cached_property" not in sys.modules:
        cached = types.ModuleType("cached_property")
        cached.cached_property = functools.cached_property  # type: ignore[attr-defined]
        stand_ins["cached_property"] = cached
    sys.modules.update(stand_ins)
    try:
        import whoosh.compat  # noqa: F401
        import whoosh.reading  # noqa: F401
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


_import_whoosh_lean()
