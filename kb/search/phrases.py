"""Fixed error phrases a paste says as one thing: the C library's error texts (strerror, gai_strerror).

`./build.sh: No such file or directory`, `bind: Address already in use`: shells, runtimes and
servers print the same few texts after whatever failed. Read word by word, `no`, `file` and
`directory` are three things the paste says, and together they outweigh the one word that tells
the errors apart (the script, the port, the path). Each text is one concept in coverage
(kb/search/ranking.py, read_query), weighted by its rarest word like an identifier.
"""

from __future__ import annotations

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
_SET = frozenset(_TEXTS)


def is_system_error(text: str) -> bool:
    """Whether the text is one of them and nothing else (`No such file or directory.`)."""
    return " ".join(text.strip(" .").split()).lower() in _SET


def spans(text: str) -> list[tuple[int, int]]:
    """Where the fixed error texts stand in a line, as whole words: (start, end) of each. The line is a
    masked paste line (single spaces). Plain string search: one large case-insensitive regex cost more to
    compile than `runbook search` spends on a query (bench/search_speed.py)."""
    lowered = text.lower()
    found = []
    for phrase in _TEXTS:
        start = lowered.find(phrase)
        while start >= 0:
            end = start + len(phrase)
            if (start == 0 or not _word(lowered[start - 1])) and (end == len(lowered) or not _word(lowered[end])):
                found.append((start, end))
            start = lowered.find(phrase, end)
    return sorted(found)


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"
