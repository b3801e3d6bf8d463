"""Neutralise terminal escape sequences before showing untrusted text (reports, command output).

A report can carry ESC sequences that recolour, retitle or rewrite an
operator's terminal. Control characters other than newline and tab become
visible Unicode control pictures, so nothing is interpreted and nothing is hidden.
"""

from __future__ import annotations

import re
from kb.parse.lazy_re import lazy

_CONTROL_RE = lazy(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def neutralise(text: str) -> str:
    def show(match: re.Match) -> str:
        code = ord(match.group(0))
        if code == 0x7F:
            return "\u2421"
        if code < 0x20:
            return chr(0x2400 + code)
        return f"\\x{code:02x}"

    # a lone carriage return (progress meters) redraws a line: show it as a new line, not a symbol
    return _CONTROL_RE.sub(show, text.replace("\r\n", "\n").replace("\r", "\n"))


# -- a command's terminal output: plain text for the record and the known-fix search ------------------
# OSC, DCS/SOS/PM/APC strings (ended by BEL or ST), CSI sequences, two-character escapes, 8-bit CSI.
_ESCAPE_RE = lazy(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"
    r"|\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x1b[ -/]*[0-~]"
    r"|\x1b")
_SGR_RE = lazy(r"\x1b\[([0-9;:]*)m")
_OTHER_CONTROL_RE = lazy(r"[\x00-\x07\x0b-\x1f\x7f\x80-\x9f]")
_CONCEAL = 8  # SGR "hidden text": never kept, it would hide what a command printed


def strip_escapes(text: str) -> str:
    """What a terminal would leave on screen as plain text: escapes gone, `\\r` and backspace applied.

    A program that sees a terminal colours its output, redraws progress meters with `\\r` and
    moves the cursor; the record and the known-fix search want the words it printed.
    """
    text = _ESCAPE_RE.sub("", text.replace("\r\n", "\n"))
    return "\n".join(_overstrike(line) for line in text.split("\n"))


def safe_sgr(text: str) -> str:
    """One line of output for a terminal: colour and weight (SGR) kept, every other escape and
    control removed, and no "hidden text" attribute. Safe to print or to give `Text.from_ansi`."""
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        params = _safe_params(match.group(1))
        if params is None:
            return ""
        kept.append(f"\x1b[{params}m")
        return f"\x00{len(kept) - 1}\x00"  # a placeholder the escape sweep leaves alone

    text = _SGR_RE.sub(keep, text.replace("\r\n", "\n"))
    text = _ESCAPE_RE.sub("", text)
    if "\r" in text:  # a redrawn line: what is left is its last drawing
        text = "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    text = re.sub(r"[\x01-\x08\x0b-\x1f\x7f\x80-\x9f]", "", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text).replace("\x00", "")


def _safe_params(params: str) -> str | None:
    """The SGR parameters without conceal (8); None when nothing is left to keep."""
    if not params:
        return "0"
    parts = params.replace(":", ";").split(";")
    out: list[str] = []
    index = 0
    while index < len(parts):
        part = parts[index]
        if part in ("38", "48", "58"):  # extended colour: 5;n or 2;r;g;b
            width = 3 if parts[index + 1:index + 2] == ["5"] else 5
            out.extend(parts[index:index + width])
            index += width
            continue
        if part.isdigit() and int(part) != _CONCEAL:
            out.append(part)
        index += 1
    return ";".join(out) or None


def _overstrike(line: str) -> str:
    """Apply carriage returns and backspaces as a terminal does; drop other control characters."""
    if "\r" not in line and "\b" not in line:
        return _OTHER_CONTROL_RE.sub("", line)
    cells: list[str] = []
    column = 0
    for char in line:
        if char == "\r":
            column = 0
        elif char == "\b":
            column = max(column - 1, 0)
        elif _OTHER_CONTROL_RE.match(char):
            continue
        else:
            if column < len(cells):
                cells[column] = char
            else:
                cells.append(char)
            column += 1
    return "".join(cells)
