"""Split a fenced shell block into commands with their comments and expected results.

Reports write `# 1. 检查服务状态` above a command and `# 预期：active (running)`
below it; console blocks show `$ cmd` followed by output. Continuation lines
(`\\`) join into one command, a heredoc keeps its body, comment lines are never
commands (not even commented-out ones).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb import vocab

_EXPECTED_RE = re.compile(
    r"^#+\s*(?:" + "|".join(re.escape(w) for w in vocab.EXPECTED_WORDS) + r")\s*[:：]?\s*(.*)$",
    re.IGNORECASE,
)
_HEREDOC_RE = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
_PROMPT_RE = re.compile(r"^(?:\S*[$#%>]\s|\$$)")
_TRAILING_COMMENT_RE = re.compile(r"\s+#\s.*$")


@dataclass
class Command:
    command: str
    comment: str = ""
    expected: str = ""
    line: int = 0  # line within the block, 1-based


def split_commands(code: str, lang: str) -> list[Command]:
    if lang == "console" or _is_console(code):
        return _split_console(code)
    return _split_script(code)


def _is_console(code: str) -> bool:
    lines = [line for line in code.splitlines() if line.strip()]
    return bool(lines) and lines[0].lstrip().startswith("$ ")


def _split_script(code: str) -> list[Command]:
    commands: list[Command] = []
    comment: list[str] = []
    lines = code.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        i += 1
        if not stripped:
            comment = []
            continue
        if stripped.startswith("#"):
            expected = _EXPECTED_RE.match(stripped)
            if expected and commands and not comment:
                previous = commands[-1]
                previous.expected = (previous.expected + "\n" + expected.group(1)).strip()
            elif not stripped.startswith("#!"):
                comment.append(stripped.lstrip("#").strip())
            continue
        start = i
        parts = [stripped]
        while parts[-1].endswith("\\") and i < len(lines):
            parts[-1] = parts[-1][:-1].rstrip()
            parts.append(lines[i].strip())
            i += 1
        if parts[-1].endswith("\\"):
            parts[-1] = parts[-1][:-1].rstrip()
        text = re.sub(r"[ \t]+", " ", " ".join(p for p in parts if p)).strip()
        heredoc = _HEREDOC_RE.search(text)
        if heredoc:
            body = []
            while i < len(lines):
                body.append(lines[i])
                i += 1
                if lines[i - 1].strip() == heredoc.group(2):
                    break
            text = "\n".join([text, *body])
        text, trailing = _strip_trailing_comment(text)
        commands.append(Command(command=text, comment=" ".join(comment) or trailing, line=start))
        comment = []
    return commands


def _strip_trailing_comment(text: str) -> tuple[str, str]:
    first, sep, rest = text.partition("\n")
    if "'" in first or '"' in first:
        return text, ""
    match = _TRAILING_COMMENT_RE.search(first)
    if not match:
        return text, ""
    return first[: match.start()] + sep + rest, match.group(0).strip().lstrip("#").strip()


def _split_console(code: str) -> list[Command]:
    commands: list[Command] = []
    comment: list[str] = []
    for number, raw in enumerate(code.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("$ ") or stripped == "$":
            command = stripped[1:].strip()
            if command:
                commands.append(Command(command=command, comment=" ".join(comment), line=number))
            comment = []
        elif stripped.startswith("#") and not commands:
            comment.append(stripped.lstrip("#").strip())
        elif stripped and commands:
            expected = _EXPECTED_RE.match(stripped)
            output = expected.group(1) if expected else stripped
            last = commands[-1]
            last.expected = (last.expected + "\n" + output).strip() if last.expected else output
    return commands
