"""Counts as a person writes them: "1 report", "2 errors" (English only; nouns here are all regular)."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`count noun`, with the noun's plural (`many`, else noun + s) for any count but one."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
