"""Ask a real shell grammar whether some text is a whole command yet.

Splitting a report's shell block into commands needs one answer per candidate:
is it `complete` (a shell would run it as it stands), `incomplete` (a quote, a
heredoc, an `if`/`for`/`case`, a `{` or a trailing `|`/`&&`/`\\` is still open:
read the next line too) or `invalid` (no next line can save it).

Most lines in reports are plain one-liners, so a cheap quote-aware scan answers
those; anything with compound syntax goes to tree-sitter's bash grammar (in
process, fast, MIT), and what it cannot settle goes to `bash -n`, which parses
without running anything. tree-sitter recovers from errors instead of stopping,
so its verdicts are read narrowly: no error anywhere is complete (unless a
reserved word such as `fi` stands as a command, which it lets through); an
error only at the very end (a quote, `$(`, `&&`, `if`, `{` or a heredoc still
open) is incomplete; anything else is for bash to judge.
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

    The grammar is quick but reads a few constructs otherwise than bash (some
    heredocs, `[ x` without its `]`); `strict` asks `bash -n` itself.
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
    parser = _parser()
    if parser is None:  # pragma: no cover - tree-sitter is a dependency; bash -n still answers
        return _bash_n(text)[0]
    data = text.encode("utf-8", "replace")
    root = parser.parse(data).root_node
    if not root.has_error:
        return _bash_n(text)[0] if _lenient(root) else "complete"
    if "<<" not in text and _open_at_end(root, data):
        return "incomplete"
    return _bash_n(text)[0]


_PARSER: list = []  # the one tree-sitter parser, built on first use (keeps the import off search's path)
# Tokens that open something a later line can close; an error that begins with one at the end of the
# text means "read on". (An error that begins anywhere else is for bash to judge.)
_OPENERS = frozenset({"(", "((", "$(", "$((", "${", "{", "`", '"', "[[", "function", "if", "for", "while", "until",
                      "case", "select"})


def _parser():
    if not _PARSER:
        try:
            import tree_sitter_bash
            from tree_sitter import Language, Parser
        except ImportError:  # pragma: no cover
            return None
        _PARSER.append(Parser(Language(tree_sitter_bash.language())))
    return _PARSER[0]


def _lenient(root) -> bool:
    """Shapes tree-sitter accepts and bash does not: a reserved word as a command (`fi` on its own),
    `| !`, and a call written as in other languages (`print(x)`, read as a command holding a subshell)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "command_name" and node.text.decode("utf-8", "replace") in _RESERVED:
            return True
        parent = node.parent
        if node.type == "negated_command" and parent is not None and parent.type == "pipeline" \
                and node.prev_sibling is not None:
            return True
        if node.type == "subshell" and parent is not None and parent.type == "command":
            return True
        stack.extend(node.children)
    return False


def _open_at_end(root, data: bytes) -> bool:
    """Every error is where the text stops and begins with something still open (`if`, `{ `, `$(`, a quote)."""
    end = len(data.rstrip())
    errors = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing or node.type == "ERROR":
            errors.append(node)
            if node.type == "ERROR":
                continue
        stack.extend(node.children)
    for node in errors:
        if node.is_missing:
            if node.start_byte < end or node.type == "]":  # `[` is a command to bash: a missing `]` is its error
                return False
            opener = node.parent.children[0] if node.parent is not None and node.parent.children else None
            if opener is not None and _glued_brace(opener, data):
                return False
            continue
        if node.end_byte < end:
            return False
        leaf = node
        while leaf.children:
            leaf = leaf.children[0]
        if leaf.type == "ERROR":  # an unterminated quote or a trailing backslash
            opened = leaf.text[:1] in (b"'", b'"', b"\\") or leaf.text[:2] == b"$'"
        else:
            opened = leaf.type in _OPENERS
        if not opened or _glued_brace(leaf, data):
            return False
    return bool(errors)


def _glued_brace(node, data: bytes) -> bool:
    """`{"status": "ok"}` is a word to bash, not a group: a group's `{` is followed by a blank."""
    return node.type == "{" and data[node.end_byte:node.end_byte + 1] not in (b" ", b"\t", b"\n")


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
