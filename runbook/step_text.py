"""How a run shows a step and its command's output, the same on the prompt and in the TUI.

Step titles come from Markdown (`Run \\`docker compose ps\\``) and from numbered procedures
("Step 1: Free disk space"): the run numbers steps itself, so the title is shown as words, without
code marks and without a second number. A command's output is shown with its colours (SGR only)
on a terminal, as plain text elsewhere; nothing else it printed reaches the operator's terminal.
"""

from __future__ import annotations

import re

from kb.parse.escapes import neutralise, safe_sgr, strip_escapes

_NUMBERED_RE = re.compile(r"^\s*(?:(?:(?:step|phase|stage)\s*\d+|步骤\s*\d+|第\s*\d+\s*步)\s*[:：.、)）-]?\s*"
                          r"|\d+\s*[.、)）:：]\s+)", re.IGNORECASE)
_MARKS_RE = re.compile(r"\*\*|__|`")


def step_title(title: str) -> str:
    """A step's title as words: no Markdown code or bold marks, no number of its own, one line."""
    text = " ".join(_MARKS_RE.sub("", title).split())
    stripped = _NUMBERED_RE.sub("", text, count=1)
    return neutralise(stripped if stripped.strip() else text)


def needs_note(needs) -> str:
    """What the operator is told before a terminal or follow-mode command runs ("" for a plain one)."""
    if needs.terminal and needs.follow:
        return f"takes your terminal until you stop it ({needs.reason}); it comes back when the command ends"
    if needs.terminal:
        return f"needs your terminal ({needs.reason}): runbook hands it over and comes back when the command ends"
    if needs.follow:
        return f"follows until you stop it ({needs.reason}); ending it completes the step"
    return ""


def output_line(line: str, colour: bool) -> str:
    """One line a command printed, as it may reach the operator's terminal."""
    line = line.rstrip("\n")
    return safe_sgr(line) if colour else strip_escapes(line)
