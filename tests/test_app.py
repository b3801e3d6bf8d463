"""The TUI as an operator drives it: Textual's real app on a real KB, through Pilot."""

from __future__ import annotations

import pytest

from pilot_wait import until
from conftest import SAMPLES
from kb.ingest import ingest

SIZE = (100, 30)


@pytest.fixture
def sample_kb(kb):
    ingest(kb, [SAMPLES])
    return kb


async def _ready(app, pilot):
    for _ in range(600):  # generous: a loaded CI machine can take seconds to open the KB
        await pilot.pause(0.05)
        if app.current_mode == "search" and app.screen.query("#detail"):
            await pilot.pause(0.05)
            return
    raise AssertionError("the app never reached the search screen")


async def _settle(pilot, app, predicate, tries=400):
    await until(pilot, predicate, tries)


def _kb_with_report(kb, tmp_path, name: str, text: str):
    """A KB holding one report of ours, ingested as an operator would."""
    folder = tmp_path / "reports-in"
    folder.mkdir()
    (folder / name).write_text(text, encoding="utf-8")
    ingest(kb, [folder])
    return kb


async def _paste(app, pilot, text: str, shows: str):
    """Paste into the search screen and wait until the detail pane shows `shows`; returns the detail."""
    from textual.widgets import Markdown, TextArea

    screen = app.screen
    screen.query_one("#paste", TextArea).insert(text)
    await _settle(pilot, app, lambda: bool(screen.results))
    detail = screen.query_one("#detail", Markdown)
    await _settle(pilot, app, lambda: shows in detail._markdown)
    return detail


async def test_pasting_an_error_shows_its_fix(sample_kb):
    from runbook.app import RunbookApp
    from textual.widgets import Markdown, TextArea

    app = RunbookApp(sample_kb)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        screen = app.screen
        screen.query_one("#paste", TextArea).insert("Error response from daemon: Bind for 0.0.0.0:8080 failed: port is already allocated")
        await _settle(pilot, app, lambda: bool(screen.results))
        assert "port is already allocated" in screen.results[0].message
        detail = screen.query_one("#detail", Markdown)
        await _settle(pilot, app, lambda: "Root cause" in detail._markdown)
        assert "Fix" in detail._markdown


async def test_typing_keystrokes_updates_results_and_keys_navigate(sample_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(sample_kb)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await pilot.press(*"MISCONF Redis")
        await _settle(pilot, app, lambda: bool(app.screen.results))
        assert "MISCONF" in app.screen.results[0].message
        await pilot.press("escape", "down")
        assert app.screen.query_one("#results").highlighted == 1
        await pilot.press("ctrl+o")
        await _settle(pilot, app, lambda: type(app.screen).__name__ == "ReportScreen")
        await pilot.press("escape")
        await _settle(pilot, app, lambda: type(app.screen).__name__ == "SearchScreen")
        for key, mode in (("f3", "incidents"), ("f4", "runbooks"), ("f5", "onboarding")):
            await pilot.press(key)
            await _settle(pilot, app, lambda: app.current_mode == mode and app.screen.is_mounted)
        await pilot.press("f1")
        await _settle(pilot, app, lambda: type(app.screen).__name__ == "HelpScreen")
        await pilot.press("escape")
        await _settle(pilot, app, lambda: type(app.screen).__name__ != "HelpScreen")
        await pilot.press("f2")
        await _settle(pilot, app, lambda: app.current_mode == "search")


async def test_incidents_screen_shows_a_reports_errors(sample_kb):
    from runbook.app import RunbookApp
    from textual.widgets import DataTable, Markdown

    app = RunbookApp(sample_kb)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await pilot.press("f3")
        await _settle(pilot, app, lambda: app.current_mode == "incidents" and app.screen.query(DataTable))
        table = app.screen.query_one(DataTable)
        await _settle(pilot, app, lambda: table.row_count > 0)
        assert table.row_count == len(list(SAMPLES.glob("*.md")))
        detail = app.screen.query_one("#incident-detail", Markdown)
        await _settle(pilot, app, lambda: "## Errors" in detail._markdown)
        first = app.screen.current
        assert first["errors"] and first["errors"][0]["ref"] in detail._markdown
        await pilot.press("down")
        await _settle(pilot, app, lambda: app.screen.current is not first)


async def test_runbooks_screen_lists_checklists_with_commands_first(sample_kb):
    from runbook.app import RunbookApp
    from textual.widgets import DataTable, Markdown

    app = RunbookApp(sample_kb)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await pilot.press("f4")
        await _settle(pilot, app, lambda: app.current_mode == "runbooks" and app.screen.query(DataTable))
        table = app.screen.query_one(DataTable)
        await _settle(pilot, app, lambda: table.row_count > 0)
        assert table.row_count >= 6
        rows = list(app.screen.rows.values())
        assert rows[0]["commands"] >= rows[-1]["commands"]
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [row["ref"] for row in rows]
        detail = app.screen.query_one("#checklist-detail", Markdown)
        await _settle(pilot, app, lambda: "steps" in detail._markdown)


async def test_empty_kb_says_what_to_do(kb):
    from runbook.app import RunbookApp
    from textual.widgets import Markdown

    app = RunbookApp(kb)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        detail = app.screen.query_one("#detail", Markdown)
        await _settle(pilot, app, lambda: "runbook --kb" in detail._markdown)
        assert "no reports yet" in str(app.screen.query_one("#search-status").render())


async def test_a_broken_kb_path_shows_the_problem_not_a_traceback(tmp_path):
    from runbook.app import RunbookApp
    from textual.widgets import Static

    app = RunbookApp(kb_option=str(tmp_path / "not-a-kb"))
    async with app.run_test(size=SIZE) as pilot:
        status = app.screen.query_one("#startup-status", Static)
        await _settle(pilot, app, lambda: "runbook init" in str(status.render()))
        await pilot.press("q")


async def test_first_start_sets_up_the_default_kb_with_samples(tmp_path):
    from runbook.app import RunbookApp
    from textual.widgets import ProgressBar

    app = RunbookApp()
    progress_seen = []
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(600):  # the setup shows its progress while it ingests the samples
            await pilot.pause(0.02)
            if app.current_mode == "search":
                break
            bars = app.screen.query(ProgressBar)
            if bars and bars.first().total:
                progress_seen.append(bars.first().progress)
        await _ready(app, pilot)
        assert app.kb.store.counts()["reports"] == len(list(SAMPLES.glob("*.md")))
    assert progress_seen, "no progress bar while the samples were ingested"


async def test_the_key_bar_lists_the_keys_once_the_screen_is_up(sample_kb):
    """The footer is built after the first frame; it must still list the screen's keys."""
    from runbook.app import RunbookApp
    from textual.widgets._footer import FooterKey

    app = RunbookApp(sample_kb)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await _settle(pilot, app, lambda: any(key.description == "Copy" for key in app.screen.query(FooterKey)))
        assert any(key.description == "Quit" for key in app.screen.query(FooterKey))


async def test_narrow_terminal_stacks_the_search_layout(sample_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(sample_kb)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(app, pilot)
        assert app.screen.has_class("-narrow")
        left = app.screen.query_one("#search-left")
        await _settle(pilot, app, lambda: left.region.width == 80)
        assert app.screen.query_one("#detail-scroll").region.y > left.region.y  # the fix is below, full width


async def test_command_palette_searches_the_kb_and_opens_the_fix(sample_kb):
    from runbook.app import RunbookApp
    from textual.widgets import TextArea

    app = RunbookApp(sample_kb)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await pilot.press("f3")
        await _settle(pilot, app, lambda: app.current_mode == "incidents")
        await pilot.press("ctrl+p")
        await _settle(pilot, app, lambda: type(app.screen).__name__ == "CommandPalette")
        for ch in "MISCONF Redis":
            await pilot.press(ch if ch != " " else "space")
        palette = app.screen
        await _settle(pilot, app, lambda: any("Fix:" in str(option.prompt) for option in
                                              palette.query_one("CommandList").options))
        options = palette.query_one("CommandList").options
        index = next(i for i, option in enumerate(options) if "Fix:" in str(option.prompt))
        palette.query_one("CommandList").highlighted = index
        await pilot.press("enter")
        await _settle(pilot, app, lambda: app.current_mode == "search" and bool(getattr(app.screen, "results", None)))
        assert app.screen.query_one("#paste", TextArea).text == "MISCONF Redis"
        assert "MISCONF" in app.screen.results[0].message


async def test_a_passage_answer_shows_where_it_stands_and_opens_the_report_there(kb, tmp_path):
    from runbook.app import RunbookApp
    from textual.widgets import MarkdownViewer

    filler = "\n\n".join(f"## Day {i}\n\nNothing happened on day {i}; the queue stayed empty." for i in range(40))
    _kb_with_report(kb, tmp_path, "ops-diary.md",
                    f"# Ops diary\n\n{filler}\n\n## The inotify day\n\nThe batch host printed `ENOSPC: inotify watch "
                    "limit reached` again.\n\n## Fix\n\nRaise `fs.inotify.max_user_watches` to 524288 with sysctl.\n")
    app = RunbookApp(kb)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        await _paste(app, pilot, "Error: ENOSPC: inotify watch limit reached", shows="max_user_watches")
        await pilot.press("escape", "ctrl+o")
        await _settle(pilot, app, lambda: type(app.screen).__name__ == "ReportScreen")
        viewer = app.screen.query_one(MarkdownViewer)
        await _settle(pilot, app, lambda: viewer.scroll_y > 0)  # opened at the passage, not at the top
        assert "line" in app.screen.sub_title


async def test_escape_sequences_in_a_report_never_reach_the_screen(kb, tmp_path):
    from runbook.app import RunbookApp

    _kb_with_report(kb, tmp_path, "hostile.md",
                    "# \x1b]0;pwned\x07Hostile \x9b31mtitle\n\n## Error: \x1b[2JGizmoError: queue refused\n\n"
                    "```\nGizmoError: queue refused\n```\n\n**Fix**: \x1b[31mrestart the gizmo\x1b[0m\n")
    app = RunbookApp(kb)
    async with app.run_test(size=SIZE) as pilot:
        await _ready(app, pilot)
        detail = await _paste(app, pilot, "GizmoError: queue refused", shows="restart the gizmo")
        results = app.screen.query_one("#results")
        listed = " ".join(str(results.get_option_at_index(i).prompt) for i in range(results.option_count))
        shown = detail._markdown + listed + str(app.screen.query_one("#search-status").render())
        assert "GizmoError" in listed and not any(ch in shown for ch in "\x1b\x07\x9b")
        assert not any(ch in app.export_screenshot() for ch in "\x07\x9b")
