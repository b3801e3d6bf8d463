"""Which files a piece of code opens, seen through Python's audit hooks (an unchanged report must not even
be opened by a re-ingest)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def files_opened() -> Iterator[list[str]]:
    """The paths opened inside the block, in order. Audit hooks cannot be removed: this one stops
    listening when the block ends."""
    opened: list[str] = []
    watching = [True]

    def watch(event, args):
        if watching[0] and event == "open" and isinstance(args[0], str):
            opened.append(args[0])

    sys.addaudithook(watch)
    try:
        yield opened
    finally:
        watching[0] = False
