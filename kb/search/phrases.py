"""Fixed error phrases a paste says as one thing: the C library's error texts (strerror, gai_strerror).

`./build.sh: No such file or directory`, `bind: Address already in use`: shells, runtimes and
servers print the same few texts after whatever failed. Read word by word, `no`, `file` and
`directory` are three things the paste says, and together they outweigh the one word that tells
the errors apart (the script, the port, the path). Each text is one concept in coverage
(kb/search/ranking.py, read_query), weighted by its rarest word like an identifier.
"""

from __future__ import annotations

import re

_TEXTS = (
    "no such file or directory", "permission denied", "operation not permitted", "address already in use",
    "cannot assign requested address", "connection refused", "connection reset by peer", "connection timed out",
    "operation timed out", "no route to host", "network is unreachable", "host is unreachable",
    "no space left on device", "disk quota exceeded", "read-only file system", "too many open files",
    "broken pipe", "resource temporarily unavailable", "device or resource busy", "text file busy",
    "cannot allocate memory", "exec format error", "argument list too long", "invalid argument",
    "file exists", "directory not empty", "not a directory", "is a directory", "bad file descriptor",
    "input/output error", "no such process", "function not implemented", "name or service not known",
    "temporary failure in name resolution",
)
SYSTEM_ERROR_RE = re.compile(r"(?i)\b(?:" + "|".join(re.escape(text).replace(r"\ ", r"\s+") for text in _TEXTS) + r")\b")


def spans(text: str) -> list[tuple[int, int]]:
    """Where the fixed error texts stand in a line: (start, end) of each."""
    return [match.span() for match in SYSTEM_ERROR_RE.finditer(text)]
