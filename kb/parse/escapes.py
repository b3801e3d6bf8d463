"""Neutralise terminal escape sequences before showing untrusted text (reports, command output).

A report can carry ESC sequences that recolour, retitle or rewrite an
operator's terminal. Control characters other than newline and tab become
visible Unicode control pictures, so nothing is interpreted and nothing is hidden.
"""

from __future__ import annotations

import re

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


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
