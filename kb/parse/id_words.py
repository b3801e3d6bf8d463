"""The short ids reports name errors by (`E2`, `P-3`, `#4`), as text: what linking needs of them at
query time, without the report parser that kb/parse/error_ids.py joins errors with (markdown-it, the
block model): a passage answer links its fixes in `runbook search` and must not import the parser."""

from __future__ import annotations

import re

from kb.parse.lazy_re import lazy

ID = r"(?:[A-Z]{1,3}-?\d{1,3}|#\d{1,3})"
# `E2: state lock`, `E2 – state lock`, `E2. state lock`, `[E2] state lock` (a separator is needed:
# `S3 bucket policy` names no id)
DEFINING_HEADING_RE = lazy(rf"^\W*({ID})\s*(?:[:：.)\]\-–—])\s*(\S.*)$")


def leading_id(title: str) -> str:
    """The id a title starts with (`E2: state lock` -> `E2`), or ""."""
    match = DEFINING_HEADING_RE.match(title)
    return match.group(1) if match else ""


def mentions(text: str, error_id: str) -> bool:
    """Whether text names the id as a word (`(E2)`, `E2 –`, not `E23` or `CVE-2`)."""
    return re.search(rf"(?<![\w-]){re.escape(error_id)}(?![\w-])", text) is not None
