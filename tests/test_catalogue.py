"""The runnable catalogue and run bookkeeping, as an operator meets them: `list runbooks`, `show fN`,
F4, the incident pane, the command palette, run records, `history NAME`, unattended `--yes`, no git
identity, nested steps, the variables form. Real KBs, real git, real subprocesses, the real app."""

from __future__ import annotations

import json

import git
import pytest

from pilot_wait import until as _until
from conftest import run_cli
from kb.ingest import ingest
from kb.runs import runbooks
from kb.runs.records import RunStore
from kb.runs.trust import trust

REPORT = """# Cache rollout incident

**Project**: shop-cache
**Date**: 2025-03-04

## Error: redis connection refused

```
redis.exceptions.ConnectionError: Error 111 connecting to cache:6379. Connection refused.
```

**Root cause**: the cache container was not started.

**Fix**: start it first.

## Pre-deploy checklist

- [ ] Check the cache
  - [ ] Ping the cache
    ```bash
    echo PONG
    # expected: PONG
    ```
  - [ ] Check its memory
- [ ] Announce the rollout

## Troubleshooting

```mermaid
graph TD
    A[Cache errors] --> B{Cache up?}
    B -->|yes| C[Check the key TTLs]
    B -->|no| D[Start the cache]
```
"""

TRUSTED_PASS = """---
title: Nightly smoke
trusted: true
variables: WORD=fine
---
# Nightly smoke

- [ ] Say it
  ```bash
  echo "all $WORD"
  # expected: all fine
  ```
- [ ] Look at the sky
- [ ] Say it again
  ```bash
  echo again
  ```
"""

TRUSTED_FAIL = """---
title: Nightly broken
trusted: true
---
# Nightly broken

- [ ] Fail
  ```bash
  echo "disk full"; exit 3
  ```
- [ ] Never reached
  ```bash
  touch never-reached
  ```
"""

HAND = """---
title: Restart the API
---
# Restart the API

- [ ] Stop it
  ```bash
  echo stopping
  ```
- [ ] Start it
  ```bash
  echo starting
  ```
  ```bash
  echo started
  ```
"""


@pytest.fixture
def cat_kb(kb, tmp_path):
    source = tmp_path / "cache-rollout.en.md"
    source.write_text(REPORT, encoding="utf-8")
    ingest(kb, [source])
    for name, text in (("nightly", TRUSTED_PASS), ("nightly-broken", TRUSTED_FAIL), ("restart-api", HAND)):
        (kb.runbooks_dir / f"{name}.md").write_text(text, encoding="utf-8")
    for name in ("nightly", "nightly-broken"):  # the operator read them and trusted them on this machine
        trust(kb, runbooks.load(kb, name))
    kb.close()
    return kb


def _identify(kb) -> None:
    for key, value in (("name", "Ann Op"), ("email", "ann@example.com")):
        kb.repo.config_writer().set_value("user", key, value).release()
    kb.close()


def _catalogue(runner, kb) -> dict[str, dict]:
    result = run_cli(runner, kb.root, "list", "runbooks", "--json")
    assert result.exit_code == 0, result.output
    return {row["ref"]: row for row in json.loads(result.output)}


def _ref(rows: dict[str, dict], kind: str) -> str:
    return next(ref for ref, row in rows.items() if row["kind"] == kind)


# -- the catalogue --------------------------------------------------------------------------------------

def test_list_runbooks_has_every_kind_with_counts_and_last_runs(runner, cat_kb):
    _identify(cat_kb)
    rows = _catalogue(runner, cat_kb)
    kinds = {row["kind"] for row in rows.values()}
    assert {"checklist", "decision tree", "runbook"} <= kinds
    tree = rows[_ref(rows, "decision tree")]
    assert tree["title"] == "Troubleshooting" and tree["steps"] == 4
    assert tree["report"] == "reports/cache-rollout.en.md"
    hand = rows["restart-api"]  # hand-written: its steps and commands are counted, its title shown
    assert (hand["title"], hand["steps"], hand["commands"]) == ("Restart the API", 2, 3)
    assert all(row["last_run"] is None for row in rows.values())

    run_cli(runner, cat_kb.root, "run", "nightly-broken", "--no-tui", "--yes", input=None)
    rows = _catalogue(runner, cat_kb)
    assert rows["nightly-broken"]["last_run"]["outcome"] == "failed"
    assert rows["nightly-broken"]["last_run"]["date"][:4].isdigit()

    table = run_cli(runner, cat_kb.root, "list", "runbooks")
    lines = table.output.splitlines()
    assert lines[0].split()[:4] == ["REF", "KIND", "STEPS", "LAST"]
    assert any(line.startswith("nightly-broken") and " failed 20" in line for line in lines)
    assert any("decision tree" in line and "Troubleshooting" in line for line in lines)


def test_show_a_flowchart_by_its_ref(runner, cat_kb):
    ref = _ref(_catalogue(runner, cat_kb), "decision tree")
    shown = run_cli(runner, cat_kb.root, "show", ref)
    assert shown.exit_code == 0, shown.output
    assert "Cache up?" in shown.output and "no -> Start the cache" in shown.output
    data = json.loads(run_cli(runner, cat_kb.root, "show", ref, "--json").output)
    assert data["ref"] == ref and data["kind"] == "decision tree" and len(data["steps"]) == 4


# -- run records ------------------------------------------------------------------------------------------

def test_a_checklist_run_is_named_by_its_title_and_keeps_nested_steps(runner, cat_kb):
    _identify(cat_kb)
    ref = _ref(_catalogue(runner, cat_kb), "checklist")
    result = run_cli(runner, cat_kb.root, "run", ref, "--no-tui", input="d\nr\ny\nd\nd\n")
    assert result.exit_code == 0, result.output
    assert "└ Step 2/4: Ping the cache" in result.output
    records = sorted((cat_kb.root / "runs").glob("*.md"))
    assert len(records) == 1 and records[0].name.split("-", 3)[3].startswith("pre-deploy-checklist-")
    text = records[0].read_text(encoding="utf-8")
    assert "title: Pre-deploy checklist" in text and "reports/" not in records[0].name
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings[1:] == ["## 1. [x] Check the cache", "### 2. [x] Ping the cache", "### 3. [x] Check its memory",
                            "## 4. [x] Announce the rollout"]
    subject = git.Repo(cat_kb.root).head.commit.message.splitlines()[0]
    assert subject == f"run: Pre-deploy checklist [{ref}] completed 4/4"


def test_history_name_lists_only_that_runbooks_runs(runner, cat_kb):
    _identify(cat_kb)
    run_cli(runner, cat_kb.root, "run", "nightly", "--no-tui", "--yes")
    run_cli(runner, cat_kb.root, "run", "nightly-broken", "--no-tui", "--yes")
    run_cli(runner, cat_kb.root, "run", "restart-api", "--no-tui", input="r\ny\nr\ny\ny\n")
    every = json.loads(run_cli(runner, cat_kb.root, "history", "--json").output)
    assert len(every) == 3
    only = json.loads(run_cli(runner, cat_kb.root, "history", "nightly", "--json").output)
    assert [row["runbook"] for row in only] == ["nightly"]
    assert only[0]["title"] == "Nightly smoke" and only[0]["outcome"].startswith("completed")
    by_title = json.loads(run_cli(runner, cat_kb.root, "history", "Restart the API", "--json").output)
    assert [row["runbook"] for row in by_title] == ["restart-api"]
    (cat_kb.runbooks_dir / "quiet.md").write_text("# Quiet\n\n- [ ] Look around\n", encoding="utf-8")
    never = run_cli(runner, cat_kb.root, "history", "quiet")  # a runbook that never ran: said, exit 0
    assert never.exit_code == 0 and "no recorded runs of quiet" in never.output
    none = run_cli(runner, cat_kb.root, "history", "nightly-gone")  # no such runbook: a typo is not "never run"
    assert none.exit_code == 1 and "error: no runbook nightly-gone" in none.stderr, none.output


# -- unattended --yes ---------------------------------------------------------------------------------------

def test_yes_on_a_trusted_runbook_runs_unattended_with_stdin_closed(runner, cat_kb):
    _identify(cat_kb)
    passed = run_cli(runner, cat_kb.root, "run", "nightly", "--no-tui", "--yes", input=None)
    assert passed.exit_code == 0, passed.output
    assert "all fine" in passed.output and "Run it?" not in passed.output and "[r]un" not in passed.output
    assert "manual step" in passed.output  # the step without a command is said, not silently passed
    failed = run_cli(runner, cat_kb.root, "run", "nightly-broken", "--no-tui", "--yes", input=None)
    assert failed.exit_code == 1
    assert "Go on" not in failed.output and "[r]etry" not in failed.output
    assert not (cat_kb.root.parent / "never-reached").exists()
    assert "outcome: failed" in sorted((cat_kb.root / "runs").glob("*nightly-broken*.md"))[-1].read_text()
    store = RunStore(cat_kb)
    assert store.interrupted() == [] and store.uncommitted() == []
    store.close()


def test_yes_is_refused_for_untrusted_runbooks_in_one_line_and_leaves_no_run(runner, cat_kb):
    refused = run_cli(runner, cat_kb.root, "run", "restart-api", "--no-tui", "--yes", input=None)
    assert refused.exit_code == 2
    assert refused.output.strip().count("\n") == 0 and "not trusted" in refused.output
    assert not (cat_kb.derived_dir / "runs.sqlite").exists() or not RunStore(cat_kb).interrupted()


def test_closed_input_leaves_no_stale_interrupted_run(runner, cat_kb):
    for _ in range(3):
        result = run_cli(runner, cat_kb.root, "run", "restart-api", "--no-tui", input=None)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "nothing recorded" in result.output
    store = RunStore(cat_kb)
    assert store.interrupted() == []
    store.close()


def test_a_variable_without_a_default_stops_an_unattended_run_before_it_starts(runner, cat_kb):
    (cat_kb.runbooks_dir / "needs-host.md").write_text(
        "---\ntrusted: true\n---\n# Needs host\n\n- [ ] ping\n  ```bash\n  echo $TARGET_HOST\n  ```\n", encoding="utf-8")
    assert run_cli(runner, cat_kb.root, "trust", "needs-host", "--yes").exit_code == 0
    result = run_cli(runner, cat_kb.root, "run", "needs-host", "--no-tui", "--yes", input=None)
    assert result.exit_code == 2 and "--var TARGET_HOST=VALUE" in result.output
    assert not list((cat_kb.root / "runs").glob("*.md"))


def test_empty_variable_values_are_refused(runner, cat_kb):
    empty = run_cli(runner, cat_kb.root, "run", "nightly", "--no-tui", "--var", "WORD=", input=None)
    assert empty.exit_code == 2 and "WORD is empty" in empty.output
    (cat_kb.runbooks_dir / "repo.md").write_text(
        "# Repo\n\n- [ ] clone\n  ```bash\n  echo https://github.com/$REPO_OWNER/\n  ```\n", encoding="utf-8")
    asked = run_cli(runner, cat_kb.root, "run", "repo", "--no-tui", input="\n   \nacme\nr\ny\n")
    assert "a value is needed" in asked.output
    assert "https://github.com/acme/" in asked.output and "github.com//" not in asked.output


# -- no git identity ----------------------------------------------------------------------------------------

def test_a_run_without_git_identity_is_committed_as_the_fallback_and_says_which(runner, cat_kb):
    result = run_cli(runner, cat_kb.root, "run", "nightly", "--no-tui", "--yes", input=None)
    assert result.exit_code == 0, result.output
    assert "committed as runbook <runbook@localhost>" in result.output
    head = git.Repo(cat_kb.root).head.commit
    assert head.author.email == "runbook@localhost" and head.message.startswith("run: Nightly smoke")


def test_onboarding_without_git_identity_is_committed_as_the_fallback(runner, cat_kb):
    from kb import onboarding

    topics = onboarding.topics(cat_kb)
    assert topics
    pages = onboarding.walkthrough(cat_kb, topics[0]["topic"])
    record, note = onboarding.complete(cat_kb, "ann", topics[0]["topic"], pages, None)
    assert note.startswith("committed as runbook <runbook@localhost>")
    head = git.Repo(cat_kb.root).head.commit
    assert head.author.email == "runbook@localhost" and record in head.stats.files


# -- the TUI ------------------------------------------------------------------------------------------------



async def _open_f4(app, pilot):
    await _until(pilot, lambda: app.current_mode == "search" and app.screen.query("#paste"))
    await pilot.press("f4")
    await _until(pilot, lambda: app.current_mode == "runbooks" and app.screen.table.row_count > 0)
    return app.screen


def _row(table, title: str) -> list[str]:
    for index in range(table.row_count):
        cells = [str(cell) for cell in table.get_row_at(index)][1:]  # after the Ref column
        if cells[0] == title:
            return cells
    raise AssertionError(f"no row {title!r}")


async def test_f4_lists_the_catalogue_with_counts_and_the_last_outcome(runner, cat_kb):
    from runbook.app import RunbookApp

    _identify(cat_kb)
    run_cli(runner, cat_kb.root, "run", "nightly-broken", "--no-tui", "--yes", input=None)
    run_cli(runner, cat_kb.root, "run", "restart-api", "--no-tui", input="a\n")  # aborted at once
    app = RunbookApp(cat_kb)
    async with app.run_test(size=(140, 34)) as pilot:  # wide enough for every column
        screen = await _open_f4(app, pilot)
        table = screen.table
        assert _row(table, "Restart the API")[1:4] == ["runbook", "2", "3"]
        assert _row(table, "Nightly broken")[4].startswith("failed 20")
        assert _row(table, "Restart the API")[4].startswith("aborted 20")
        assert _row(table, "Troubleshooting")[1] == "decision tree"
        assert _row(table, "Pre-deploy checklist")[4] == "never"


async def test_the_incident_pane_counts_decision_trees(cat_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(cat_kb)
    async with app.run_test(size=(120, 34)) as pilot:
        await _until(pilot, lambda: app.current_mode == "search" and app.screen.query("#paste"))
        await pilot.press("f3")
        await _until(pilot, lambda: app.current_mode == "incidents" and app.screen.current is not None)
        text = app.screen.detail._markdown
        assert "1 error · 1 checklist · 1 decision tree ·" in text and "## Decision trees" in text


async def test_the_command_palette_finds_a_decision_tree_by_title(cat_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(cat_kb)
    async with app.run_test(size=(120, 34)) as pilot:
        await _until(pilot, lambda: app.current_mode == "search" and app.screen.query("#paste"))
        await pilot.press("ctrl+p")
        await _until(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
        for ch in "troubleshoot":
            await pilot.press(ch)
        await _until(pilot, lambda: any("Run Troubleshooting" in str(option.prompt) for option in
                                        app.screen.query_one("CommandList").options))
        await pilot.press("enter")
        await _until(pilot, lambda: app.current_mode == "runbooks" and app.screen.current is not None
                     and app.screen.current["title"] == "Troubleshooting")


async def _run_screen(kb, name):
    from kb.runs import runbooks
    from kb.runs.walk import RunWalk
    from runbook.app import RunbookApp

    walk = RunWalk.start(kb, runbooks.load(kb, name), "Ann Op <ann@example.com>", {}, set())
    return RunbookApp(kb, run_walk=walk, run_options={"author": ("Ann Op", "ann@example.com")}), walk


def _marks(screen) -> list[str]:
    steps = screen.query_one("#run-steps")
    return [str(steps.get_option_at_index(i).prompt) for i in range(steps.option_count)]


async def test_the_last_done_shows_the_step_done_and_nested_steps_are_indented(runner, cat_kb):
    ref = _ref(_catalogue(runner, cat_kb), "checklist")
    app, walk = await _run_screen(cat_kb, ref)
    async with app.run_test(size=(120, 34)) as pilot:
        await _until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and bool(app.screen.query("#step-title")))
        await _until(pilot, lambda: len(_marks(app.screen)) > 1)
        assert _marks(app.screen)[1] == "  [ ] 2. Ping the cache", _marks(app.screen)
        for _ in range(4):
            await pilot.press("d")
            await pilot.pause(0.1)
        await _until(pilot, lambda: walk.finished and "Run completed" in str(
            app.screen.query_one("#step-title").render()))
        assert _marks(app.screen)[-1] == "[x] 4. Announce the rollout"
        assert all("[x]" in mark for mark in _marks(app.screen))


async def test_abort_asks_first(cat_kb):
    app, walk = await _run_screen(cat_kb, "restart-api")
    async with app.run_test(size=(120, 34)) as pilot:
        await _until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and bool(app.screen.query("#step-title")))
        await pilot.press("a")
        await _until(pilot, lambda: type(app.screen).__name__ == "Confirm")
        await pilot.press("n")
        await _until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and bool(app.screen.query("#step-title")))
        await pilot.pause(0.2)
        assert not walk.finished
        await pilot.press("a")
        await _until(pilot, lambda: type(app.screen).__name__ == "Confirm")
        await pilot.press("y")
        await _until(pilot, lambda: walk.finished)
        assert walk.run.outcome == "aborted"


async def test_the_variables_form_shows_defaults_and_hints_refuses_empty_and_enter_submits(cat_kb):
    from textual.widgets import Input, Label

    from runbook.app import RunbookApp

    _identify(cat_kb)
    (cat_kb.runbooks_dir / "deploy-repo.md").write_text(
        "---\ntitle: Deploy a repo\nvariables: BRANCH=main\n---\n# Deploy a repo\n\n- [ ] clone\n  ```bash\n"
        "  echo https://github.com/$REPO_OWNER/app/tree/$BRANCH\n  ```\n", encoding="utf-8")
    app = RunbookApp(cat_kb)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_f4(app, pilot)
        table = screen.table
        table.move_cursor(row=next(i for i in range(table.row_count) if str(table.get_row_at(i)[1]) == "Deploy a repo"))
        await _until(pilot, lambda: screen.current is not None and screen.current["title"] == "Deploy a repo")
        await pilot.press("enter")
        await _until(pilot, lambda: type(app.screen).__name__ == "AskFields")
        form = app.screen
        labels = [str(label.render()) for label in form.query(Label)]
        assert any("BRANCH" in label and "default: main" in label for label in labels)
        owner = form.query_one("#field-REPO_OWNER", Input)
        assert owner.placeholder.startswith("used in: echo https://github.com/$REPO_OWNER")
        assert form.query_one("#field-BRANCH", Input).value == "main"
        await pilot.press("enter")  # REPO_OWNER is empty: refused, the form stays
        await pilot.pause(0.2)
        assert app.screen is form and "REPO_OWNER is empty" in str(form.query_one("#ask-problem").render())
        owner.focus()
        for ch in "acme":
            await pilot.press(ch)
        await pilot.press("enter")  # Enter in the first field submits the whole form
        await _until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and bool(app.screen.query("#step-title")))
        assert "github.com/acme/app/tree/main" in str(app.screen.query_one("#step-command").render())


async def test_without_git_identity_the_run_form_offers_the_operator_name(cat_kb):
    from textual.widgets import Input

    from runbook.app import RunbookApp

    app = RunbookApp(cat_kb)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_f4(app, pilot)
        table = screen.table
        table.move_cursor(row=next(i for i in range(table.row_count)
                                   if str(table.get_row_at(i)[1]) == "Restart the API"))
        await _until(pilot, lambda: screen.current is not None and screen.current["title"] == "Restart the API")
        await pilot.press("enter")
        await _until(pilot, lambda: type(app.screen).__name__ == "AskFields")
        field = app.screen.query_one("#field-__operator__", Input)
        assert "runbook <runbook@localhost>" in field.placeholder
        field.focus()
        for ch in "Bo Lee <bo@example.com>":
            await pilot.press(ch if ch != " " else "space")
        await pilot.press("enter")
        await _until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and bool(app.screen.query("#step-title")))
        walk = app.screen.walk
        for _ in range(2):
            await pilot.press("d")
            await pilot.pause(0.1)
        await _until(pilot, lambda: walk.finished and walk.run.committed)
    head = git.Repo(cat_kb.root).head.commit
    assert (head.author.name, head.author.email) == ("Bo Lee", "bo@example.com")
