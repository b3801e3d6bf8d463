"""A shell command line as the words of its simple commands, and the options among those words.

Enough of the shell's grammar to tell what runs: `;`, `&&`, `||`, `&` and newlines separate
commands, `|` joins a pipeline (a stage's input is the stage before; `| head` ends the writer),
redirections are not words (`< file` is input), `$(...)` is one word, a heredoc's body is data
and `<host>` is a placeholder to fill, not a redirection.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass


@dataclass
class SimpleCommand:
    """One simple command of a command line, as the shell would run it."""

    words: list[str]
    piped_in: bool = False  # its stdin is the previous command's output
    stdin_redirected: bool = False  # `< file`, a heredoc, a here-string
    bounded_by: str = ""  # a later pipe stage that ends the pipeline on its own (`head`)


_SUBSTITUTION_RE = re.compile(r"\$\((?:[^()]|\([^()]*\))*\)|`[^`]*`")
_SEPARATORS = {";", "&", "&&", "||", "\n", "(", ")", ";;", "|&"}
_REDIRECT_RE = re.compile(r"^\d*[<>]+&?$|^&>>?$")
ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PLACEHOLDER_RE = re.compile(r"<[A-Za-z][\w.-]*>")


def simple_commands(command: str) -> list[SimpleCommand]:
    """The simple commands of a command line, in order, each knowing where its input comes from."""
    text = command.replace("\\\n", " ")
    heredoc = "<<" in text
    if heredoc:  # the body of a heredoc is data, not commands: keep the line that starts it
        text = text.split("\n", 1)[0]
    text = _SUBSTITUTION_RE.sub("SUBST", text)
    text = _PLACEHOLDER_RE.sub("PLACEHOLDER", text)  # `<host>` is a word to fill in, not a redirection
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars="();<>|&\n")
        lexer.whitespace = " \t\r"
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote: read it word by word
        tokens = text.split()
    out: list[SimpleCommand] = []
    current = SimpleCommand([])
    pipeline: list[SimpleCommand] = []
    comment = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if comment:
            comment = token != "\n"
            if comment:
                continue
        if token.startswith("#") and not current.words:
            comment = True
            continue
        if token in ("|", "|&"):
            pipeline.append(current)
            current = SimpleCommand([], piped_in=True)
            continue
        if token in _SEPARATORS:
            _close(pipeline + [current], out)
            pipeline, current = [], SimpleCommand([])
            continue
        if _REDIRECT_RE.match(token):
            target = tokens[index] if index < len(tokens) else ""
            index += 1
            if "<" in token and target != "SUBST":  # `<(...)` is a file name, not the input
                current.stdin_redirected = True
            continue
        if token.isdigit() and index < len(tokens) and _REDIRECT_RE.match(tokens[index]):
            continue  # `2>&1`: the 2 belongs to the redirection
        current.words.append(token)
    _close(pipeline + [current], out)
    if heredoc and out:
        out[-1].stdin_redirected = True
    return out


def _close(stages: list[SimpleCommand], out: list[SimpleCommand]) -> None:
    stages = [stage for stage in stages if stage.words]
    for position, stage in enumerate(stages):
        for later in stages[position + 1:]:
            if ends_a_pipeline(later.words):
                stage.bounded_by = later.words[0]
                break
        out.append(stage)


def ends_a_pipeline(words: list[str]) -> bool:
    """`head`, `grep -m 1`, `sed -n 1,5p;q`... a stage that stops reading, so the writer stops too."""
    program = program_of(words)
    if program == "head":
        return True
    return program in ("grep", "egrep", "rg") and any(w in ("-m", "--max-count", "-q", "--quiet") or
                                                      w.startswith(("-m", "--max-count=")) for w in words[1:])


# -- options -------------------------------------------------------------------------------------------------

def skip_options(args: list[str], with_value: set[str]) -> list[str]:
    """The words after the leading options (and a `--`), skipping each option's value."""
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            return args[index + 1:]
        if not word.startswith("-") or word == "-":
            return args[index:]
        index += 2 if word in with_value else 1
    return []


def split_options(args: list[str], with_value: set[str]) -> tuple[list[str], list[str]]:
    """Options up to the first positional word; that word and everything after it."""
    options: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            return options, args[index + 1:]
        if not word.startswith("-") or word == "-":
            return options, args[index:]
        options.append(word)
        if word in with_value and index + 1 < len(args):
            options.append(args[index + 1])
            index += 1
        index += 1
    return options, []


def has_flag(args: list[str], short: str, *long: str) -> bool:
    """`-f`, a cluster holding it (`-fn`, `-it`), or a long form (`--follow`, `--follow=true`)."""
    for arg in args:
        if arg in long or any(arg.startswith(f"{name}=") and not arg.endswith("=false") for name in long):
            return True
        if short and arg.startswith("-") and not arg.startswith("--") and re.fullmatch(r"-[A-Za-z]+", arg) \
                and short in arg[1:]:
            return True
    return False


def first_positional(args: list[str]) -> str | None:
    return next((a for a in args if not a.startswith("-")), None)


def program_of(words: list[str]) -> str:
    """The program a simple command runs, without its directory (`/usr/bin/sudo` is `sudo`)."""
    word = words[0] if words else ""
    return word.rsplit("/", 1)[-1]
