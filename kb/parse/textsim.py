"""Word tokens for comparing short texts in either language.

ASCII identifiers split into words (and are kept whole); CJK runs become
character bigrams, so "健康检查超时" and "容器健康检查持续超时" share tokens.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CJK = "\u3400-\u9fff\uf900-\ufaff"
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*|\d+[A-Za-z][A-Za-z0-9_]*|\d{3,}")
_BIGRAM_RE = re.compile(f"(?=([{_CJK}][{_CJK}]))")  # overlapping: every adjacent pair inside a CJK run
_SINGLE_RE = re.compile(f"(?<![{_CJK}])[{_CJK}](?![{_CJK}])")  # a CJK character standing alone
_STOP = frozenset({"the", "is", "a", "an", "of", "to", "in", "on", "at", "for", "and", "or", "it", "be", "was",
                   "this", "that", "with", "by", "from", "as", "are", "not", "no"})


@lru_cache(maxsize=4096)
def tokens(text: str) -> frozenset[str]:
    """The text's tokens (cached: merging and linking compare the same texts again and again)."""
    out = {word.lower() for word in _WORD_RE.findall(text) if len(word) > 1}
    out -= _STOP
    out.update(_BIGRAM_RE.findall(text))
    out.update(_SINGLE_RE.findall(text))
    return frozenset(out)


def containment(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    """Share of the smaller set found in the larger: 1.0 when one text is inside the other."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
