"""Classify labels, headings and lines by the role they play, using kb.parse.vocab."""

from __future__ import annotations

import re
from functools import lru_cache

from kb.parse import vocab
from kb.parse.lazy_re import lazy

_EMOJI_RE = lazy("[\u2600-\u27bf\U0001f000-\U0001faff\u2b50\u2b06\u2194-\u21ff\ufe0f\u200d]")
_ANNOTATION_RE = lazy(r"\s*[(（\[【].*?[)）\]】]\s*")
_NUMBERING_RE = lazy(r"^\s*(?:\d+(?:\.\d+)*[.、)]?|[一二三四五六七八九十]+[、.])\s*")

_FIELD_TABLE = sorted(
    ((word, role) for role, words in vocab.FIELD_WORDS.items() for word in words),
    key=lambda pair: -len(pair[0]),
)
# The same table as lookups (a report may have 50,000 distinct headings; each scan of the table cost ~0.3 ms):
# word -> (its first place in the table, role), for the exact and prefix matches and for the words-inside match.
_FIELD_FIRST: dict[str, tuple[int, str]] = {}
for _place, (_word, _role) in enumerate(_FIELD_TABLE):
    _FIELD_FIRST.setdefault(_word, (_place, _role))
_INSIDE_BY_START: dict[str, list[tuple[int, str, str]]] = {}  # first two characters -> (place, word, role)
for _place, (_word, _role) in enumerate(_FIELD_TABLE):
    if len(_word) >= 2 and _role not in ("question", "answer", "log"):
        _INSIDE_BY_START.setdefault(_word[:2], []).append((_place, _word, _role))
_FIELD_LENGTHS = sorted({len(word) for word, _ in _FIELD_TABLE if len(word) >= 2}, reverse=True)


@lru_cache(maxsize=65536)  # a heading is asked about several times (errors, passages, links)
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
    exact = _FIELD_FIRST.get(norm)
    if exact is not None:
        return exact[1]
    for length in _FIELD_LENGTHS:  # the longest word the label starts with (then at a word's end)
        if length <= len(norm):
            found = _FIELD_FIRST.get(norm[:length])
            if found is not None and _boundary_after(norm, length):
                return found[1]
    if len(norm) <= 24:  # a known word inside a short label: the one first in the table
        best: tuple[int, str, str] | None = None
        for start in range(len(norm) - 1):
            for found in _INSIDE_BY_START.get(norm[start:start + 2], ()):
                if (best is None or found[0] < best[0]) and norm.startswith(found[1], start) \
                        and _contains_word(norm, found[1]):
                    best = found
        if best is not None:
            return best[2]
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


_ERROR_HEADING_RE = lazy(
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


_ERROR_TOKEN_RE = lazy(
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


# --- printed messages (error cards) ---------------------------------------------------------------------

_QUOTE_RE = lazy(r"`([^`\n]{3,300})`|\"([^\"\n]{6,300})\"|“([^”\n]{6,300})”|「([^」\n]{4,300})」|'([^'\n]{12,300})'")
_EXIT_RE = lazy(r"\bexit(?:ed)?\s+(?:with\s+)?(?:code|status)\s*[1-9]", re.IGNORECASE)
_ERRNO = ("NOENT ACCES ADDRINUSE ADDRNOTAVAIL CONNREFUSED CONNRESET CONNABORTED NOSPC PERM EXIST TIMEDOUT PIPE "
          "AI_AGAIN BADENGINE RESOLVE NOTFOUND HOSTUNREACH NETUNREACH MFILE NFILE NOMEM ISDIR NOTDIR BUSY INVAL ROFS "
          "LOOP NOTEMPTY INTEGRITY NOTSUP OVERRIDE USAGE NOTCONN PROTO 2BIG AGAIN DQUOT").split()
_CLASS_TOKEN_RE = lazy(r"\b[A-Z][a-z][A-Za-z0-9]*(?:Error|Exception)\b|\bE(?:" + "|".join(_ERRNO) + r")\b|"
                             r"\bERR_[A-Z_]+\b|\bERR!|\b(?:OOMKilled|CrashLoopBackOff|ImagePullBackOff|ErrImagePull|"
                             r"CreateContainerConfigError|Segmentation fault|Traceback \(most recent call last\))")
_MESSAGE_TOKEN_RE = lazy(r"\bE\d{4,5}\b|\bpanic:|\b(?:FATAL|CRITICAL|ERROR)\b")
_STATUS_RE = lazy(r"\b[45]\d\d\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*\s*$|^\s*[45]\d\d\s+[A-Z][a-z]+|"
                        r"\bHTTP[/ ]?\d?\.?\d?\s*[45]\d\d\b")  # `502 Bad Gateway`, `HTTP/2 504`
_STATUS_PHRASE_RE = lazy(r"\b(?:Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out|"
                               r"Too Many Requests|Request Entity Too Large)\b")
_IDENTIFIER_RE = lazy(r"\b\w+(?:[-_.]\w+)+\b")
_LETTER_WORD_RE = lazy(r"[A-Za-z][A-Za-z'’]+")


def _cjk_count(text: str) -> int:
    return sum(1 for ch in text if _is_cjk(ch))


def title_case(text: str) -> bool:
    """`Missing SSL Directory`, `PostgreSQL Connection Refused`: a heading's wording, not a printed line."""
    words = [w.strip(".,;:!?()[]{}\"'`") for w in text.split()]
    words = [w for w in words if len(w) > 1 and w.isalpha() and not re.search(r"[a-z][A-Z]", w)]  # no identifiers
    if len(words) < 2:
        return False
    small = {"a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "with", "by", "at", "from", "is", "not"}
    counted = [w for w in words if w.lower() not in small]
    return bool(counted) and sum(1 for w in counted if w[0].isupper()) >= 0.75 * len(counted) and \
        sum(1 for w in words if w[0].isupper()) * 5 >= len(words) * 3


@lru_cache(maxsize=8192)
def reads_as_message(text: str) -> bool:
    """Does this read as what a program printed (`bind: address already in use`, `OOMKilled`,
    `5.Liveness probe failed:`) rather than a person's name for a problem (`端口被占用`, `Missing
    SSL Directory`)? Chinese prose and Title Case headings are names; an error token or a message
    word in a plain lower-case line is a message."""
    text = _EMOJI_RE.sub("", text or "").strip()
    if not text or len(text) > 500:
        return False
    if _CLASS_TOKEN_RE.search(text) or _EXIT_RE.search(text) or _STATUS_RE.search(text) \
            or _STATUS_PHRASE_RE.search(text):
        return True  # ModuleNotFoundError, ECONNREFUSED, ERR_MODULE_NOT_FOUND, exit code 2, 502 Bad Gateway
    if title_case(_ANNOTATION_RE.sub(" ", text)):
        return False  # `PostgreSQL Connection Refused (CRITICAL)`: a heading about it
    if _MESSAGE_TOKEN_RE.search(text):
        return True
    letters = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if _cjk_count(text) * 2 > letters:
        return False
    lower = text.lower()
    return any(word in lower for word in vocab.MESSAGE_WORDS)


@lru_cache(maxsize=8192)
def reads_as_error(text: str) -> bool:
    """Stricter than reads_as_message, for a message quoted anywhere in a report's prose or blocks: an
    error token or a word that says something failed (`timeout=10`, `[warn]` and `in use` are not enough)."""
    if not reads_as_message(text):
        return False
    if _CLASS_TOKEN_RE.search(text) or _EXIT_RE.search(text) or _MESSAGE_TOKEN_RE.search(text) \
            or _STATUS_RE.search(text):
        return True
    lower = _IDENTIFIER_RE.sub(" ", text).lower()  # `stop-writes-on-bgsave-error`, `error_log`: names
    return any(word in lower for word in vocab.ERROR_MESSAGE_WORDS)


def quoted_messages(text: str) -> list[str]:
    """Messages quoted in a line of prose or a heading (`Nginx 日志显示 "Connection refused"`,
    ``## `uv: command not found` ``), in order."""
    found: list[str] = []
    for match in _QUOTE_RE.finditer(text or ""):
        quote = next(group for group in match.groups() if group).strip()
        if quote and reads_as_message(quote) and quote not in found:
            found.append(quote)
    return found


def quoted_spans(text: str) -> list[str]:
    """Every backtick or quoted span of a text, messages or not."""
    return [next(group for group in match.groups() if group).strip() for match in _QUOTE_RE.finditer(text or "")]
