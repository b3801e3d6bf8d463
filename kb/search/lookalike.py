"""Look-alike errors: the paste's template with another name in it.

`uv: command not found` and `sudo: command not found`, `No module named 'psycopg2'` and `No module
named 'psutil'`, `ReferenceError: process is not defined` and `File is not defined`: one template,
two errors, two fixes. Their words are nearly all shared, so word overlap and string similarity
rank one as the other's known fix. What tells them apart is the name in the slot: a candidate
whose message, lined up with a paste line, puts another name where the paste has its own, *and
whose fix names that other name* (`pip install psycopg2-binary`), is a fix for something else.
Where the fix does not name it (`Received unregistered task of type '<task>'`, fixed by importing
the tasks module), the name is incidental and the fix holds for the paste too (ports have their own
rule: kb/search/ports.py), and so does a name of where it happened (a host, a systemd unit) rather
than of what it is about.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kb.search.analysis import STOP_WORDS, term_set
from kb.search.candidate_text import message_signature
from kb.search.identity import is_host
from kb.parse.lazy_re import lazy

_TOKEN_RE = lazy(r"<\w+>|[A-Za-z_][\w.-]*\w|[A-Za-z_]|\d+")
MIN_SHARED = 3  # tokens of the template the two must share, in order
MIN_SHARE = 0.6  # ... and the share of the candidate's message they make up
MAX_SLOT = 2  # words a name takes in the candidate (the paste's side may have one more: `/bin/sh: 1: curl:`)


def tokens(text: str) -> tuple[str, ...]:
    """The words of a message as two machines share them (masked: hosts, numbers, paths are placeholders)."""
    return signed_tokens(message_signature(text))


@lru_cache(maxsize=8192)  # a candidate's message comes up query after query
def signed_tokens(signed: str) -> tuple[str, ...]:
    """The words of a message's signature (kb/search/candidate_text.py; the index stores it per document)."""
    return tuple(token.lower() for token in _TOKEN_RE.findall(signed))


# a systemd unit, or a file (an app's own asset, config or log): instances that differ between machines
_WHERE_RE = lazy(r".+\.(?:service|socket|timer|mount|target|path|slice|scope|css|scss|js|mjs|cjs|ts|jsx|tsx|"
                       r"json|ya?ml|toml|conf|cfg|ini|log|txt|md|html?|sh|pem|crt|key|sql|env|lock|xml|csv)$")


def _is_name(token: str) -> bool:
    return not token.startswith("<") and token not in STOP_WORDS and not token.isdigit() and len(token) > 1


def _is_what(token: str) -> bool:
    """A name of what the error is about (a command, a module, a class), not of where it happened: a
    unit, a host or a file differs from machine to machine while the error is the same (`gunicorn.service:
    Start request repeated too quickly` is the error a report wrote up for `inventory-api.service`, and
    `The asset "admin.js" is not present` the one it wrote up for `application.css`)."""
    return _is_name(token) and not _WHERE_RE.match(token) and not is_host(token)


def other_name(paste_lines: list[tuple[str, ...]], message: str, signed: str | None = None) -> tuple[list[str], list[str]]:
    """The names a candidate's message has where a paste line has others, in the same template, and the
    paste's names there; ([], []) if none. `signed`: the message's signature when the index stored it."""
    candidate = signed_tokens(signed) if signed is not None else tokens(message)
    if len(candidate) < 2:
        return [], []
    words = set(candidate)
    for line in paste_lines:
        line_words = set(line)
        shared_words = len(words & line_words)
        if shared_words < MIN_SHARED or shared_words < MIN_SHARE * len(words):
            continue  # too little in common to be the same template (checked before the alignment: speed)
        if not any(_is_what(t) for t in words - line_words) or not any(_is_what(t) for t in line_words - words):
            continue  # no name of its own on either side: no slot to compare
        opcodes = _opcodes(candidate, line)
        shared = sum(i2 - i1 for tag, i1, i2, _, _ in opcodes if tag == "equal")
        if shared < MIN_SHARED or shared < MIN_SHARE * len(candidate):
            continue
        for tag, i1, i2, j1, j2 in opcodes:
            if tag != "replace" or i2 - i1 > MAX_SLOT or sum(not t.startswith("<") for t in line[j1:j2]) > MAX_SLOT + 1:
                continue  # a name in a slot of the template, not a different stretch of text
            theirs = [t for t in candidate[i1:i2] if _is_what(t) and t not in line]
            ours = [t for t in line[j1:j2] if _is_what(t) and t not in candidate]
            if theirs and ours:
                return theirs, ours
    return [], []


def _opcodes(a: tuple[str, ...], b: tuple[str, ...]) -> list[tuple[str, int, int, int, int]]:
    """How b reads as an edit of a, as difflib's get_opcodes gives it ('equal', 'replace', 'delete',
    'insert' spans), from a longest common subsequence of the two (messages are a few dozen words; not
    importing difflib keeps `runbook search`'s start-up as it was)."""
    head = 0  # a shared start and end need no table (a look-alike differs in a slot: most of it is shared)
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < len(a) - head and tail < len(b) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    if head or tail:
        middle = _opcodes(a[head:len(a) - tail], b[head:len(b) - tail]) if (len(a) - head - tail or len(b) - head - tail) else []
        out = [("equal", 0, head, 0, head)] if head else []
        for tag, i1, i2, j1, j2 in middle:
            if tag == "equal" and out and out[-1][0] == "equal":
                out[-1] = ("equal", out[-1][1], i2 + head, out[-1][3], j2 + head)
            else:
                out.append((tag, i1 + head, i2 + head, j1 + head, j2 + head))
        if tail:
            start_a, start_b = len(a) - tail, len(b) - tail
            if out and out[-1][0] == "equal" and out[-1][2] == start_a and out[-1][4] == start_b:
                out[-1] = ("equal", out[-1][1], len(a), out[-1][3], len(b))
            else:
                out.append(("equal", start_a, len(a), start_b, len(b)))
        return out
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = table[i], table[i + 1]
        for j in range(m - 1, -1, -1):
            row[j] = below[j + 1] + 1 if a[i] == b[j] else max(below[j], row[j + 1])
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if a[i] == b[j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    opcodes, i, j = [], 0, 0
    for x, y in pairs + [(n, m)]:
        if x > i or y > j:
            opcodes.append(("replace" if x > i and y > j else "delete" if x > i else "insert", i, x, j, y))
        if (x, y) != (n, m):
            if opcodes and opcodes[-1][0] == "equal" and opcodes[-1][2] == x and opcodes[-1][4] == y:
                opcodes[-1] = ("equal", opcodes[-1][1], x + 1, opcodes[-1][3], y + 1)
            else:
                opcodes.append(("equal", x, x + 1, y, y + 1))
        i, j = x + 1, y + 1
    return opcodes


def names_its_own(names: list[str], fix: str, paste_names: list[str] = ()) -> bool:
    """Whether a fix names one of these, or a dotted part of one that the paste's names lack (`psycopg2`,
    `send_reminders`, not the `handlers` of both `invoices.handlers.x` and `payroll.handlers.y`): it is
    a fix for that thing."""
    held = term_set(fix or "")
    shared = {part for name in paste_names for part in name.split(".")}
    return any(name in held or any(part in held for part in name.split(".") if _is_name(part) and part not in shared)
               for name in names)
