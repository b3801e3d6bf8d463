"""Plain-text tables for `runbook list`: columns aligned by display width (a CJK character takes two cells)."""

from __future__ import annotations

from runbook.cli.base import neutralise_text, say_long

def print_table(rows: list[dict], columns: tuple[str, ...]) -> None:
    """Rows under a header line, columns aligned by display width (a CJK character takes two cells)."""
    limits = {"title": 50, "message": 70}
    lines = [[column.upper() for column in columns]]
    for row in rows:
        cells = []
        for column in columns:
            value = neutralise_text(" ".join(str(row.get(column) if row.get(column) is not None else "").split()))
            limit = limits.get(column)
            if limit and _display_width(value) > limit:
                value = _cut(value, limit - 1) + "…"
            cells.append(value)
        lines.append(cells)
    widths = [max(_display_width(line[i]) for line in lines) for i in range(len(columns))]
    out = []
    for line in lines:
        padded = [cell + " " * (width - _display_width(cell)) for cell, width in zip(line[:-1], widths)]
        out.append("  ".join([*padded, line[-1]]))
    say_long("\n".join(out))  # through the pager when it is long and stdout is a terminal


def _char_width(ch: str) -> int:
    import unicodedata

    return 2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1


def _display_width(text: str) -> int:
    return sum(_char_width(ch) for ch in text)


def _cut(text: str, width: int) -> str:
    """The longest start of text that takes at most `width` cells."""
    used = 0
    for index, ch in enumerate(text):
        used += _char_width(ch)
        if used > width:
            return text[:index]
    return text
