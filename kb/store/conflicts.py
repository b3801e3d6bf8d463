"""Git's conflict markers in a report: a file left mid-merge is never copied, stored, indexed or committed.

`git pull` that stops at a conflict writes both sides into the file between `<<<<<<< HEAD`, `=======` and
`>>>>>>> <commit>` lines; committed too soon (`git commit -a`), they reach every clone. Ingest and reindex
name such a file and its line instead of reading it. A report may quote a conflict in a code block (a
post-mortem of a bad merge): markers inside fenced code do not count.
"""

from __future__ import annotations

import re

# git's conflict markers: 7 of a kind at the start of a line (`<<<<<<< HEAD`, `=======`, `>>>>>>> abc123`)
_OURS_RE = re.compile(r"^<{7}(?: |$)")
_SPLIT_RE = re.compile(r"^={7}$")
_THEIRS_RE = re.compile(r"^>{7}(?: |$)")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def conflict_markers(text: str) -> int | None:
    """The line of the first git conflict (`<<<<<<<`, `=======`, `>>>>>>>` in that order, at the start of a
    line, outside fenced code: a report may quote a conflict in a code block), or None."""
    if "<<<<<<<" not in text:
        return None
    fence: str | None = None
    start = stage = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if stage:  # inside a conflict that began outside code: its sides may open fences of their own
            if _SPLIT_RE.match(line):
                stage = 2
            elif stage == 2 and _THEIRS_RE.match(line):
                return start
            elif _OURS_RE.match(line):
                start = number
            continue
        opened = _FENCE_RE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
            continue
        if fence is not None:
            closing = line.strip()
            if closing.startswith(fence) and not closing.strip(fence[0]):
                fence = None
            continue
        if _OURS_RE.match(line):
            start, stage = number, 1
    return None
