"""What users of navi, Runme and git expect (issue 25): `runbook edit`, `--json` for a dry run and for
the interrupted runs, a command printed for the shell line (`show --print`, ctrl+r in the TUI), every
command of a fix copied at once, and a command edited before it runs (recorded as edited)."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import ingest_report, run_cli
from pilot_wait import until

REPORT = """# Boiler room notes

## Error: BoilerTrip: boiler three tripped on low water

```
BoilerTrip: boiler three tripped on low water
```

**Root cause**: the feed valve stuck shut

**Fix**: open the feed valve, then reset the boiler:

```bash
valvectl open --valve feed-3
boilerctl reset --unit 3 \\
  --confirm
```

## Morning round

- [ ] Check the gauge
  ```bash
  echo gauge-ok
  ```
- [ ] Walk the room
"""

HAND = """---
title: Restart the boiler
---
# Restart the boiler

- [ ] Tell the floor
  ```bash
  echo "restarting ${UNIT:-3}"
  ```
- [ ] Log in
  ```bash
  echo "login ${BOILER_TOKEN}"
  ```
"""


@pytest.fixture
def boiler_kb(kb, tmp_path):
    ingest_report(kb, tmp_path, "boilers.en.md", REPORT)
    (kb.runbooks_dir / "restart-boiler.md").write_text(HAND, encoding="utf-8")
    kb.commit(["runbooks"], "runbook: add restart-boiler")
    kb.repo.config_writer().set_value("user", "name", "Ann Op").release()
    kb.repo.config_writer().set_value("user", "email", "ann@example.com").release()
    return kb


# -- runbook edit ------------------------------------------------------------------------------------------

def _editor(tmp_path, body: str, name: str = "editor.sh") -> str:
    """A real editor stand-in: a script that changes the file it is given ($1), as an operator would."""
    script = tmp_path / name
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def _status(kb) -> str:
    return subprocess.run(["git", "status", "--porcelain", "runbooks"], cwd=kb.root, capture_output=True,
                          text=True).stdout


def test_edit_opens_the_editor_then_checks_and_commits_the_runbook(runner, boiler_kb, tmp_path, monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", _editor(tmp_path, 'printf -- "- [ ] Sign the log\\n" >> "$1"'))
    result = run_cli(runner, boiler_kb.root, "edit", "restart-boiler")
    assert result.exit_code == 0, result.output
    assert "runbooks/restart-boiler.md: checked (3 steps, 2 commands) and committed" in result.output
    assert _status(boiler_kb) == ""
    subject = boiler_kb.repo.head.commit.message.splitlines()[0]
    assert subject == "runbook: edit Restart the boiler [restart-boiler]"


def test_visual_comes_before_editor_and_an_unchanged_file_commits_nothing(runner, boiler_kb, tmp_path, monkeypatch):
    monkeypatch.setenv("VISUAL", _editor(tmp_path, "true", "visual.sh"))
    monkeypatch.setenv("EDITOR", _editor(tmp_path, 'echo "- [ ] never" >> "$1"'))
    head = boiler_kb.repo.head.commit.hexsha
    result = run_cli(runner, boiler_kb.root, "edit", "restart-boiler")
    assert result.exit_code == 0 and "unchanged, nothing to commit" in result.output
    assert boiler_kb.repo.head.commit.hexsha == head and _status(boiler_kb) == ""


def test_a_runbook_left_broken_is_one_line_and_stays_uncommitted(runner, boiler_kb, tmp_path, monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", _editor(tmp_path, 'printf "# Restart the boiler\\n\\nJust prose now.\\n" > "$1"'))
    head = boiler_kb.repo.head.commit.hexsha
    result = run_cli(runner, boiler_kb.root, "edit", "restart-boiler")
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: runbooks/restart-boiler.md: ")
    assert "no steps" in lines[0] and "not committed" in lines[0] and "runbook edit restart-boiler" in lines[0]
    assert boiler_kb.repo.head.commit.hexsha == head
    assert _status(boiler_kb).strip() == "M runbooks/restart-boiler.md"  # left for the operator to fix
    assert "Just prose now." in (boiler_kb.runbooks_dir / "restart-boiler.md").read_text()


def test_a_secret_written_into_a_runbook_is_not_committed(runner, boiler_kb, tmp_path, monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", _editor(tmp_path, 'sed -i "s/\\${BOILER_TOKEN}/Zq8Lm2Vx7Kt4Wp9R/; s/login /password=/" "$1"'))
    head = boiler_kb.repo.head.commit.hexsha
    result = run_cli(runner, boiler_kb.root, "edit", "restart-boiler")
    assert result.exit_code == 1 and "holds a secret" in result.stderr and "Zq8Lm2Vx7Kt4Wp9R" not in result.output
    assert boiler_kb.repo.head.commit.hexsha == head


@pytest.mark.parametrize("name, says", [("c1", "no runbook c1 in"), ("nothing-here", "runbook new nothing-here")])
def test_edit_takes_only_a_runbook_of_runbooks(runner, boiler_kb, name, says):
    result = run_cli(runner, boiler_kb.root, "edit", name)
    assert result.exit_code == 1 and says in result.stderr


def test_an_editor_that_fails_commits_nothing(runner, boiler_kb, tmp_path, monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", _editor(tmp_path, 'echo "- [ ] half" >> "$1"; exit 3'))
    result = run_cli(runner, boiler_kb.root, "edit", "restart-boiler")
    assert result.exit_code == 1 and "exited with 3: nothing committed" in result.stderr


# -- --json ------------------------------------------------------------------------------------------------

def test_the_dry_run_as_json(runner, boiler_kb):
    result = run_cli(runner, boiler_kb.root, "run", "restart-boiler", "--dry-run", "--json", "--var", "UNIT=7",
                     "--var", "BOILER_TOKEN=Zq8Lm2Vx7Kt4Wp9R")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ref"] == "restart-boiler" and data["title"] == "Restart the boiler" and data["kind"] == "runbook"
    assert [step["title"] for step in data["steps"]] == ["Tell the floor", "Log in"]
    assert data["steps"][0]["commands"][0]["command"] == 'echo "restarting 7"'
    assert "Zq8Lm2Vx7Kt4Wp9R" not in result.stdout  # a secret given with --var stays masked
    assert data["trusted"] is False and "trust" in data
    names = {variable["name"]: variable for variable in data["variables"]}
    assert names["BOILER_TOKEN"]["secret"] is True and names["UNIT"]["default"] == "3"
    checklist = json.loads(run_cli(runner, boiler_kb.root, "run", "c1", "--dry-run", "--json").stdout)
    assert checklist["kind"] == "checklist" and checklist["steps"][0]["commands"][0]["command"] == "echo gauge-ok"


def test_json_without_dry_run_is_a_usage_error(runner, boiler_kb):
    result = run_cli(runner, boiler_kb.root, "run", "c1", "--json")
    assert result.exit_code == 2 and "--json goes with --dry-run" in result.output


def test_the_interrupted_runs_as_json(runner, boiler_kb):
    from kb.runs import runbooks
    from kb.runs.walk import RunWalk

    assert json.loads(run_cli(runner, boiler_kb.root, "resume", "--json").stdout) == []
    walk = RunWalk.start(boiler_kb, runbooks.load(boiler_kb, "c1"), "Ann Op <ann@example.com>", {}, set())
    walk.mark("done")
    walk.run.pid = 2 ** 22 + 1  # its process is gone: interrupted
    walk.store.save(walk.run)
    walk.store.close()
    rows = json.loads(run_cli(runner, boiler_kb.root, "resume", "--json").stdout)
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == walk.run.id and row["runbook"] == "c1" and row["title"] == "Morning round"
    assert (row["step"], row["steps"], row["recorded"]) == (2, 2, 1)
    assert row["resume"] == f"runbook resume {walk.run.id}"


# -- a command for the shell line ------------------------------------------------------------------------------

def test_show_print_gives_the_command_alone_for_the_shell(runner, boiler_kb):
    first = run_cli(runner, boiler_kb.root, "show", "e1", "--print")
    assert first.exit_code == 0 and first.stdout == "valvectl open --valve feed-3\n"
    second = run_cli(runner, boiler_kb.root, "show", "e1", "--print", "2")
    assert second.stdout == "boilerctl reset --unit 3 --confirm\n"  # a continued command is one command
    every = run_cli(runner, boiler_kb.root, "show", "e1", "--print", "all")
    assert every.stdout.startswith("valvectl open --valve feed-3\nboilerctl reset")
    assert run_cli(runner, boiler_kb.root, "show", "c1", "--print").stdout == "echo gauge-ok\n"
    beyond = run_cli(runner, boiler_kb.root, "show", "e1", "--print", "9")
    assert beyond.exit_code == 2 and "e1 has 2 commands (give 1 to 2, or all)" in beyond.stderr


def test_a_printed_command_runs_in_a_shell_as_printed(runner, boiler_kb, tmp_path):
    """navi's --print: `eval "$(runbook show ID --print)"`. The checklist's command runs in a real bash."""
    from pty_run import RUNBOOK

    done = subprocess.run(["bash", "-c", f'eval "$({" ".join(RUNBOOK)} --kb {boiler_kb.root} show c1 --print)"'],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout == "gauge-ok\n", done.stderr


async def _search(app, pilot, text: str):
    from textual.widgets import TextArea

    await until(pilot, lambda: app.current_mode == "search" and app.searcher is not None, 600)
    app.screen.query_one("#paste", TextArea).insert(text)
    await until(pilot, lambda: bool(app.screen.results) and app.screen.selected is not None)


async def test_ctrl_b_copies_every_command_of_the_fix(boiler_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(boiler_kb)
    async with app.run_test(size=(100, 30)) as pilot:
        await _search(app, pilot, "BoilerTrip: boiler three tripped on low water")
        await pilot.press("ctrl+b")
        await until(pilot, lambda: app.clipboard.startswith("valvectl"))
        assert app.clipboard == "valvectl open --valve feed-3\nboilerctl reset --unit 3 --confirm"


async def test_ctrl_r_leaves_the_tui_with_the_command_for_the_shell_line(boiler_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(boiler_kb)
    async with app.run_test(size=(100, 30)) as pilot:
        await _search(app, pilot, "BoilerTrip: boiler three tripped on low water")
        await pilot.press("ctrl+r")
        await pilot.pause(0.2)
    assert app.return_value == "valvectl open --valve feed-3"


# -- a command edited before it runs ---------------------------------------------------------------------

async def test_a_command_edited_before_it_runs_runs_as_edited_and_is_recorded_so(boiler_kb):
    from textual.widgets import Input

    from kb.runs import runbooks
    from kb.runs.walk import RunWalk
    from runbook.app import RunbookApp

    walk = RunWalk.start(boiler_kb, runbooks.load(boiler_kb, "c1"), "Ann Op <ann@example.com>", {}, set())
    app = RunbookApp(boiler_kb, run_walk=walk, run_options={"author": ("Ann Op", "ann@example.com")})
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: type(app.screen).__name__ == "RunScreen", 600)
        await pilot.press("r")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmCommand")
        await pilot.press("e")
        await until(pilot, lambda: bool(app.screen.query(Input)))
        field = app.screen.query_one(Input)
        assert field.value == "echo gauge-ok"
        await pilot.press(*" and-twice")  # typed as an operator types: added where the cursor is, the end
        await pilot.press("enter")
        await until(pilot, lambda: walk.run.current == 1, 600)
        state = walk.run.steps[0]
        assert state.command == "echo gauge-ok and-twice" and "gauge-ok and-twice" in state.output
        assert state.notes == ["edited before it ran: `echo gauge-ok` became `echo gauge-ok and-twice`"]
        await pilot.press("d")
        await until(pilot, lambda: walk.finished and walk.run.committed, 600)
    record = (boiler_kb.root / walk.run.record).read_text(encoding="utf-8")
    assert "edited before it ran: `echo gauge-ok` became `echo gauge-ok and-twice`" in record


def test_an_edited_command_keeps_the_secret_it_showed_masked(boiler_kb):
    from kb.runs import runbooks
    from kb.runs.walk import RunWalk

    runbook = runbooks.load(boiler_kb, "restart-boiler")
    walk = RunWalk.start(boiler_kb, runbook, "Ann Op <ann@example.com>",
                         {"UNIT": "3", "BOILER_TOKEN": "Zq8Lm2Vx7Kt4Wp9R"}, {"BOILER_TOKEN"})
    walk.mark("done")
    command = walk.commands()[0]
    assert command.shown == 'echo "login ••••••"'
    edited = walk.edit_command(command, 'echo "login ••••••" --verbose')
    assert edited.actual == 'echo "login Zq8Lm2Vx7Kt4Wp9R" --verbose'  # what runs holds the secret
    assert edited.shown == 'echo "login ••••••" --verbose'  # what is shown and recorded does not
    assert "Zq8Lm2Vx7Kt4Wp9R" not in " ".join(walk.state.notes)
    assert walk.edit_command(command, command.shown) is command  # unchanged: nothing recorded
    walk.store.close()
