"""Shell completion is click's own: `_RUNBOOK_COMPLETE=bash_source runbook` prints the script (bash, zsh,
fish) and never opens the TUI, even on a terminal; a real bash sources it and completes commands, ids
and runbook names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pty_run import RUNBOOK, run_in_pty

BIN = str(Path(sys.executable).parent)  # the venv's `runbook` entry point

SCRIPTS = {"bash_source": "complete -o nosort -F _runbook_completion runbook",
           "zsh_source": "compdef _runbook_completion runbook",
           "fish_source": "complete --no-files --command runbook"}


@pytest.mark.parametrize("shell", sorted(SCRIPTS))
def test_the_completion_variable_prints_the_script_and_never_opens_the_tui(shell):
    """On a terminal (where a bare `runbook` opens the TUI): the script, exit 0, no screen drawn."""
    ran = run_in_pty([*RUNBOOK], env={"_RUNBOOK_COMPLETE": shell}, timeout=60)
    assert ran.code == 0, ran.terminal
    assert SCRIPTS[shell] in ran.terminal
    assert "\x1b[?1049h" not in ran.terminal and "runbook —" not in ran.terminal  # no alternate screen, no TUI


def _bash_complete(words: list[str], env: dict[str, str] | None = None) -> list[str]:
    """Source the script in a real bash and run its completion function on `words` (the last is the one
    being completed): what COMPREPLY holds."""
    line = " ".join(f"'{word}'" for word in words)
    script = (f'eval "$(_RUNBOOK_COMPLETE=bash_source runbook)"; COMP_WORDS=({line}); '
              f'COMP_CWORD={len(words) - 1}; COMPREPLY=(); _runbook_completion runbook; printf "%s\\n" "${{COMPREPLY[@]}}"')
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **(env or {})})
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completes_a_command_name():
    assert _bash_complete(["runbook", "sea"]) == ["search"]
    assert _bash_complete(["runbook", "se"]) == ["search", "server"]
    assert {"show", "search", "edit", "config"} <= set(_bash_complete(["runbook", ""]))


def test_bash_completes_ids_and_runbook_names_from_the_kb(kb, tmp_path):
    from conftest import ingest_report

    ingest_report(kb, tmp_path, "flaps.en.md", "# Flaps\n\n## Error: FlapStuck: the flap is stuck\n\n```\n"
                  "FlapStuck: the flap is stuck\n```\n\n**Fix**: oil it\n\n## Checks\n\n- [ ] Look at the flap\n")
    (kb.runbooks_dir / "oil-the-flap.md").write_text("# Oil\n\n- [ ] Oil it\n", encoding="utf-8")
    assert _bash_complete(["runbook", "--kb", str(kb.root), "show", "e"]) == ["e1"]
    assert set(_bash_complete(["runbook", "--kb", str(kb.root), "run", ""])) == {"oil-the-flap", "c1"}
    assert _bash_complete(["runbook", "edit", "oil"], env={"RUNBOOK_KB": str(kb.root)}) == ["oil-the-flap"]


def test_completing_outside_any_kb_completes_nothing_and_says_nothing(tmp_path):
    assert _bash_complete(["runbook", "--kb", str(tmp_path / "nowhere"), "show", ""]) == []


def test_zsh_completion_carries_each_ids_report(kb, tmp_path):
    """zsh shows a description beside each candidate: the report the id comes from."""
    from conftest import ingest_report

    ingest_report(kb, tmp_path, "flaps.en.md", "# Flaps\n\n## Error: FlapStuck: the flap is stuck\n\n```\n"
                  "FlapStuck: the flap is stuck\n```\n")
    done = subprocess.run([*RUNBOOK], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "_RUNBOOK_COMPLETE": "zsh_complete",
                               "COMP_WORDS": f"runbook --kb {kb.root} show r", "COMP_CWORD": "4"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == ["plain", "r1", "reports/flaps.en.md"]
