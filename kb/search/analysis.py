"""Terms for this corpus: identifiers whole and in parts, CJK as character bigrams.

Whoosh's standard analyzer keeps a Chinese run as one token (so 健康检查 never
matches 容器健康检查持续超时) and an identifier as one token (so
SystemPackageMissingError never matches "system package missing"). This one
yields `reflex.utils.exceptions.systempackagemissingerror`, every dotted part,
and the camel-case words; and 健康 康检 检查 for Chinese.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Iterator

from kb.parse.lazy_re import lazy

RUN_RE = _RUN_RE = lazy(r"[A-Za-z0-9_]+(?:[.\-:/][A-Za-z0-9_]+)*|[\u3400-\u9fff\uf900-\ufaff]+")  # a word or a Chinese run
_PART_RE = lazy(r"[A-Za-z0-9]+")
_CAMEL_RE = lazy(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_VERSION_RE = lazy(r"v?(\d+\.\d+\.\d+)")
STOP_WORDS = frozenset("""a an the is are was were be been to of in on at for and or it its this that with by from as
into than then there their they we you your our i he she them these those if so do does did has have had will would
can could should may might must also just only about after before over under again here when while which who what
how why all any each both few more most other some such own same""".split())


def iter_terms(text: str) -> Iterator[tuple[str, int, int]]:
    """(term, start, end) for every term of text, in order; parts follow their whole."""
    for match in _RUN_RE.finditer(text):
        run, start = match.group(0), match.start()
        if "\u3400" <= run[0] <= "\ufaff":
            if len(run) == 1:
                yield run, start, start + 1
            for i in range(len(run) - 1):
                yield run[i:i + 2], start + i, start + i + 2
            continue
        whole = run.lower()
        version = _VERSION_RE.fullmatch(whole)
        if version:  # a release (18.12.1, v2.4.0) is an identity, like a port: kept whole, without its v
            yield version.group(1), start + (len(run) - len(version.group(1))), match.end()
        if run.isalnum() and (run.islower() or run.isupper() or (run[0].isupper() and run[1:].islower())):
            if _keep(whole):  # the common case: a plain word
                yield whole, start, match.end()
            continue
        parts = []
        for part in _PART_RE.finditer(run):
            for word in _CAMEL_RE.finditer(part.group(0)):
                parts.append((word.group(0).lower(), start + part.start() + word.start(), start + part.start() + word.end()))
        if len(parts) > 1 and _keep(whole) and any(c.isalpha() for c in whole):
            yield whole, start, match.end()
        if len(parts) > 1:
            for sub in _PART_RE.finditer(run):
                piece = sub.group(0).lower()
                if piece != whole and _keep(piece) and len(_CAMEL_RE.findall(sub.group(0))) > 1:
                    yield piece, start + sub.start(), start + sub.end()
        for word, s, e in parts:
            if _keep(word):
                yield word, s, e


def _keep(term: str) -> bool:
    if term.isdigit():
        return 3 <= len(term) <= 5  # HTTP statuses, errnos and ports; longer numbers (pids, times) vary
    if len(term) < 2 or term in STOP_WORDS:
        return False
    if len(term) >= 7 and re.fullmatch(r"[0-9a-f]+", term) and any(c.isdigit() for c in term):
        return False  # hex ids and SHAs
    return True


def terms(text: str) -> list[str]:
    return [term for term, _, _ in iter_terms(text)]


@lru_cache(maxsize=4096)
def term_set(text: str) -> frozenset[str]:
    """The distinct terms of a text, fast: each distinct run of it is analysed once (and remembered),
    so long passages full of repeated words cost little (search confidence reads many of them).
    Whole texts are remembered too: the same candidates come back query after query."""
    out: set[str] = set()
    for run in set(_RUN_RE.findall(text)):
        out |= _run_terms(run)
    return frozenset(out)


@lru_cache(maxsize=65536)
def _run_terms(run: str) -> frozenset[str]:
    return frozenset(_run_term_list(run))


@lru_cache(maxsize=65536)
def _run_term_list(run: str) -> tuple[str, ...]:
    return tuple(term for term, _, _ in iter_terms(run))


def term_counts(text: str) -> dict[str, int]:
    """Each distinct term of text with how often it occurs, in the order they first occur: what the
    index's tokenizer (KBTokenizer, without positions) yields for text, counted."""
    counts: dict[str, int] = {}
    get = counts.get
    for run in _RUN_RE.findall(text):
        for term in _run_term_list(run):
            counts[term] = get(term, 0) + 1
    return counts


def __getattr__(name: str):
    """An index written before the tokenizer moved to kb/search/tokenizer.py pickles it by this module's
    name: Whoosh opening that index finds it here (importing Whoosh only then)."""
    if name == "KBTokenizer":
        from kb.search.tokenizer import KBTokenizer

        return KBTokenizer
    raise AttributeError(name)
