"""Word tokens for comparing short texts in either language.

ASCII identifiers split into words (and are kept whole); CJK runs become
character bigrams, so "健康检查超时" and "容器健康检查持续超时" share tokens.
"""

from __future__ import annotations

import re

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*|\d+[A-Za-z][A-Za-z0-9_]*|\d{3,}|[\u3400-\u9fff\uf900-\ufaff]+")
_STOP = frozenset({"the", "is", "a", "an", "of", "to", "in", "on", "at", "for", "and", "or", "it", "be", "was",
                   "this", "that", "with", "by", "from", "as", "are", "not", "no"})


def tokens(text: str) -> set[str]:
    out: set[str] = set()
    for match in _WORD_RE.finditer(text):
        word = match.group(0)
        if "\u3400" <= word[0] <= "\ufaff":
            if len(word) == 1:
                out.add(word)
            out.update(word[i:i + 2] for i in range(len(word) - 1))
            continue
        lower = word.lower()
        if lower not in _STOP and len(lower) > 1:
            out.add(lower)
    return out


def containment(a: set[str], b: set[str]) -> float:
    """Share of the smaller set found in the larger: 1.0 when one text is inside the other."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
