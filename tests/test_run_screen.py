"""The TUI run screen through Pilot: confirm, run, stream, check, fail with fixes, decide, finish."""

from __future__ import annotations

import pytest

from pilot_wait import until as _until
from conftest import SAMPLES
from kb.ingest import ingest

RUNBOOK = """---
title: Screen smoke
---
# Screen smoke

- [ ] Greet
  ```bash
  echo "hello from the run screen"
  # expected: hello from
  ```
- [ ] Break
  ```bash
  echo "Error response from daemon: Bind for 0.0.0.0:8080 failed: port is already allocated"; exit 1
  ```
"""

TREE = """# Tree

```mermaid
graph TD
    A{Disk full?} -->|yes| B[Prune images]
    A -->|no| C[Check logs]
```
"""


@pytest.fixture
def run_kb(kb):
    ingest(kb, [SAMPLES])
    kb.repo.config_writer().set_value("user", "name", "Ann Op").release()
    kb.repo.config_writer().set_value("user", "email", "ann@example.com").release()
    (kb.runbooks_dir / "screen.md").write_text(RUNBOOK, encoding="utf-8")
    (kb.runbooks_dir / "tree.md").write_text(TREE, encoding="utf-8")
    return kb




async def _open_run(run_kb, name):
    from kb.runs import runbooks
    from kb.runs.walk import RunWalk
    from runbook.app import RunbookApp

    walk = RunWalk.start(run_kb, runbooks.load(run_kb, name), "Ann Op <ann@example.com>", {}, set())
    return RunbookApp(run_kb, run_walk=walk, run_options={"author": ("Ann Op", "ann@example.com")}), walk


async def test_a_run_confirms_streams_checks_and_fails_with_known_fixes(run_kb):
    from textual.widgets import RichLog

    app, walk = await _open_run(run_kb, "screen")
    async with app.run_test(size=(110, 34)) as pilot:
        await _until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and bool(app.screen.query("#step-title")))
        await pilot.press("r")
        await _until(pilot, lambda: type(app.screen).__name__ == "ConfirmCommand")
        assert 'echo "hello from the run screen"' in str(app.screen.query_one("#confirm-command").render())
        await pilot.press("n")  # refused: nothing runs
        await pilot.pause(0.2)
        assert walk.state.exit_code is None and walk.run.current == 0
        await pilot.press("r")
        await _until(pilot, lambda: type(app.screen).__name__ == "ConfirmCommand")
        await pilot.press("y")
        await _until(pilot, lambda: walk.run.current == 1)  # passed its check: done, on to step 2
        assert walk.run.steps[0].status == "done"
        log = app.screen.query_one(RichLog)
        assert not any(str(line.text).strip() for line in log.lines)  # step 2 has not run: its box is empty
        assert "hello from the run screen" in walk.run.steps[0].output
        await pilot.press("r")
        await _until(pilot, lambda: type(app.screen).__name__ == "ConfirmCommand")
        await pilot.press("y")
        fixes = app.screen.query_one("#run-fixes")
        await _until(pilot, lambda: "Known fixes" in fixes._markdown)
        assert "port is already allocated" in fixes._markdown
        await pilot.press("f")
        await _until(pilot, lambda: walk.finished and app.last_run_outcome == "failed")
    record = (run_kb.root / walk.run.record).read_text(encoding="utf-8")
    assert "outcome: failed" in record
    assert run_kb.repo.head.commit.message.startswith("run: Screen smoke [screen] failed at step 2")


async def test_a_decision_tree_is_walked_with_number_keys(run_kb):
    app, walk = await _open_run(run_kb, "tree")
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and bool(app.screen.query("#step-title")))
        title = app.screen.query_one("#step-title")
        await _until(pilot, lambda: "[1] yes" in str(title.render()))
        assert "[2] no" in str(title.render())
        await pilot.press("2")
        await _until(pilot, lambda: walk.step.title == "Check logs")
        await pilot.press("d")  # the end: it asks whether the problem is resolved
        await _until(pilot, lambda: type(app.screen).__name__ == "Confirm")
        await pilot.press("y")
        await _until(pilot, lambda: walk.finished)
    assert walk.run.outcome == "completed"


async def test_runbooks_screen_starts_a_run_with_the_variables_form(run_kb):
    from runbook.app import RunbookApp

    (run_kb.runbooks_dir / "vars.md").write_text(
        "# Vars\n\n- [ ] hi\n  ```bash\n  echo ${GREETING:-hello} $API_TOKEN\n  ```\n", encoding="utf-8")
    app = RunbookApp(run_kb)
    async with app.run_test(size=(110, 34)) as pilot:
        await _until(pilot, lambda: app.current_mode == "search" and app.screen.query("#paste"))
        await pilot.press("f4")
        await _until(pilot, lambda: app.current_mode == "runbooks" and app.screen.current is not None)
        table = app.screen.table
        row = next(i for i in range(table.row_count) if str(table.get_row_at(i)[1]) == "Vars")
        table.move_cursor(row=row)
        await _until(pilot, lambda: app.screen.current is not None and app.screen.current["ref"] == "vars")
        await pilot.press("enter")
        await _until(pilot, lambda: type(app.screen).__name__ == "AskFields")
        await pilot.press("tab")  # keep the default for GREETING
        for ch in "tok-98765":
            await pilot.press(ch)
        await pilot.press("enter")
        await _until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and bool(app.screen.query("#step-title")))
        command = str(app.screen.query_one("#step-command").render())
        assert "echo hello ••••••" in command and "tok-98765" not in command


async def test_a_broken_runbook_file_does_not_crash_the_runbooks_screen(run_kb):
    from runbook.app import RunbookApp

    (run_kb.runbooks_dir / "aaa-broken.md").write_bytes(b"\xff\xfe\x00bad\x81")
    app = RunbookApp(run_kb)
    async with app.run_test(size=(110, 34)) as pilot:
        await _until(pilot, lambda: app.current_mode == "search" and app.screen.query("#paste"))
        await pilot.press("f4")
        await _until(pilot, lambda: app.current_mode == "runbooks" and app.screen.query("#checklist-detail"))
        table = app.screen.table
        await _until(pilot, lambda: table.row_count > 0)
        table.move_cursor(row=next(i for i in range(table.row_count) if str(table.get_row_at(i)[1]).startswith("aaa-broken")))
        detail = app.screen.query_one("#checklist-detail")
        await _until(pilot, lambda: "Cannot open this" in detail._markdown)
        assert "aaa-broken.md" in detail._markdown and app.is_running
