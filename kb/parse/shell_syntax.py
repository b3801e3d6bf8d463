"""Ask a real shell grammar whether some text is a whole command yet.

Splitting a report's shell block into commands needs one answer per candidate:
is it `complete` (a shell would run it as it stands), `incomplete` (a quote, a
heredoc, an `if`/`for`/`case`, a `{` or a trailing `|`/`&&`/`\\` is still open:
read the next line too) or `invalid` (no next line can save it).

Most lines in reports are plain one-liners, so a cheap quote-aware scan answers
those; anything with compound syntax goes to `bashlex` (in process, fast), and
what bashlex does not implement (`case`, `$((…))`, `[[ ]]`, arrays, `time`) goes
to `bash -n`, which parses without running anything.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import lru_cache
from typing import Literal

Status = Literal["complete", "incomplete", "invalid"]

# Words that open or close compound commands: a line holding one is never taken on trust.
_RESERVED = frozenset("if then elif else fi case esac for select while until do done function { } !".split())
_EOF_WORDS = ("unexpected EOF", "unexpected end of file", "delimited by end-of-file", "looking for matching")
_WANTED_RE = re.compile(r"delimited by end-of-file \(wanted `([^']*)'\)")  # bash's own message
_MAX_PARSE = 100_000  # characters; beyond this a block is not a command anyone pastes


def status(text: str, strict: bool = False) -> Status:
    """complete / incomplete / invalid, as a shell reading `text` would see it.

    bashlex is quick but now and then calls a finished command unfinished (a
    heredoc inside `$(…)`, `<<-'EOF'`); `strict` asks `bash -n` itself.
    """
    if not text.strip():
        return "complete"
    quick = _quick(text)
    if quick is not None:
        return quick
    if len(text) > _MAX_PARSE:
        return "invalid"
    return _bash_n(text)[0] if strict else _parsed(text)


def pending_heredoc(text: str) -> str | None:
    """The delimiter an unfinished heredoc in `text` still waits for, as bash reports it (None: no such heredoc)."""
    if "<<" not in text or len(text) > _MAX_PARSE:
        return None
    return _bash_n(text)[1]


def accepts(script: str) -> bool:
    """True when `bash -n` accepts the whole script (nothing is run)."""
    return _bash_n(script)[0] == "complete"


def _quick(text: str) -> Status | None:
    """Commands with no compound syntax (most of them), answered by a quote-aware scan; None: ask a parser.

    The scan follows quotes, backslashes, `${…}` and `$(…)` (not inside double
    quotes); an unclosed quote or a trailing `\\`, `|`, `&&`, `||` is incomplete.
    Anything else (heredocs, backticks, reserved words, parentheses, braces) is
    left to the grammar.
    """
    if "<<" in text or "`" in text or "$((" in text:
        return None
    quote = ""
    depth = 0  # inside $( … )
    word: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and quote != "'":
            if i + 1 == n:
                return "incomplete"  # a trailing backslash continues the line
            i += 2
            continue
        if quote:
            if char == quote:
                quote = ""
            elif quote == '"' and char == "$" and text.startswith("$(", i):
                return None  # a command substitution inside double quotes nests its own quoting
            elif quote == '"' and char == "$" and text.startswith("${", i):
                close = text.find("}", i)
                if close < 0:
                    return None
                i = close
            i += 1
            continue
        if char in "'\"":
            quote = char
        elif char == "$" and text.startswith("${", i):
            close = text.find("}", i)
            if close < 0 or "{" in text[i + 2:close]:
                return None
            word.extend(text[i:close + 1])
            i = close + 1
            continue
        elif char == "$" and text.startswith("$(", i):
            depth += 1
            i += 2
            word = []
            continue
        elif char == ")" and depth:
            depth -= 1
        elif char in "(){}":
            return None
        elif char == "#" and not word:
            newline = text.find("\n", i)
            if newline < 0:
                break  # a comment runs to the end of the line
            i = newline
            continue
        elif char.isspace() or char in ";&|":
            if "".join(word) in _RESERVED:
                return None
            word = []
            i += 1
            continue
        word.append(char)
        i += 1
    if "".join(word) in _RESERVED or depth:
        return None
    if quote:
        return "incomplete"
    tail = text.rstrip()
    if tail.endswith(("|", "&&", "||")):
        return "incomplete"
    return "complete"


@lru_cache(maxsize=8192)
def _parsed(text: str) -> Status:
    try:
        import bashlex
    except ImportError:  # pragma: no cover - bashlex is a dependency; bash -n still answers
        return _bash_n(text)[0]
    try:
        bashlex.parse(text)
        return "complete"
    except Exception as exc:  # bashlex raises ParsingError, MatchedPairError, NotImplementedError and others
        message = str(exc)
        if type(exc).__name__ in ("ParsingError", "MatchedPairError") and any(w in message for w in _EOF_WORDS) \
                and "<<" not in text:  # bashlex misreads some heredocs (`<<-'EOF'`, inside `$(…)`): bash decides those
            return "incomplete"
    return _bash_n(text)[0]


@lru_cache(maxsize=8192)
def _bash_n(text: str) -> tuple[Status, str | None]:
    bash = shutil.which("bash")
    if bash is None:
        return "invalid", None
    try:
        proc = subprocess.run([bash, "--norc", "--noprofile", "-n"], input=text.encode("utf-8", "replace"),
                              capture_output=True, timeout=10, env={**os.environ, "LC_ALL": "C"})
    except (OSError, subprocess.TimeoutExpired):
        return "invalid", None
    errors = proc.stderr.decode("utf-8", "replace")
    wanted = _WANTED_RE.search(errors)
    if any(word in errors for word in _EOF_WORDS):
        return "incomplete", wanted.group(1) if wanted else None
    return ("complete" if proc.returncode == 0 else "invalid"), None
