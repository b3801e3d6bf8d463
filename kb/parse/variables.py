"""Placeholders in runbook commands: find them, say which look secret, substitute values.

Reports write `${PORT:-8000}`, `$SERVICE_NAME`, `<service-name>`, `YOUR_TOKEN` and
`your-domain.com`; each is asked once per run (with its default) and masked when
it looks like a secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SHELL_DEFAULT_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")
_SHELL_RE = re.compile(r"\$([A-Z_][A-Z0-9_]*)\b")
_ANGLE_RE = re.compile(r"<([a-zA-Z][a-zA-Z0-9_-]*(?:[-_][a-zA-Z0-9]+)*)>")
_YOUR_RE = re.compile(r"\b(YOUR_[A-Z0-9_]+|your[-_][a-z0-9-]+(?:\.[a-z]{2,})?)\b")
# environment every shell has: not placeholders for the operator
_ENVIRONMENT = frozenset({"HOME", "PATH", "USER", "PWD", "SHELL", "TERM", "LANG", "HOSTNAME", "UID", "RANDOM",
                          "OLDPWD", "TMPDIR", "EDITOR", "IFS", "PS1", "LOGNAME"})


@dataclass
class Variable:
    name: str
    default: str = ""
    secret: bool = False
    token: str = ""  # the text as written, replaced on substitution


def find_variables(commands: list[str], declared: dict[str, str] | None = None) -> list[Variable]:
    """Every placeholder across the commands, first occurrence first, with defaults."""
    from kb.parse.redact import is_secret_name  # one place decides what is secret, names included

    found: dict[str, Variable] = {}

    def add(name: str, default: str, token: str) -> None:
        if name not in found:
            found[name] = Variable(name=name, default=(declared or {}).get(name, default),
                                   secret=is_secret_name(name), token=token)

    for command in commands:
        for match in _SHELL_DEFAULT_RE.finditer(command):
            if match.group(1) not in _ENVIRONMENT:
                add(match.group(1), match.group(2) or "", match.group(0))
        for match in _SHELL_RE.finditer(command):
            if match.group(1) not in _ENVIRONMENT:
                add(match.group(1), "", match.group(0))
        if "<<" not in command:  # heredoc markers are not placeholders
            for match in _ANGLE_RE.finditer(command):
                add(match.group(1), "", match.group(0))
        for match in _YOUR_RE.finditer(command):
            add(match.group(1), "", match.group(0))
    for name, default in (declared or {}).items():
        add(name, default, "")
    return list(found.values())


def substitute(command: str, values: dict[str, str]) -> str:
    """The command as it will run: every placeholder with a value replaced by it."""
    def shell_default(match: re.Match) -> str:
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    command = _SHELL_DEFAULT_RE.sub(shell_default, command)
    command = _SHELL_RE.sub(lambda m: values.get(m.group(1), m.group(0)), command)
    if "<<" not in command:
        command = _ANGLE_RE.sub(lambda m: values.get(m.group(1), m.group(0)), command)
    return _YOUR_RE.sub(lambda m: values.get(m.group(1), m.group(0)), command)


def mask(command: str, values: dict[str, str], secret_names: set[str]) -> str:
    """The command as shown or recorded: secret values hidden."""
    for name in secret_names:
        value = values.get(name)
        if value and len(value) >= 4:  # a 1-3 character "secret" would blank out ordinary text
            command = command.replace(value, "••••••")
    return command
