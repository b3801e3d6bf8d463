"""Waiting in Pilot tests on a condition a user would see, never on a fixed pause."""

from __future__ import annotations


async def until(pilot, predicate, tries: int = 400) -> None:
    """Let the app run until `predicate()` holds (generous: a loaded CI machine is slow)."""
    for _ in range(tries):
        await pilot.pause(0.05)
        if predicate():
            return
    raise AssertionError("condition never held")
