"""Turn a report file's bytes into text, or say in one line why not.

Teams write reports on Windows and Linux, in UTF-8 with or without BOM, UTF-16
from some editors, and GB18030/GBK from older Chinese tooling. Anything else,
or binary data, is refused with a reason that names the file.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

MAX_BYTES = 20 * 1024 * 1024


class DecodeError(ValueError):
    """A file that cannot be read as a report; the message is one line for the operator."""


def decode_report(data: bytes, name: str = "<input>") -> str:
    """Decode report bytes (UTF-8/BOM, UTF-16 with BOM, GB18030) or raise DecodeError."""
    if not data:
        raise DecodeError(f"{name}: empty file")
    if len(data) > MAX_BYTES:
        raise DecodeError(f"{name}: too large ({len(data) / 1048576:.1f} MB, limit 20 MB)")
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", name)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", name)
    if b"\x00" in data[:8192]:
        raise DecodeError(f"{name}: binary file (NUL bytes), not a text report")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise DecodeError(f"{name}: not UTF-8, UTF-16 or GB18030 text") from None
    if _looks_binary(text):
        raise DecodeError(f"{name}: binary content, not a text report")
    if not text.strip():
        raise DecodeError(f"{name}: empty file")
    return text


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise DecodeError(f"{name}: invalid {encoding.upper()} despite its byte-order mark") from None
    if not text.strip():
        raise DecodeError(f"{name}: empty file")
    return text


# C0 control characters other than tab, newline, form feed, carriage return and escape.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _looks_binary(text: str) -> bool:
    """Many C0 control characters (other than tab/newline/escape) mean it is not prose."""
    sample = text[:8192]
    controls = len(_CONTROL_RE.findall(sample))
    return controls > max(8, len(sample) // 100)


def read_text(path: Path) -> str:
    """Read and decode a report file, raising DecodeError (one line, names the file)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DecodeError(f"{path}: too large ({size / 1048576:.1f} MB, limit 20 MB)")
        data = path.read_bytes()
    except OSError as exc:
        raise DecodeError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return decode_report(data, str(path))
