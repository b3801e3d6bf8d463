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

from kb.parse import labels
from kb.parse.structured_logs import readable
from kb.parse.lazy_re import lazy

MAX_QUERY_BYTES = 1024 * 1024

_SUBS: list[tuple[re.Pattern, str]] = [
    # timestamps: ISO 8601, nginx/Go 2026/01/14 09:12:44, syslog "Feb 11 22:31:05", bare times
    (lazy(r"\b\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), " <ts> "),
    (lazy(r"\b\d{4}[-/]\d{2}[-/]\d{2}\b"), " <date> "),
    (lazy(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}(?:\.\d+)?"), " <ts> "),
    (lazy(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"), " <time> "),
    # identifiers that vary per machine
    (lazy(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), " <uuid> "),
    (lazy(r"\b(?:[a-z][a-z0-9-]*://)?[^\s/@:]+:[^\s/@]+@"), " <cred>@"),  # user:pass@ in URLs
    (lazy(r"(?<=://)[A-Za-z0-9.-]+(?::\d+)?"), "<host>"),  # hosts in URLs
    (lazy(r"\[?(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\]?(?::\d+)?|:::\d+"), " <ip> "),
    (lazy(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b"), " <ip> "),
    (lazy(r"\b0x[0-9a-fA-F]+\b"), " <hex> "),
    (lazy(r"(?i)\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|cn|dev|app|local|internal|cloud|co|uk|de|jp|ai|me|info|"
                r"biz|xyz|lan|svc|example|test|localdomain)\b"), "<host>"),
    (lazy(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,64}\b"), " <hex> "),
    (lazy(r"(?i)\b(pid|process|worker|thread|tid)([\s:=#(]+)\d+"), r"\1\2<n>"),
    (lazy(r"\[\d+\]"), "[<n>]"),
    (lazy(r"\b\d+#\d+\b"), "<n>"),
    # absolute paths down to their last two parts
    (lazy(r"(?<![\w.])(?:/[\w.@+-]+){3,}"), lambda m: " …/" + "/".join(m.group(0).split("/")[-2:]) + " "),
    (lazy(r"\b[A-Za-z]:\\(?:[\w.@+ -]+\\)+([\w.@+-]+)"), r" …\\\1 "),
    # remaining numbers (ports, sizes, counts), not inside identifiers such as E11000 or ERR_2
    (lazy(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w])"), "<n>"),
]
_SPACE_RE = lazy(r"\s+")
_PREFIX_RE = lazy(
    r"^\s*(?:#<n>\s+(?:<n>\s+)?)?"  # BuildKit's step number and elapsed seconds: `#12 4.183 `
    r"(?:<ts>|<date>|<time>|\s)*(?:\[?(?:DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL|E|W|I)\]?(?=[\s:\]])\s*)?"
    r"(?:\[[\w.:/<>-]{1,40}\]\s*)?(?:[\w.<>-]+\s+[\w.<>-]+\[<n>\]:\s+)?"
)


def mask(text: str) -> str:
    """Replace timestamps, ids, IPs, hosts, PIDs, paths and numbers with placeholders."""
    for pattern, replacement in _SUBS:
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


def salient_lines(paste: str, limit: int = 8) -> list[tuple[str, float]]:
    """The lines of a paste that name the error, with weights (higher = more telling).

    A one-line query is itself salient. In a log or traceback, exception lines,
    the last traceback line and `error`/`failed`/`fatal` lines outrank the rest;
    stack frames and blank noise are dropped.
    """
    lines = [readable(line.strip()) for line in paste.splitlines() if line.strip()]
    if len(lines) <= 1:
        return [(lines[0], 3.0)] if lines else []
    scored: list[tuple[float, int, str]] = []
    last_exception = None
    for index, line in enumerate(lines):
        if _FRAME_RE.match(line):
            continue
        body = strip_prefix(mask(line))
        weight = 0.0
        if _TRACEBACK_END_RE.match(body):
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
        return [(line, 1.0) for line in lines[-3:]]
    best = sorted(scored, key=lambda item: (-item[0], item[1]))[:limit]
    return [(line, weight) for weight, _, line in sorted(best, key=lambda item: item[1])]
