"""Normalise error text the way log-mining tools do (Drain3 masking, Sentry grouping).

The same error printed on two machines differs in timestamps, hosts, ports,
PIDs, container ids and paths; it keeps its exception class, error code and
message words. `mask` replaces the volatile parts with placeholders,
`fingerprint` hashes the masked message, and `salient_lines` picks the lines of
a long paste that name the error, weighted above the noise.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from kb.parse import labels
from kb.parse.structured_logs import readable
from kb.parse.lazy_re import lazy

MAX_QUERY_BYTES = 1024 * 1024

# What mask makes is stored: errors' fingerprints (kb/store) and each index document's signature
# (kb/search/candidate_text.py). A change here bumps SCHEMA_VERSION and INDEX_VERSION, so both are made again.
#
# Each pattern comes with what any match of it holds: DIGIT (the patterns' own \d, any Unicode digit: a
# replacement never adds one, so a text without one is looked at once), and a test of the text. A text that
# fails either is left as it is without a scan: most of the ~20 scans of a text find nothing (a passage's
# signature is masked at index time, an error's fingerprint at ingest). tests/test_normalize.py checks the
# tests against the scans on texts of every kind.
DIGIT, ANY = True, False
_PID_WORDS = ("pid", "process", "worker", "thread", "tid")


def _names_a_process(text: str) -> bool:
    """The PID pattern is case-insensitive: Unicode case folding (ſ, K) can match only in a text that is not ASCII."""
    return not text.isascii() or any(word in text.lower() for word in _PID_WORDS)


_SUBS: list[tuple] = [  # (pattern, replacement, needs a digit, a test the text must pass)
    # timestamps: ISO 8601, nginx/Go 2026/01/14 09:12:44, syslog "Feb 11 22:31:05", bare times
    (lazy(r"\b\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), " <ts> ", DIGIT,
     lambda t: ":" in t),
    (lazy(r"\b\d{4}[-/]\d{2}[-/]\d{2}\b"), " <date> ", DIGIT, lambda t: "-" in t or "/" in t),
    (lazy(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}(?:\.\d+)?"), " <ts> ",
     DIGIT, lambda t: ":" in t),
    (lazy(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"), " <time> ", DIGIT, lambda t: ":" in t),
    # identifiers that vary per machine
    (lazy(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), " <uuid> ", ANY,
     lambda t: "-" in t),
    (lazy(r"\b(?:[a-z][a-z0-9-]*://)?[^\s/@:]+:[^\s/@]+@"), " <cred>@", ANY, lambda t: "@" in t),  # user:pass@ in URLs
    (lazy(r"(?<=://)[A-Za-z0-9.-]+(?::\d+)?"), "<host>", ANY, lambda t: "://" in t),  # hosts in URLs
    (lazy(r"\[?(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\]?(?::\d+)?|:::\d+"), " <ip> ", ANY, lambda t: ":" in t),
    (lazy(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b"), " <ip> ", DIGIT, lambda t: "." in t),
    (lazy(r"\b0x[0-9a-fA-F]+\b"), " <hex> ", ANY, lambda t: "0x" in t),
    (lazy(r"(?i)\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|cn|dev|app|local|internal|cloud|co|uk|de|jp|ai|me|info|"
                r"biz|xyz|lan|svc|example|test|localdomain)\b"), "<host>", ANY, lambda t: "." in t),
    (lazy(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,64}\b"), " <hex> ", DIGIT, lambda t: True),
    (lazy(r"(?i)\b(pid|process|worker|thread|tid)([\s:=#(]+)\d+"), r"\1\2<n>", DIGIT, _names_a_process),
    (lazy(r"\[\d+\]"), "[<n>]", DIGIT, lambda t: "[" in t),
    (lazy(r"\b\d+#\d+\b"), "<n>", DIGIT, lambda t: "#" in t),
    # absolute paths down to their last two parts
    (lazy(r"(?<![\w.])(?:/[\w.@+-]+){3,}"), lambda m: " …/" + "/".join(m.group(0).split("/")[-2:]) + " ", ANY,
     lambda t: t.count("/") >= 3),
    (lazy(r"\b[A-Za-z]:\\(?:[\w.@+ -]+\\)+([\w.@+-]+)"), r" …\\\1 ", ANY, lambda t: ":\\" in t),
    # remaining numbers (ports, sizes, counts), not inside identifiers such as E11000 or ERR_2
    (lazy(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w])"), "<n>", DIGIT, lambda t: True),
]
_DIGIT_RE = lazy(r"\d")
_SPACE_RE = lazy(r"\s+")
_PREFIX_RE = lazy(
    r"^\s*(?:#<n>\s+(?:<n>\s+)?)?"  # BuildKit's step number and elapsed seconds: `#12 4.183 `
    r"(?:<ts>|<date>|<time>|\s)*(?:\[?(?:DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL|E|W|I)\]?(?=[\s:\]])\s*)?"
    r"(?:\[[\w.:/<>-]{1,40}\]\s*)?(?:[\w.<>-]+\s+[\w.<>-]+\[<n>\]:\s+)?"
)


def mask(text: str) -> str:
    """Replace timestamps, ids, IPs, hosts, PIDs, paths and numbers with placeholders."""
    digits = _DIGIT_RE.search(text) is not None
    for pattern, replacement, needs_digit, holds in _SUBS:
        if (digits or not needs_digit) and holds(text):
            text = pattern.sub(replacement, text)
    return _SPACE_RE.sub(" ", text).strip()


def mask_scanning_all(text: str) -> str:
    """mask, every pattern scanned: what the tests hold mask's shortcuts to."""
    for pattern, replacement, _, _ in _SUBS:
        text = pattern.sub(replacement, text)
    return _SPACE_RE.sub(" ", text).strip()


def strip_prefix(masked_line: str) -> str:
    """Drop a log line's timestamp / level / logger / `host proc[pid]:` prefix."""
    stripped = _PREFIX_RE.sub("", masked_line, count=1).strip()
    return stripped or masked_line


def signature(message: str) -> str:
    """The masked, lower-cased message without log prefixes: what two machines share."""
    return strip_prefix(mask(message)).lower()


def fingerprint(message: str) -> str:
    return hashlib.sha1(signature(message).encode("utf-8")).hexdigest()[:16]


_TRACEBACK_END_RE = lazy(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Fault)\b")
_ERROR_WORD_RE = lazy(r"(?i)\b(?:error|err!|failed|failure|fatal|panic|exception|refused|denied|timed out|"
                            r"not found|cannot|can't|unable|invalid|killed|emerg|crit)\b|错误|失败|异常|超时|拒绝"
                            # the C library's own error texts (strerror), as shells and runtimes print them after
                            # a path or a call: `./build.sh: No such file or directory`, `bind: address already in use`
                            r"|(?i:\bno such (?:file|device|process|host)|\bnot a directory\b|\bis a directory\b"
                            r"|\baddress already in use\b|\bno space left on device\b|\bread-only file system\b"
                            r"|\bbroken pipe\b|\bconnection reset by peer\b|\bno route to host\b"
                            r"|\bnetwork is unreachable\b|\btoo many open files\b|\bexec format error\b"
                            # a requirement the environment does not meet: `Node.js version >= v18.17.0 is required`
                            r"|\b(?:is|are) required\b|\bunsupported\b|\bnot supported\b|\bincompatible\b)")
_FRAME_RE = lazy(r"^\s*(?:at\s|File \"|\^|~+|\.\.\.|Traceback \(most recent|goroutine\s|\S+\.go:\d+"
                       r"|#\d+\s+(?:0x[0-9a-fA-F]+\s+in\s|[\w:~<>]+\s*\(.*\)\s+at\s))")  # gdb frames, not BuildKit steps


def cut(paste: str) -> tuple[str, bool]:
    """Limit a paste to 1 MB; returns (text, was_cut)."""
    data = paste.encode("utf-8", "ignore")  # lone surrogates (undecodable bytes passed through) are dropped
    if len(data) <= MAX_QUERY_BYTES:
        return (paste if len(data) >= len(paste) and paste.isascii() else data.decode("utf-8")), False
    return data[:MAX_QUERY_BYTES].decode("utf-8", "ignore"), True


# A paste of up to 1 MB is looked at closely only where it can name an error. Every line that the error-word
# pattern above, labels' error tokens or a traceback's last line can match holds one of these (the words
# lower-cased, then case-sensitive ones and shapes): found with a few fast scans of the whole paste, so the
# other lines (most of a log) cost nothing. tests/test_paste_speed.py checks they stay in step with those patterns.
_WORD_ANCHORS = ("err", "fail", "fatal", "panic", "exception", "refused", "denied", "timed out", "not found", "cannot",
                 "can't", "unable", "invalid", "killed", "emerg", "crit", "错误", "失败", "异常", "超时", "拒绝", "no such",
                 "directory", "in use", "no space", "read-only", "broken pipe", "reset by peer", "no route",
                 "unreachable", "too many open", "exec format", "required", "supported", "incompatible")
_TOKEN_ANCHORS = ("Error", "Exception", "Exit", "Fault", "Warning", "Interrupt", "ERR_", "OOMKilled", "CrashLoopBackOff",
                  "ImagePullBackOff", "ErrImagePull", "Segmentation fault", "panic:", "FATAL", "CRITICAL", "exit code",
                  "exit status")
_TOKEN_SHAPES_RE = re.compile(r"E(?:[A-Z]{3}|\d{4})|[45]\d\d\s+[A-Z][a-z]|HTTP[/ ]?\d?\.?\d?\s*[45]\d\d")
MAX_LINE_CHARS = 2000  # a longer line is cut around its first telling word: the work per line is bounded
CANDIDATE_BUDGET = 2000  # lines examined closely at most (the first and the last half): a paste of errors only


def salient_lines(paste: str, limit: int = 8) -> list[tuple[str, float]]:
    """The lines of a paste that name the error, with weights (higher = more telling).

    A one-line query is itself salient. In a log or traceback, exception lines,
    the last traceback line and `error`/`failed`/`fatal` lines outrank the rest;
    stack frames and blank noise are dropped. Remembered for the last few pastes:
    search asks for them several times.
    """
    return list(_salient_lines(paste, limit))


@lru_cache(maxsize=4)
def _salient_lines(paste: str, limit: int) -> tuple[tuple[str, float], ...]:
    raw = paste.splitlines()
    first_two = [line for line in _non_blank(raw, reverse=False, count=2)]
    if len(first_two) <= 1:
        return ((_bounded(readable(first_two[0][1].strip())), 3.0),) if first_two else ()
    scored: list[tuple[float, int, str]] = []
    last_exception = None
    for index in _candidates(raw):
        line = raw[index].strip()
        if not line:
            continue
        line = _bounded(readable(line))
        if _FRAME_RE.match(line):
            continue
        weight = 0.0
        if _may_end_traceback(line) and _TRACEBACK_END_RE.match(strip_prefix(mask(line))):
            weight = 3.0
            last_exception = index
        elif labels.has_error_token(line):
            weight = 2.5
        elif _ERROR_WORD_RE.search(line):
            weight = 2.0
        if weight:
            scored.append((weight, index, line))
    if last_exception is not None:
        scored = [(w + (1.0 if i == last_exception else 0.0), i, line) for w, i, line in scored]
    if not scored:
        # no error-looking line: the last lines of a log are usually the telling ones
        last = [_bounded(readable(line.strip())) for _, line in _non_blank(raw, reverse=True, count=3)]
        return tuple((line, 1.0) for line in reversed(last))
    best = sorted(scored, key=lambda item: (-item[0], item[1]))[:limit]
    return tuple((line, weight) for weight, _, line in sorted(best, key=lambda item: item[1]))


def _candidates(raw: list[str]) -> list[int]:
    """Indexes of the lines that hold an anchor (in order); past the budget, the first and the last ones."""
    joined = "\n".join(raw)  # splitlines' other breaks (\r, \x0c, \u2028...) are gone: one "\n" per line
    lowered = joined.lower()  # the same lines (lower() never makes or takes a line break)
    found: set[int] = set()
    for text, words in ((lowered, _WORD_ANCHORS), (joined, _TOKEN_ANCHORS)):
        starts: list[int] = []
        for word in words:  # str.find: a fast scan per word, one hit per line at most
            at = text.find(word)
            while at >= 0:
                starts.append(at)
                end = text.find("\n", at)
                at = text.find(word, end + 1) if end >= 0 else -1
        found.update(_line_numbers(text, sorted(starts)))
    found.update(_line_numbers(joined, [match.start() for match in _TOKEN_SHAPES_RE.finditer(joined)]))
    indexes = sorted(found)
    if len(indexes) > CANDIDATE_BUDGET:  # a paste of nothing but errors: its first and its last ones
        half = CANDIDATE_BUDGET // 2
        indexes = indexes[:half] + indexes[-half:]
    return indexes


def _line_numbers(text: str, starts: list[int]) -> list[int]:
    """The line of each (sorted) offset."""
    lines, line, position = [], 0, 0
    for start in starts:
        line += text.count("\n", position, start)
        position = start
        lines.append(line)
    return lines


def _non_blank(raw: list[str], reverse: bool, count: int) -> list[tuple[int, str]]:
    out = []
    for index in (range(len(raw) - 1, -1, -1) if reverse else range(len(raw))):
        if raw[index].strip():
            out.append((index, raw[index]))
            if len(out) == count:
                break
    return out


def _may_end_traceback(line: str) -> bool:
    """Cheap necessary condition for _TRACEBACK_END_RE (its class-name endings), before masking the line."""
    return any(word in line for word in ("Error", "Exception", "Exit", "Interrupt", "Warning", "Fault"))


def _bounded(line: str) -> str:
    """The line, or MAX_LINE_CHARS of it around its first telling word (from the start when there is none)."""
    if len(line) <= MAX_LINE_CHARS:
        return line
    lowered = line.lower()
    hits = [at for at in (*(lowered.find(word) for word in _WORD_ANCHORS), *(line.find(word) for word in _TOKEN_ANCHORS))
            if at >= 0]
    start = max(0, min(hits) - MAX_LINE_CHARS // 4) if hits else 0
    return line[start:start + MAX_LINE_CHARS]
