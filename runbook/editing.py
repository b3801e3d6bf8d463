"""`runbook edit NAME`: the operator's editor on a runbook of runbooks/, then a check and a commit.

The editor is `$VISUAL`, else `$EDITOR`, else `vi`, run through the shell as git runs it (so
`EDITOR="code --wait"` works). What was written is committed only when it still reads as a runbook
(runbook.load: steps, includes) and holds no secret (kb/parse/redact.py: secrets never reach git);
otherwise the file is left as written, uncommitted, and one line says what is wrong and where.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

from kb.runs import runbooks
from kb.store.knowledge_base import KBError, KnowledgeBase


@dataclass
class EditOutcome:
    message: str
    problem: bool = False  # the file is left uncommitted: the message says why


def editor_command() -> str:
    return os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"


def edit_runbook(kb: KnowledgeBase, name: str) -> EditOutcome:
    path = runbooks.runbook_file(kb, name)
    if path is None:
        raise KBError(f"no runbook {name} in {kb.runbooks_dir} (write one with: runbook new {name}; a report's "
                      "checklists and trees change with their report)")
    relative = runbooks.kb_path(kb, path)
    before = path.read_bytes()
    editor = editor_command()
    code = subprocess.call(["/bin/sh", "-c", f'{editor} "$@"', editor, str(path)])
    if code != 0:
        return EditOutcome(f"{relative}: the editor ({editor}) exited with {code}: nothing committed", problem=True)
    after = path.read_bytes()
    if after == before:
        return EditOutcome(f"{relative}: unchanged, nothing to commit")
    leave = f"left as you wrote it, not committed: `runbook edit {path.stem}` to fix it"
    try:
        runbook = runbooks.load(kb, path.stem)
    except KBError as exc:
        return EditOutcome(f"{relative}: {exc}; {leave}", problem=True)
    from kb.parse.redact import scan

    found = scan(after.decode("utf-8", "replace")).findings
    if found:
        lines = ", ".join(str(line) for line in sorted({f.line for f in found})[:8])
        return EditOutcome(f"{relative}: holds a secret (line {lines}: {found[0].kind}); put it in a variable "
                           f"(${{NAME}}, asked at run time and never stored) instead; {leave}", problem=True)
    sha = kb.commit([relative], f"runbook: edit {' '.join(runbook.title.split())} [{runbook.name}]")
    steps = f"{len(runbook.steps)} steps, {len(runbook.commands())} commands"
    if sha is None:
        return EditOutcome(f"{relative}: checked ({steps}); nothing new to commit")
    return EditOutcome(f"{relative}: checked ({steps}) and committed as {sha[:7]}; if you trusted it, read it "
                       f"again with `runbook trust {path.stem}`")
