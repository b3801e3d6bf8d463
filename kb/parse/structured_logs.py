"""Structured log lines read as what they say.

Go, Node and Python services log one JSON object per line (zap, pino, structlog:
`{"level":"warn","ts":...,"msg":"retrying of unary invoker failed","error":"rpc error: ..."}`) or
logfmt (`level=error ts=... msg="opening storage failed" err="lock DB directory: ..."`). As raw text
such a line is hundreds of characters of keys, timestamps and callers around the few words that name
the error, so it neither reads as an error line nor makes a useful message. Its message and error
fields are the line an operator would quote: both sides of search read the line that way (the
report's log when a card is made, the operator's paste when it is searched).
"""

from __future__ import annotations

import json
import re
from kb.parse.lazy_re import lazy

_LEVEL_KEYS = ("level", "lvl", "severity", "levelname", "log.level")
_MESSAGE_KEYS = ("msg", "message", "event")
# error, err, exception, reason, and their parts: err.detail, error.message, error_msg (not err.code)
_ERROR_KEY_RE = lazy(r"^(?:error|err|exception|exc|reason|cause)(?:[._](?:detail|details|message|msg|reason|cause))?$",
                           re.IGNORECASE)
_LOGFMT_PAIR_RE = lazy(r'([\w.\-]+)=("(?:[^"\\]|\\.)*"|\S*)')


def readable(line: str) -> str:
    """A structured log line's message and error (`put flag: etcdserver: request is too large`); any
    other line as it is (the same object)."""
    read = structured(line)
    return read[1] if read else line


def structured(line: str) -> tuple[str, str] | None:
    """(level, message and error) of a structured log line, or None for any other line."""
    text = line.strip()
    if len(text) < 8:
        return None
    if text[0] == "{" and text[-1] == "}":
        fields = _json_fields(text)
    elif "=" in text and ("level=" in text or "lvl=" in text):
        fields = _logfmt_fields(text)
    else:
        return None
    if fields is None or not any(key in fields for key in _LEVEL_KEYS):
        return None
    parts = [_first(fields, _MESSAGE_KEYS)]
    for key, value in fields.items():  # every error field: `error`, `err.detail`, `error.message`, `exception`
        if _ERROR_KEY_RE.match(key):
            text = _text(value)
            if text and text not in parts and len(text) > 3:
                parts.append(text)
    parts = [part for part in parts if part]
    if not parts:
        return None
    return _first(fields, _LEVEL_KEYS).lower(), ": ".join(parts)


def is_error_level(level: str) -> bool:
    return level in ("error", "err", "fatal", "panic", "critical", "crit", "alert", "emerg", "dpanic")


def _json_fields(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than any log line (a hostile paste)
        return None
    return value if isinstance(value, dict) else None


def _logfmt_fields(text: str) -> dict | None:
    fields = {}
    for key, raw in _LOGFMT_PAIR_RE.findall(text):
        if raw.startswith('"'):
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = raw[1:-1]
        fields[key] = raw
    return fields if "msg" in fields or any(_ERROR_KEY_RE.match(key) for key in fields) else None


def _first(fields: dict, keys: tuple[str, ...]) -> str:
    for key in keys:
        text = _text(fields.get(key))
        if text:
            return text
    return ""


def _text(value) -> str:
    if isinstance(value, dict):  # {"error": {"message": "...", "type": "..."}}
        value = value.get("message") or value.get("msg")
    return " ".join(value.split()) if isinstance(value, str) else ""
