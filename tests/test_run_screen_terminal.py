"""The TUI run screen with commands that need a terminal, follow mode, and the screen's own defects.

Pilot drives the real app; a real pty (tests/terminal_helpers.Operator) stands for the operator's
terminal, handed to the command as `App.suspend()` hands the real one (headless apps cannot suspend;
tests/test_tmux_e2e.py shows the real suspend in a real terminal).
"""

from __future__ import annotations

import sqlite3
import subprocess
import threading

import pytest

from conftest import ingest_report, run_cli
from pilot_wait import until
from terminal_helpers import SECRET, Operator, classes_runbook, write_askpass


@pytest.fixture
def screen_kb(kb, tmp_path):
    kb.repo.config_writer().set_value("user", "name", "Ann Op").release()
    kb.repo.config_writer().set_value("user", "email", "ann@example.com").release()
    return kb


async def _open(kb, name, **options):
    from kb.runs import runbooks
    from kb.runs.walk import RunWalk
    from runbook.app import RunbookApp

    walk = RunWalk.start(kb, runbooks.load(kb, name), "Ann Op <ann@example.com>", {}, set())
    app = RunbookApp(kb, run_walk=walk, run_options={"author": ("Ann Op", "ann@example.com"), **options})
    return app, walk


def _screen_name(app) -> str:
    return type(app.screen).__name__


async def _run_step(pilot, app) -> None:
    await pilot.press("r")
    await until(pilot, lambda: _screen_name(app) == "ConfirmCommand")
    await pilot.press("y")


def _log_text(app) -> list[str]:
    from textual.widgets import RichLog

    return [str(line.text).rstrip() for line in app.screen.query_one("#run-log", RichLog).lines]


def _answer(operator: Operator, prompt: str, answer: str) -> threading.Thread:
    def act() -> None:
        operator.expect(prompt, seconds=60)
        operator.line(answer)

    thread = threading.Thread(target=act, daemon=True)
    thread.start()
    return thread


async def test_the_run_screen_runs_every_class_as_an_operator_expects(screen_kb, tmp_path, monkeypatch):
    from kb.runs.runner import Terminal

    monkeypatch.setenv("ASKPASS_WANTS", SECRET)
    askpass = write_askpass(tmp_path)
    log = tmp_path / "app.log"
    log.write_text("a marker line\n")
    (screen_kb.runbooks_dir / "classes.md").write_text(classes_runbook(askpass, log), encoding="utf-8")
    app, walk = await _open(screen_kb, "classes")
    operator = Operator()
    app.handover_terminal = Terminal(operator.slave, operator.slave)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: _screen_name(app) == "RunScreen" and bool(app.screen.query("#step-title")))
            await pilot.press("r")
            await until(pilot, lambda: _screen_name(app) == "ConfirmCommand")
            assert "needs your terminal (read waits for a line from you)" in str(
                app.screen.query_one("#confirm-note").render())
            helper = _answer(operator, "Type yes: ", "yes")
            await pilot.press("y")
            await until(pilot, lambda: walk.run.current == 1, tries=1200)  # the prompt was answered at the terminal
            helper.join(5)
            assert walk.run.steps[0].status == "done"
            assert "Type yes: [typed]" in walk.run.steps[0].output

            helper = _answer(operator, "password for ann:", SECRET)  # noticed at its prompt, then handed over
            await _run_step(pilot, app)
            await until(pilot, lambda: walk.run.current == 2, tries=1200)
            helper.join(5)
            assert "access granted" in walk.run.steps[1].output
            await pilot.press("b")  # its box: what it printed, once (before and after the hand-over), no secret
            await until(pilot, lambda: walk.run.current == 1 and "access granted" in _log_text(app))
            assert [line for line in _log_text(app) if line] == ["[check] password for ann:", "access granted"]
            await pilot.press("d")
            await until(pilot, lambda: walk.run.current == 2)

            await _run_step(pilot, app)
            await until(pilot, lambda: walk.run.current == 3, tries=1200)
            assert walk.run.steps[2].output.strip() == "True True"

            await _run_step(pilot, app)
            await until(pilot, lambda: walk.run.current == 4, tries=1200)
            await pilot.press("b")  # back to the coloured step: its box shows its own output, in colour
            await until(pilot, lambda: walk.run.current == 3 and any("marker" in line for line in _log_text(app)), tries=1200)
            from textual.widgets import RichLog

            strip = app.screen.query_one("#run-log", RichLog).lines[0]
            assert any(segment.style and segment.style.color for segment in strip), "no colour in the box"
            await pilot.press("d")

            await until(pilot, lambda: walk.run.current == 4, tries=1200)
            await _run_step(pilot, app)
            await until(pilot, lambda: "a marker line" in _log_text(app), tries=1200)
            assert "e ends it" in str(app.screen.query_one("#run-check").render())
            log.open("a").write("one more line\n")
            await until(pilot, lambda: "one more line" in _log_text(app), tries=1200)
            await pilot.press("e")
            await until(pilot, lambda: walk.finished, tries=1200)
            # the outcome is set first, then the screen's worker writes and commits the record
            await until(pilot, lambda: bool(walk.run.record) and (screen_kb.root / walk.run.record).exists(),
                        tries=1200)
        assert walk.run.outcome == "completed"
        assert walk.run.steps[4].check.startswith("followed for")
    finally:
        operator.close()
    record = (screen_kb.root / walk.run.record).read_text(encoding="utf-8")
    assert "one more line" in record and "True True" in record and "Type yes: [typed]" in record
    history = subprocess.run(["git", "log", "-p"], cwd=screen_kb.root, capture_output=True, text=True).stdout
    assert SECRET not in history and SECRET not in record
    with sqlite3.connect(screen_kb.root / ".runbook" / "runs.sqlite") as db:
        assert not any(SECRET in str(value) for row in db.execute("select * from steps") for value in row)


async def test_t_runs_any_step_with_the_operators_terminal(screen_kb, tmp_path):
    from kb.runs.runner import Terminal

    (screen_kb.runbooks_dir / "plain.md").write_text(
        "# Plain\n\n- [ ] Ask anyway\n  ```bash\n  read -r line && echo \"got $line\"\n  ```\n", encoding="utf-8")
    # `read -r line` alone is a terminal command too; `t` is the key for any step, shown here on it
    app, walk = await _open(screen_kb, "plain")
    operator = Operator()
    app.handover_terminal = Terminal(operator.slave, operator.slave)
    try:
        async with app.run_test(size=(110, 34)) as pilot:
            await until(pilot, lambda: _screen_name(app) == "RunScreen" and bool(app.screen.query("#step-title")))
            await pilot.press("t")
            await until(pilot, lambda: _screen_name(app) == "ConfirmCommand")
            assert "runs with your terminal" in str(app.screen.query_one("#confirm-note").render())
            helper = _answer(operator, "-- runbook:", "hello there")
            await pilot.press("y")
            await until(pilot, lambda: walk.finished, tries=1200)
            helper.join(5)
    finally:
        operator.close()
    # the terminal's echo of what was typed is not kept; what the program printed is
    assert walk.run.steps[0].output == "[typed]\ngot hello there\n"


# -- the screen's own defects ----------------------------------------------------------------------------------

BOX = """# Box

- [ ] Connect to the bus
  ```bash
  echo "Failed to connect to bus: No such file"; exit 1
  ```
- [ ] Reset the unit
  ```bash
  echo reset
  ```
"""


async def test_the_output_box_shows_only_the_current_steps_output(screen_kb):
    (screen_kb.runbooks_dir / "box.md").write_text(BOX, encoding="utf-8")
    app, walk = await _open(screen_kb, "box")
    async with app.run_test(size=(110, 34)) as pilot:
        await until(pilot, lambda: _screen_name(app) == "RunScreen" and bool(app.screen.query("#step-title")))
        await _run_step(pilot, app)
        await until(pilot, lambda: any("Failed to connect to bus" in line for line in _log_text(app)), tries=1200)
        await until(pilot, lambda: not app.screen.running, tries=1200)
        await pilot.press("f")
        await until(pilot, lambda: walk.run.current == 1, tries=1200)
        assert not any(line.strip() for line in _log_text(app)), _log_text(app)  # step 2 never ran
        from textual.widgets import RichLog

        assert app.screen.query_one("#run-log", RichLog).border_title == "output of step 2"
        await pilot.press("b")
        await until(pilot, lambda: walk.run.current == 0, tries=1200)
        assert any("Failed to connect to bus" in line for line in _log_text(app))


TREE_END = """# Disk tree

```mermaid
graph TD
    A{Disk full?} -->|yes| B[Run git --version]
    A -->|no| C[Check the logs]
```
"""


async def test_a_decision_trees_end_asks_whether_the_problem_is_resolved(screen_kb):
    (screen_kb.runbooks_dir / "tree.md").write_text(TREE_END, encoding="utf-8")
    app, walk = await _open(screen_kb, "tree")
    async with app.run_test(size=(110, 34)) as pilot:
        await until(pilot, lambda: _screen_name(app) == "RunScreen" and bool(app.screen.query("#step-title")))
        await pilot.press("1")
        await until(pilot, lambda: walk.step.commands, tries=1200)
        await _run_step(pilot, app)  # the end node's command passes: then the question
        await until(pilot, lambda: _screen_name(app) == "Confirm")
        assert "Did this resolve the problem?" in str(app.screen.query_one("Label").render())
        await pilot.press("n")
        await until(pilot, lambda: walk.finished, tries=1200)
    assert walk.run.outcome == "failed"


def test_the_plain_prompt_asks_at_a_trees_end_after_its_command(runner, screen_kb):
    (screen_kb.runbooks_dir / "tree.md").write_text(TREE_END, encoding="utf-8")
    screen_kb.close()
    result = run_cli(runner, screen_kb.root, "run", "tree", "--no-tui", input="1\nr\ny\nn\n")
    assert "Did this resolve the problem?" in result.output
    assert result.exit_code == 1 and "Run failed" in result.output


TITLES = """# Titles

- [ ] Step 1: Free disk space
  ```bash
  echo freed
  ```
- [ ] Run `docker system df` and read **Reclaimable**
"""


async def test_step_titles_read_as_words_without_a_second_number(screen_kb, runner):
    (screen_kb.runbooks_dir / "titles.md").write_text(TITLES, encoding="utf-8")
    app, walk = await _open(screen_kb, "titles")
    async with app.run_test(size=(110, 34)) as pilot:
        await until(pilot, lambda: _screen_name(app) == "RunScreen" and bool(app.screen.query("#step-title")))
        await until(pilot, lambda: str(app.screen.query_one("#step-title").render()).startswith("Step 1/2"))
        title = str(app.screen.query_one("#step-title").render())
        assert title.startswith("Step 1/2: Free disk space"), title
        steps = app.screen.query_one("#run-steps")
        shown = [str(steps.get_option_at_index(i).prompt) for i in range(steps.option_count)]
        assert shown == ["[ ] 1. Free disk space", "[ ] 2. Run docker system df and read Reclaimable"]
    walk.finish("aborted")
    result = run_cli(runner, screen_kb.root, "run", "titles", "--no-tui", input="d\nd\n")
    assert result.exit_code == 0, result.output
    assert "Step 1/2: Free disk space" in result.output
    assert "Step 2/2: Run docker system df and read Reclaimable" in result.output


REPORT = """# {title}

**Date**: 2026-03-0{day}

## Error: {error}

```text
{error}
```

## Resolution

- [ ] Restart the {what}
- [ ] Confirm the {what} answers
"""


async def test_f4_shows_refs_sources_of_shared_titles_and_plain_words(screen_kb, tmp_path):
    from runbook.app import RunbookApp

    ingest_report(screen_kb, tmp_path, "queue-stall.en.md", REPORT.format(
        title="Queue stall", day=1, error="consumer lag above threshold", what="consumer"))
    ingest_report(screen_kb, tmp_path, "cache-evictions.en.md", REPORT.format(
        title="Cache evictions", day=2, error="evicted keys above threshold", what="cache"))
    ingest_report(screen_kb, tmp_path, "release-train.en.md",
                  "# Release train\n\n## Pre-deploy checklist\n\n- [ ] Tag the release\n- [ ] Freeze merges\n")
    (screen_kb.runbooks_dir / "hand.md").write_text("# Hand\n\n- [ ] Page the lead\n", encoding="utf-8")
    app = RunbookApp(screen_kb)
    async with app.run_test(size=(160, 34)) as pilot:
        await until(pilot, lambda: app.current_mode == "search" and app.screen.query("#paste"))
        await pilot.press("f4")
        await until(pilot, lambda: app.current_mode == "runbooks" and app.screen.table.row_count >= 3)
        table = app.screen.table
        labels = [column.label.plain for column in table.columns.values()]
        assert labels[0] == "Ref"
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        refs = {row[0] for row in rows}
        assert "hand" in refs and any(ref.startswith("c") and ref[1:].isdigit() for ref in refs)
        titles = sorted(row[1] for row in rows if row[1].startswith("Resolution"))
        assert titles == ["Resolution · cache-evictions.en", "Resolution · queue-stall.en"]
        row = next(i for i, cells in enumerate(rows) if cells[1].startswith("Resolution"))
        table.move_cursor(row=row)
        detail = app.screen.detail
        await until(pilot, lambda: "Restart the" in detail._markdown, tries=1200)
        assert "tasks" not in detail._markdown and "*checklist" in detail._markdown
        pre = next(i for i, cells in enumerate(rows) if cells[1] == "Pre-deploy checklist")
        table.move_cursor(row=pre)
        await until(pilot, lambda: "Tag the release" in detail._markdown, tries=1200)
        assert "*checklist · before the change*" in detail._markdown and "· pre*" not in detail._markdown


def test_runbook_new_commits_the_runbook_it_writes(runner, screen_kb):
    screen_kb.close()
    result = run_cli(runner, screen_kb.root, "new", "Rotate certificates")
    assert result.exit_code == 0, result.output
    import git

    repo = git.Repo(screen_kb.root)
    assert "runbooks/rotate-certificates.md" in repo.git.ls_files("runbooks")
    assert not repo.git.status("--porcelain", "runbooks")
    assert repo.head.commit.message.startswith("runbook: new Rotate certificates")


WAITS = """# Waits

- [ ] Step 1: Wait for the flag
  ```bash
  while [ ! -e {flag} ]; do sleep 0.05; done; echo flag seen
  ```
- [ ] Step 2: Look around
  ```bash
  echo fine
  ```
"""


async def test_keys_typed_while_a_command_runs_never_note_or_abort(screen_kb, tmp_path):
    """An operator who types ahead of a prompt runbook has not noticed yet ("hunter2", Enter) must not
    have `n` open a note the password fills and Enter saves into the run record, nor `a` then `y`
    abort the run: those wait until the command ends."""
    flag = tmp_path / "flag"
    (screen_kb.runbooks_dir / "waits.md").write_text(WAITS.format(flag=flag), encoding="utf-8")
    app, walk = await _open(screen_kb, "waits")
    async with app.run_test(size=(110, 34)) as pilot:
        await until(pilot, lambda: _screen_name(app) == "RunScreen" and bool(app.screen.query("#step-title")))
        await _run_step(pilot, app)
        await until(pilot, lambda: app.screen.running and walk.command_running, tries=1200)
        for key in ["n", *"hunter2", "enter", "a", "y"]:
            await pilot.press(key)
        await pilot.pause(0.2)
        assert _screen_name(app) == "RunScreen" and app.screen.running and not walk.finished
        assert not walk.state.notes
        flag.touch()
        await until(pilot, lambda: walk.run.current == 1 and not app.screen.running, tries=1200)
        await pilot.press("n")  # the command has ended: a note is the operator's again
        await until(pilot, lambda: _screen_name(app) == "AskFields")
        for key in [*"pump ok", "enter"]:
            await pilot.press(key)
        await until(pilot, lambda: bool(walk.state.notes))
    assert walk.state.notes == ["pump ok"] and not walk.finished
