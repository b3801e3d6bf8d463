"""Every command a record holds, in order: what `show ID --print` prints for the shell line and what
the search screen copies with "copy every command of a fix".

An error's commands are the shell lines of its fix (and of its "after" code): fenced shell blocks split
into whole commands by the project's shell splitter (a `\\` continuation stays one command), an
unlabelled block only where its lines read as commands, then inline code that reads as a command line.
A checklist's, a decision tree's and a report's commands are the ones ingest already found.
"""

from __future__ import annotations

import re

_FENCE_RE = re.compile(r"```([^\n`]*)\n(.*?)```", re.DOTALL)
_SHELL_LANGS = {"bash", "sh", "shell", "zsh", "console", "shell-session", "shellsession", "terminal", "cmd", "fish"}


def error_commands(error: dict) -> list[str]:
    """The commands of an error's fix, in the order written, each once."""
    from kb.parse.command_line import inline_commands, is_command_line
    from kb.parse.shell import split_commands

    found: list[str] = []
    for text in (error.get("fix") or "", error.get("after") or ""):
        for lang, code in _FENCE_RE.findall(text):
            lang = lang.strip().lower()
            if lang and lang not in _SHELL_LANGS:
                continue  # yaml, json, python: code, not commands to type
            for command in split_commands(code, lang or "bash"):
                if lang or is_command_line(command.command, need_arguments=False):
                    found.append(command.command)
        found += inline_commands(_FENCE_RE.sub("", text))
    return list(dict.fromkeys(command.strip() for command in found if command.strip()))


def record_commands(kind: str, record: dict) -> list[str]:
    """Every command of a record `runbook show` prints (error, checklist, flowchart, report)."""
    if kind == "error":
        return error_commands(record)
    if kind == "checklist":
        return [c["command"] for item in record.get("items", []) for c in item.get("commands", [])]
    if kind == "flowchart":
        return [c["command"] for step in record.get("steps") or [] for c in step.get("commands", [])]
    if kind == "report":
        return [c["command"] for c in record.get("commands", [])]
    return []
