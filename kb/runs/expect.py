"""Check a command's result against the report's expected line (`# 预期：…`, `# expected: …`).

Expected lines are prose written for people, so only what can be checked is
checked: an exit code (`exit 0`, `返回码 0`), an HTTP status for curl (`HTTP 200`),
a `/regex/`, "no output" (`无输出`), and literal fragments (quoted text first,
else the ASCII phrases). Nothing checkable means the operator judges (None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EXIT_RE = re.compile(r"(?i)(?:\bexit(?:s|ed)?(?:\s*(?:code|status))?(?:\s+with)?|返回码|退出码|返回值|退出状态|\brc)"
                      r"\s*(?:[:=：]|为|是|is\b|of\b)?\s*(\d+)")
_CONNECTIVES_RE = re.compile(r"(?i)^[\s,;.，；。、]*(?:and|with|then|且|并且|并|同时)?[\s,;.，；。、]*$")
_HTTP_RE = re.compile(r"(?i)\bHTTP(?:/[\d.]+)?\s*(\d{3})\b|^\s*(\d{3})\s*$")
_STATUS_LINE_RE = re.compile(r"(?m)^HTTP/[\d.]+\s+(\d{3})\b|^<\s*HTTP/[\d.]+\s+(\d{3})\b")
_REGEX_RE = re.compile(r"^/(.+)/([imsx]*)$")
_QUOTED_RE = re.compile(r"[\"“`']([^\"”`']{2,})[\"”`']")
_NO_OUTPUT_RE = re.compile(r"(?i)无输出|no output|nothing printed|\(empty\)")
_ASCII_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._:/=()\[\]{}<>@#%+*,-]*[A-Za-z0-9)\]}>]")


@dataclass
class Check:
    passed: bool | None  # None: nothing checkable, the operator decides
    reason: str


def check(expected: str, command: str, exit_code: int | None, output: str) -> Check:
    expected = (expected or "").strip()
    if exit_code is None:
        return Check(False, "the command did not finish")
    if not expected:
        return Check(exit_code == 0, f"exit code {exit_code}")
    regex = _REGEX_RE.match(expected)
    if regex:
        flags = re.IGNORECASE if "i" in regex.group(2) else 0
        found = re.search(regex.group(1), output, flags | re.MULTILINE) is not None
        return Check(found, f"output {'matches' if found else 'does not match'} /{regex.group(1)}/")
    wanted_exit = _EXIT_RE.search(expected)
    if wanted_exit:
        code = int(wanted_exit.group(1))
        if exit_code != code:
            return Check(False, f"exit code {exit_code}, expected {code}")
    if _NO_OUTPUT_RE.search(expected):
        empty = not output.strip()
        return Check(empty and (exit_code == 0 or wanted_exit is not None),
                     "no output" if empty else "expected no output, got some")
    http = _HTTP_RE.search(expected)
    if http and "curl" in command:
        return _check_http(int(http.group(1) or http.group(2)), exit_code, output)
    rest = _EXIT_RE.sub(" ", expected) if wanted_exit else expected  # the exit code is checked: not a text to find
    if wanted_exit and _CONNECTIVES_RE.match(rest):
        return Check(True, f"exit code {exit_code}")
    fragments = [m.group(1).strip() for m in _QUOTED_RE.finditer(rest)]
    if not fragments:
        fragments = [f.strip() for f in _ASCII_RE.findall(rest) if len(f.strip()) >= 3 and not f.strip().isdigit()]
    if not fragments:
        if wanted_exit:
            return Check(True, f"exit code {exit_code}")
        return Check(None, f"exit code {exit_code}; check by eye: {expected}")
    missing = [f for f in fragments if not _holds(output, f)]
    if missing:
        return Check(False, f"output lacks {missing[0]!r}")
    return Check(True, "output has " + ", ".join(repr(f) for f in fragments[:3]))


def _holds(output: str, fragment: str) -> bool:
    """The output holds the fragment as written: `active` is not found inside `inactive`."""
    before = r"(?<![A-Za-z0-9])" if fragment[:1].isalnum() else ""
    after = r"(?![A-Za-z0-9])" if fragment[-1:].isalnum() else ""
    return re.search(before + re.escape(fragment) + after, output, re.IGNORECASE) is not None


_STATUS_IN_QUESTION_RE = re.compile(r"(?<!\d)([1-5]\d\d)(?!\d)")
_HTTP_PROGRAMS = ("curl", "wget", "http", "https")


def question_check(question: str, command: str) -> str:
    """What a flowchart question right after a command expects of it, when it can be checked.

    `返回200?` / `Returns 200?` after a curl means HTTP 200. Other questions
    ("所有服务都在运行?") are for the operator to answer: no check ("").
    """
    words = command.split()
    program = words[1] if words[:1] == ["sudo"] and len(words) > 1 else (words[0] if words else "")
    status = _STATUS_IN_QUESTION_RE.search(question)
    if status and program in _HTTP_PROGRAMS:
        return f"HTTP {status.group(1)}"
    wanted_exit = _EXIT_RE.search(question)
    return f"exit {wanted_exit.group(1)}" if wanted_exit else ""


_YES = ("是", "yes", "y", "ok", "true", "正常", "成功", "通过", "pass", "passed", "有", "能", "可以", "200")
_NO = ("否", "no", "n", "not ok", "false", "异常", "失败", "不通过", "fail", "failed", "无", "不能", "不可以")


def answer_for(labels: list[str], passed: bool) -> str | None:
    """The branch label that says yes (check passed) or no (it failed), if exactly one does."""
    words = _YES if passed else _NO
    picked = [label for label in labels if label.strip().lower().rstrip("?？!！.。") in words]
    return picked[0] if len(picked) == 1 else None


def _check_http(status: int, exit_code: int, output: str) -> Check:
    lines = _STATUS_LINE_RE.findall(output)
    seen = [int(a or b) for a, b in lines]
    tail = output.strip().splitlines()[-1].strip() if output.strip() else ""
    if not seen and re.fullmatch(r"\d{3}", tail):
        seen = [int(tail)]  # curl -w '%{http_code}'
    if seen:
        return Check(seen[-1] == status, f"HTTP {seen[-1]}, expected {status}")
    if exit_code != 0:
        return Check(False, f"curl failed (exit code {exit_code}), expected HTTP {status}")
    return Check(None, f"curl exited 0 but printed no status line (add -i or -w '%{{http_code}}' to check HTTP {status})")
