"""What a report is not: a file that only lists other files or links (a SOURCES, an index, a reading list).

Such a file names every topic its entries are about, so it would turn up in every walkthrough while
teaching nothing. It is told by its shape, not its name: most of what it says is table rows or list
items, and most of those point elsewhere (a link, a URL, a file name, a repository path). A report
that also holds errors, checklists or commands is a report, whatever its reference list looks like.
"""

from __future__ import annotations

import re

_FENCE_RE = re.compile(r"^\s*(```|~~~)")
_SEPARATOR_RE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_POINTER_RE = re.compile(
    r"\]\(|https?://|www\.|"  # a Markdown link or a URL
    r"(?<![\w/.-])[\w.-]+\.(?:md|markdown|txt|rst|adoc|pdf|html?|ya?ml|json|toml|docx?|csv|ipynb)\b|"  # a file name
    r"(?<![\w/.-])[\w.-]+/[\w.-]+(?:/[\w.-]+)+|"  # a path of three parts or more
    r"(?<![\w/.-])[A-Za-z0-9][\w.-]*/[\w.-]+\s*\|")  # a repository owner/name in a table cell
MIN_ENTRIES = 3


def is_listing(text: str) -> bool:
    """True when the text is mostly entries (table rows, list items) and most entries point elsewhere."""
    content = entries = pointing = 0
    in_fence = False
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            content += 1
            continue
        stripped = line.strip()
        if in_fence:
            content += 1
            continue
        if not stripped or stripped.startswith("#") or _SEPARATOR_RE.match(stripped):
            continue
        is_row = stripped.startswith("|")
        header = is_row and index + 1 < len(lines) and bool(_SEPARATOR_RE.match(lines[index + 1].strip()))
        if header:
            continue
        content += 1
        if is_row or _ITEM_RE.match(line):
            entries += 1
            pointing += bool(_POINTER_RE.search(stripped))
    return entries >= MIN_ENTRIES and pointing >= 0.7 * entries and entries >= 0.6 * content
