"""Word tokens for comparing short texts in either language.

ASCII identifiers split into words (and are kept whole); CJK runs become
character bigrams, so "健康检查超时" and "容器健康检查持续超时" share tokens.
"""

from __future__ import annotations

import re
from functools import lru_cache
from kb.parse.lazy_re import lazy

_CJK = "\u3400-\u9fff\uf900-\ufaff"
_WORD_RE = lazy(r"[A-Za-z][A-Za-z0-9_]*|\d+[A-Za-z][A-Za-z0-9_]*|\d{3,}")
# One pattern string for a CJK run wherever one is looked for (glossary, ranking): re compiles a string
# once per process, and a CJK class is the costly kind to compile (kb/parse/lazy_re.py).
CJK_RUN = r"[\u3400-\u9fff\uf900-\ufaff]+"
_CJK_RUN_RE = lazy(CJK_RUN)
_STOP = frozenset({"the", "is", "a", "an", "of", "to", "in", "on", "at", "for", "and", "or", "it", "be", "was",
                   "this", "that", "with", "by", "from", "as", "are", "not", "no"})


@lru_cache(maxsize=4096)
def tokens(text: str) -> frozenset[str]:
    """The text's tokens (cached: merging and linking compare the same texts again and again)."""
    out = {word.lower() for word in _WORD_RE.findall(text) if len(word) > 1}
    out -= _STOP
    if not text.isascii():
        for run in _CJK_RUN_RE.findall(text):
            if len(run) == 1:
                out.add(run)  # a CJK character standing alone
            else:
                out.update(run[i:i + 2] for i in range(len(run) - 1))  # every adjacent pair inside the run
    return frozenset(out)


def containment(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    """Share of the smaller set found in the larger: 1.0 when one text is inside the other."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
