"""Does a piece of prose or inline code hold a command line?

Reports put commands outside shell blocks too: a bullet "build with
`docker build -t app .`", a table cell (a flowchart node: kb.parse.tree_commands).
A text is a command line when its first word is a program operators run
(kb.parse.vocab.COMMAND_PROGRAMS) or a script path (`./deploy.sh`,
`/opt/app/bin/migrate`), arguments follow, nothing is elided
(`...`), and a shell accepts it; a bare program or script counts only after a
run word ("运行 `./migrate.sh`"). Mentions are not commands: a bare program
name, `sh -c` without its command string, code set in parentheses as an aside.
"""

from __future__ import annotations

import re

from kb.parse import vocab
from kb.parse.shell import runnable

_INLINE_RE = re.compile(r"`([^`\n]+)`")
# ./deploy.sh, ../bin/migrate, /opt/app/bin/start, /srv/app/run.sh (not /health or /var/log/x.log)
_RUN_BEFORE_RE = re.compile(r"(?:" + "|".join(re.escape(w) for w in vocab.RUN_WORDS) + r")\s*[:：]?\s*$", re.IGNORECASE)
_SCRIPT_RE = re.compile(r"^(?:\.{1,2}/[\w.@/-]+|/[\w.@/-]*/s?bin/[\w.@-]+|/[\w.@/-]+\.(?:sh|bash|py))$")
_SHELLS = frozenset({"bash", "sh", "zsh"})


def is_command_line(text: str, need_arguments: bool = True) -> bool:
    """Known program (or a script path) first, arguments after, and valid shell."""
    text = text.strip()
    words = text.split()
    if not words or "\n" in text or "..." in text or "…" in text:
        return False  # an elided command (`buildctl ... | tail`) is not one anybody can run
    program = words[1] if words[0] == "sudo" and len(words) > 1 else words[0]
    script = bool(_SCRIPT_RE.match(program))
    if not script and program not in vocab.COMMAND_PROGRAMS:
        return False
    rest = words[words.index(program) + 1:]
    if need_arguments and not rest:
        return False
    if program in _SHELLS and rest and rest[-1] == "-c":
        return False  # `sh -c` names the technique; the command string is missing
    return runnable(text)


def inline_commands(text: str) -> list[str]:
    """Command lines set as inline code in a list item or table cell, in order (asides in parentheses skipped)."""
    found: list[str] = []
    for match in _INLINE_RE.finditer(text):
        before = text[:match.start()].rstrip()[-1:]
        after = text[match.end():].lstrip()[:1]
        if before in ("(", "（") and after in (")", "）"):
            continue
        code = match.group(1).strip()
        asked_to_run = bool(_RUN_BEFORE_RE.search(text[:match.start()]))  # "运行 `./migrate.sh`"
        if is_command_line(code, need_arguments=not asked_to_run) and code not in found:
            found.append(code)
    return found
