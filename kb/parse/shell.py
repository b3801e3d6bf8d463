"""Split a fenced shell block into commands with their comments and expected results.

Reports write `# 1. 检查服务状态` above a command and `# 预期：active (running)`
below it; console blocks show `$ cmd` followed by output. A command is what a
shell would read as one: lines join while the shell grammar (kb.parse.shell_syntax)
says it is still open, so a quote spanning lines, a heredoc, `if/fi`, `for/done`,
`case/esac`, `{ }` groups and functions stay whole. Pure `\\` continuations are
joined onto one line; other multi-line commands keep their lines. Comment lines
outside a command are never commands (not even commented-out ones).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from kb.parse import shell_syntax, vocab
from kb.parse.variables import find_variables, substitute

_EXPECTED_RE = re.compile(
    r"^#+\s*(?:" + "|".join(re.escape(w) for w in vocab.EXPECTED_WORDS) + r")\s*[:：]?\s*(.*)$",
    re.IGNORECASE,
)
_MAX_CHECKS = 200  # grammar checks for one command (a heredoc body is skipped in one)
_GLUED_PROMPT_RE = re.compile(r"^\$([a-z][\w.-]*)(?=\s|$)")
_PROMPT_RE = re.compile(r"^(?:\S*[$#%>]\s|\$$)")


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
    """A transcript: a line begins with a `$ ` prompt (no script line can: it would run a command named `$`)."""
    return any(line.lstrip().startswith("$ ") for line in code.splitlines())


def _split_script(code: str) -> list[Command]:
    commands: list[Command] = []
    comment: list[str] = []
    lines = code.splitlines()
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped:
            comment = []
            i += 1
            continue
        if stripped.startswith("#"):
            expected = _EXPECTED_RE.match(stripped)
            if expected and commands and not comment:
                previous = commands[-1]
                previous.expected = (previous.expected + "\n" + expected.group(1)).strip()
            elif not stripped.startswith("#!"):
                comment.append(stripped.lstrip("#").strip())
            i += 1
            continue
        end = command_end(lines, i)
        text, trailing = _strip_trailing_comment(command_text(lines[i:end]))
        if runnable(text):
            commands.append(Command(command=text, comment=" ".join(comment) or trailing, line=i + 1))
        comment = []
        i = end
    return commands


def command_end(lines: list[str], first: int, prompt: str = "") -> int:
    """Index just past the last line of the command starting at `lines[first]`.

    Lines join while the shell grammar says the command is still open (a quote,
    heredoc, compound command or trailing operator). One still open at the end of
    the block takes the rest of it (as a shell would: none of it then runs); one
    that closes into a syntax error falls back to its `\\` continuations.
    With `prompt` (console blocks), joined lines lose that continuation prompt.
    """
    end = _grammar_end(lines, first, prompt, strict=False)
    if end is not None:
        return end
    rest = shell_syntax.status("\n".join(lines[first:]), strict=True)
    if rest == "incomplete":
        return len(lines)  # still open at the end of the block: a shell reads all of it as this one command
    if rest == "complete":  # bash closes what the grammar thought open (some heredocs): find where, asking bash
        end = _grammar_end(lines, first, prompt, strict=True)
        if end is not None:
            return end
    j = first + 1
    while lines[j - 1].rstrip().endswith("\\") and j < len(lines):
        j += 1
    return j


def _grammar_end(lines: list[str], first: int, prompt: str, strict: bool) -> int | None:
    """Where the grammar closes the command (None: it does not, within the block or the check budget)."""
    text = lines[first]
    verdict = shell_syntax.status(text, strict)
    if verdict != "incomplete":
        return first + 1 if verdict == "complete" else None
    j = first + 1
    checks = 0
    while j < len(lines):
        checks += 1
        if checks > _MAX_CHECKS:
            return None  # a stray quote in pasted text: do not re-parse a growing log line by line
        line = lines[j]
        if prompt and line.lstrip().startswith(prompt):
            line = line.lstrip()[len(prompt):]
        text += "\n" + line
        j += 1
        if not line.strip():
            continue  # a blank line closes nothing
        verdict = shell_syntax.status(text, strict)
        if verdict == "complete":
            return j
        if verdict == "invalid":
            return None
        wanted = shell_syntax.pending_heredoc(text) if strict or "<<" in text else None
        if wanted is not None:  # nothing but the delimiter line can close a heredoc: skip to it
            while j < len(lines) and lines[j].strip() != wanted:
                text += "\n" + lines[j]
                j += 1
    return None


def command_text(lines: list[str], prompt: str = "") -> str:
    """The command as stored: `\\` continuations joined onto one line when that reads the same, else as written."""
    if prompt:
        lines = [lines[0]] + [line.lstrip()[len(prompt):] if line.lstrip().startswith(prompt) else line
                              for line in lines[1:]]
    raw = textwrap.dedent("\n".join(line.rstrip() for line in lines)).strip("\n")
    if len(lines) == 1:
        return raw.strip()
    if all(line.rstrip().endswith("\\") for line in lines[:-1]):
        parts = [line.strip() for line in lines]
        joined = " ".join(part[:-1].rstrip() if part.endswith("\\") else part for part in parts if part)
        if joined.endswith("\\"):
            joined = joined[:-1].rstrip()
        if shell_syntax.status(joined) == "complete":
            return joined.strip()
    return raw


def runnable(command: str) -> bool:
    """Would a shell accept this once its placeholders (`<host>`, `$PORT`) have values?

    Lines a shell rejects outright are pasted output (`app-1 exited with code 1
    (restarting)`) or a fragment no run could execute: they are not commands.
    """
    filled = substitute(command, {v.name: "x" for v in find_variables([command])})
    return shell_syntax.status(filled) == "complete"


def _strip_trailing_comment(text: str) -> tuple[str, str]:
    """A ` # note` after the command on its first line is its comment (a `#` inside quotes is not)."""
    first, sep, rest = text.partition("\n")
    start = _comment_start(first)
    if start is None:
        return text, ""
    return first[:start].rstrip() + sep + rest, first[start:].strip().lstrip("#").strip()


def _comment_start(line: str) -> int | None:
    """Where a ` # ` comment begins on a line, outside quotes (None: no comment)."""
    quote = ""
    escaped = -1  # index just past the last `\x` escape: a `\ ` is part of a word, not a blank
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and quote != "'":
            i += 2
            escaped = i
            continue
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and i and i != escaped and line[i - 1].isspace() \
                and (i + 1 == len(line) or line[i + 1].isspace()):
            return i
        i += 1
    return None


def _glued_prompt(line: str) -> bool:
    """`$df -h` in a transcript: a prompt whose space was dropped, before a program operators run."""
    match = _GLUED_PROMPT_RE.match(line)
    return bool(match) and match.group(1) in vocab.COMMAND_PROGRAMS


def _split_console(code: str) -> list[Command]:
    commands: list[Command] = []
    comment: list[str] = []
    lines = code.splitlines()
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped.startswith("$ ") or stripped == "$" or _glued_prompt(stripped):
            body = [stripped[1:].strip()] + lines[i + 1:]
            end = command_end(body, 0, prompt="> ")
            command = command_text(body[:end], prompt="> ")
            if command and runnable(command):
                commands.append(Command(command=command, comment=" ".join(comment), line=i + 1))
            comment = []
            i += end
            continue
        if stripped.startswith("#") and not commands:
            comment.append(stripped.lstrip("#").strip())
        elif stripped and commands:
            expected = _EXPECTED_RE.match(stripped)
            output = expected.group(1) if expected else stripped
            last = commands[-1]
            last.expected = (last.expected + "\n" + output).strip() if last.expected else output
        i += 1
    return commands
