"""Classify labels, headings and lines by the role they play, using kb.parse.vocab."""

from __future__ import annotations

import re
from functools import lru_cache

from kb.parse import vocab

_EMOJI_RE = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff\u2b50\u2b06\u2194-\u21ff\ufe0f\u200d]")
_ANNOTATION_RE = re.compile(r"\s*[(（\[【].*?[)）\]】]\s*")
_NUMBERING_RE = re.compile(r"^\s*(?:\d+(?:\.\d+)*[.、)]?|[一二三四五六七八九十]+[、.])\s*")

_FIELD_TABLE = sorted(
    ((word, role) for role, words in vocab.FIELD_WORDS.items() for word in words),
    key=lambda pair: -len(pair[0]),
)


def normalise_label(label: str) -> str:
    """Lower-case, without emoji, numbering, bracketed annotations, markup or trailing colon."""
    text = _EMOJI_RE.sub("", label).replace("`", "").replace("*", "")
    text = _ANNOTATION_RE.sub(" ", text)
    text = _NUMBERING_RE.sub("", text)
    return text.strip().rstrip(":：").strip().lower()


@lru_cache(maxsize=4096)
def field_role(label: str) -> str:
    """The field role of a label ("cause", "fix", ...), or "" when it names none.

    Exact and longest-prefix matches first; then a known word inside a short
    label ("Dockerfile 同步修复" is a fix), so unseen phrasings still land.
    """
    norm = normalise_label(label)
    if not norm:
        return ""
    for word, role in _FIELD_TABLE:
        if norm == word:
            return role
    for word, role in _FIELD_TABLE:
        if len(word) >= 2 and norm.startswith(word) and _boundary_after(norm, len(word)):
            return role
    if len(norm) <= 24:
        for word, role in _FIELD_TABLE:
            if len(word) >= 2 and role not in ("question", "answer", "log") and _contains_word(norm, word):
                return role
    return ""


def _boundary_after(text: str, index: int) -> bool:
    if index >= len(text):
        return True
    prev, nxt = text[index - 1], text[index]
    if _is_cjk(prev) or _is_cjk(nxt):
        return True
    return not nxt.isalnum()


def _contains_word(text: str, word: str) -> bool:
    if word not in text:
        return False
    if any(_is_cjk(ch) for ch in word):
        return True
    return _word_pattern(word).search(text) is not None


@lru_cache(maxsize=1024)
def _word_pattern(word: str) -> re.Pattern:
    return re.compile(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])")


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def has_cjk(text: str) -> bool:
    return any(_is_cjk(ch) for ch in text)


_ERROR_HEADING_RE = re.compile(
    r"^(?:" + "|".join(re.escape(w) for w in vocab.ERROR_HEADING_WORDS) + r")\s*(?:#?\s*(?:\d+|[一二三四五六七八九十]+|[a-z]))?\s*(?:[:：.、\-—–)]|$)\s*",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def error_heading_title(heading: str) -> str | None:
    """For `错误 3：X` / `Error: X` headings the title X; "" for a bare `Problem`; None for other headings."""
    text = _NUMBERING_RE.sub("", _EMOJI_RE.sub("", heading)).strip()
    match = _ERROR_HEADING_RE.match(text)
    if not match:
        return None
    return text[match.end():].strip()  # "" for a bare `Problem` / `问题 1`: the caller names it


_ERROR_TOKEN_RE = re.compile(
    r"\b[A-Z][A-Za-z0-9]*(?:Error|Exception|Exit|Fault|Warning)\b|\bE[A-Z]{3,}\b|\bERR_[A-Z_]+\b|\bE\d{4,5}\b"
    r"|\b(?:OOMKilled|CrashLoopBackOff|ImagePullBackOff|ErrImagePull|Segmentation fault|panic:|FATAL|CRITICAL)"
    r"|\b[45]\d\d\s+[A-Z][a-z]+|\bHTTP[/ ]?\d?\.?\d?\s*[45]\d\d\b|\bexit (?:code|status) [1-9]",
)


def looks_like_error(text: str) -> bool:
    """True for a line that reads as an error message rather than prose about one."""
    if not text or len(text) > 400:
        return False
    if _ERROR_TOKEN_RE.search(text):
        return True
    lower = text.lower()
    return any(word in lower for word in vocab.ERROR_LINE_WORDS)


def has_error_token(text: str) -> bool:
    """Stronger than looks_like_error: an exception class, errno, error code or status."""
    return _ERROR_TOKEN_RE.search(text) is not None


@lru_cache(maxsize=8192)
def matches_any(text: str, words: tuple[str, ...] | frozenset[str]) -> bool:
    """Does the text contain one of the words (annotations like `(失败)` included)?"""
    lower = text.replace("`", "").replace("*", "").lower()
    return any(_contains_word(lower, word) for word in words)


@lru_cache(maxsize=4096)
def phase_of(text: str) -> str:
    """pre / during / post for a checklist title, or ""."""
    lower = normalise_label(text)
    for phase in ("pre", "post", "during"):
        if any(_contains_word(lower, word) for word in vocab.PHASE_WORDS[phase]):
            return phase
    return ""
