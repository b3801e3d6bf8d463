"""Reading an answer: the whole fix in the CLI (or where to read the rest), one confidence shown the same way
in the CLI, the TUI and the JSON, `--json` fields as README documents them, picking which command of a fix
to copy, ctrl+d from the paste area. Real KBs, the real CLI and the real Textual app."""

from __future__ import annotations

import json
import re

import pytest

from conftest import SAMPLES, ingest_report, run_cli
from kb.ingest import ingest
from pilot_wait import until

EADDRINUSE = "Error: listen EADDRINUSE: address already in use :::3000"

LONG_FIX = "# Nightly batch ran out of file handles\n\n## Error\n\n```\nOSError: [Errno 24] Too many open files: " \
           "'/srv/batch/out/part-0001.csv'\n```\n\n## Fix\n\n" + "\n".join(
               f"- Closed the writer pool shard {n} and reopened it with a handle budget." for n in range(1, 56))


@pytest.fixture
def sample_kb(kb):
    ingest(kb, [SAMPLES])
    return kb


def test_the_cli_prints_the_whole_fix(runner, sample_kb):
    """The EADDRINUSE fix is a block of commands: its last ones (pm2 kill, the restart) are the fix."""
    out = run_cli(runner, sample_kb.root, "search", EADDRINUSE).stdout
    assert "pm2 kill" in out and "systemctl restart storefront" in out, out
    assert "…" not in out.split("report:")[0], out


def test_a_fix_too_long_to_print_ends_with_where_to_read_it(runner, kb, tmp_path):
    ingest_report(kb, tmp_path, "batch.md", LONG_FIX)
    result = run_cli(runner, kb.root, "search", "OSError: [Errno 24] Too many open files: '/srv/batch/out/part-0001.csv'")
    ref = json.loads(run_cli(runner, kb.root, "search", "--json",
                             "OSError: [Errno 24] Too many open files: '/srv/batch/out/part-0001.csv'").stdout)[0]["ref"]
    fix = result.stdout.split("   fix:")[1]
    assert "shard 40 " in fix and "shard 41 " not in fix, result.stdout
    assert f"… 15 more lines: runbook show {ref}" in fix, result.stdout
    assert "shard 55 " in run_cli(runner, kb.root, "show", ref).stdout


def test_one_confidence_in_the_cli_the_json_and_the_possible_label(runner, sample_kb):
    """The number the CLI prints is the JSON's `confidence`; "a possible match" (and `weak`) follows it."""
    from kb.search.ranking import WEAK_CONFIDENCE

    for paste in (EADDRINUSE, "ModuleNotFoundError: No module named 'psutil'"):
        data = json.loads(run_cli(runner, sample_kb.root, "search", "--json", "-k", "3", paste).stdout)
        text = run_cli(runner, sample_kb.root, "search", "-k", "3", paste).stdout
        shown = re.findall(r"\[(\S+), confidence (\d\.\d\d)(, a possible match)?", text)
        assert [(ref, float(number), bool(possible)) for ref, number, possible in shown] == [
            (r["ref"], round(r["confidence"], 2), r["weak"]) for r in data], (shown, data)
        assert all(r["weak"] == (r["confidence"] < WEAK_CONFIDENCE) for r in data), data
        assert "score" not in text
    assert not data[0]["weak"] or data[0]["confidence"] < WEAK_CONFIDENCE


def test_json_fields_are_as_readme_documents_them(runner, sample_kb, tmp_path):
    """`show eN --json` gives the linked passages as a list (README: heading, line, text, role); a commit
    answer is `"kind": "commit"`."""
    import git

    found = json.loads(run_cli(runner, sample_kb.root, "search", "--json", EADDRINUSE).stdout)[0]
    shown = json.loads(run_cli(runner, sample_kb.root, "show", found["ref"], "--json").stdout)
    assert isinstance(shown["passages"], list) and shown["passages"], shown["passages"]
    assert set(shown["passages"][0]) == {"heading", "line", "text", "role"}
    assert shown["passages"] == found["passages"][:len(shown["passages"])]

    project = tmp_path / "project"
    repo = git.Repo.init(project)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Dev One")
        config.set_value("user", "email", "dev@example.com")
    (project / "quota.py").write_text("limit = 9\n", encoding="utf-8")
    repo.index.add(["quota.py"])
    repo.index.commit("fix: ZeroQuotaError when the tenant quota table is empty")
    run_cli(runner, sample_kb.root, "ingest", "--repo", str(project))
    answers = json.loads(run_cli(runner, sample_kb.root, "search", "--json", "ZeroQuotaError tenant quota").stdout)
    commit = [a for a in answers if a["ref"].startswith("commit:")]
    assert commit and commit[0]["kind"] == "commit", answers


async def _ready(app, pilot):
    from textual.widgets import TextArea

    await until(pilot, lambda: app.current_mode == "search" and bool(app.screen.query("#detail"))
                and app.searcher is not None, 600)
    return app.screen.query_one("#paste", TextArea)


async def test_the_tui_shows_the_same_confidence_and_picks_which_command_to_copy(sample_kb):
    """The result list shows the JSON's confidence, not a raw score; ctrl+g on a fix with several
    commands asks which one, and copies that one (the first, `lsof`, is the diagnostic)."""
    from runbook.app import RunbookApp
    from runbook.screens.search import CommandPicker
    from runbook.widgets.result_list import ResultList

    app = RunbookApp(sample_kb)
    async with app.run_test(size=(110, 34)) as pilot:
        paste = await _ready(app, pilot)
        paste.insert(EADDRINUSE)
        screen = app.screen
        await until(pilot, lambda: bool(screen.results), 400)
        first = screen.results[0]
        prompt = str(screen.query_one(ResultList).get_option_at_index(0).prompt)
        assert f"{first.confidence:.2f}" in prompt and f"{first.score:.2f}" not in prompt, prompt
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, CommandPicker), 200)
        commands = app.screen.commands
        assert commands[0].startswith("sudo lsof") and "pm2 kill" in commands, commands
        await pilot.press(*["down"] * commands.index("pm2 kill"), "enter")
        await until(pilot, lambda: screen.copied is not None, 200)
        assert screen.copied == "pm2 kill"


async def test_ctrl_d_works_from_the_paste_area_with_feedback_and_is_in_the_footer(sample_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(sample_kb)
    async with app.run_test(size=(110, 34)) as pilot:
        paste = await _ready(app, pilot)
        paste.insert(EADDRINUSE)
        screen = app.screen
        await until(pilot, lambda: bool(screen.results), 400)
        paste.move_cursor((0, 0))
        assert app.focused is paste
        bindings = {key: binding.binding.action for key, binding in screen.active_bindings.items()}
        assert bindings.get("ctrl+d") == "diff", bindings  # the screen's, not the paste area's delete
        await pilot.press("ctrl+d")
        await until(pilot, lambda: any("ingest --repo" in n.message for n in app._notifications), 200)
        assert paste.text == EADDRINUSE  # nothing deleted
