"""Incidents and Runbooks tables as an operator sees them at 120 and 80 columns (the real app, through Pilot)."""

from __future__ import annotations

import pytest

from pilot_wait import until as _until
from conftest import SAMPLES
from kb.ingest import ingest

WIDTHS = [(120, 36), (80, 24)]


@pytest.fixture
def sample_kb(kb):
    ingest(kb, [SAMPLES])
    return kb




async def _open(app, pilot, key: str, mode: str):
    await _until(pilot, lambda: app.current_mode == "search" and app.screen.query("#detail"))
    await pilot.press(key)
    await _until(pilot, lambda: app.current_mode == mode and app.screen.table.row_count > 0)
    await pilot.pause(0.2)
    return app.screen


def _labels(table) -> list[str]:
    return [str(column.label) for column in table.ordered_columns]


def _visible_width(table) -> int:
    return sum(column.get_render_width(table) for column in table.ordered_columns)


@pytest.mark.parametrize("size", WIDTHS, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_incidents_titles_are_readable_and_every_column_fits_or_is_named_as_hidden(sample_kb, size):
    from kb.store import queries
    from runbook.app import RunbookApp

    reports = queries.list_reports(sample_kb.store)
    app = RunbookApp(sample_kb)
    async with app.run_test(size=size) as pilot:
        screen = await _open(app, pilot, "f3", "incidents")
        table = screen.table
        labels = _labels(table)
        assert labels[:3] == ["Date", "Report", "Errors"]
        assert _visible_width(table) <= table.size.width  # nothing runs off the right edge
        for label in ("Project", "Platform"):
            assert label in labels or f"{label}" in screen.sub_title  # shown, or said to be hidden
        title = table.ordered_columns[1]
        assert title.get_render_width(table) - 2 >= 30  # a title reads as a title, not "Incident no…"
        shown = {str(table.get_row_at(i)[1]).rstrip("… ") for i in range(table.row_count)}
        assert all(any(r["title"].startswith(t) for r in reports) for t in shown)


async def test_incidents_empty_columns_collapse(kb, tmp_path):
    from runbook.app import RunbookApp

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "one.md").write_text("# The cache would not start\n\n## Error\n\n```\nredis: connection refused\n```\n\n"
                                   "**Root cause**: the container was stopped.\n", encoding="utf-8")
    ingest(kb, [folder])
    app = RunbookApp(kb)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(app, pilot, "f3", "incidents")
        assert _labels(screen.table) == ["Report", "Errors"]  # no date, project or platform: no empty columns
        assert "The cache would not start" in str(screen.table.get_row_at(0)[0])


@pytest.mark.parametrize("size", WIDTHS, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_runbooks_table_shows_every_column_at_both_widths(sample_kb, size):
    from runbook.app import RunbookApp

    app = RunbookApp(sample_kb)
    async with app.run_test(size=size) as pilot:
        screen = await _open(app, pilot, "f4", "runbooks")
        table = screen.table
        assert _labels(table) == ["Ref", "Runbook", "Kind", "Steps", "Cmds", "Last run"]
        assert _visible_width(table) <= table.size.width
        assert table.ordered_columns[1].get_render_width(table) - 2 >= 24


@pytest.mark.parametrize("key,mode", [("f3", "incidents"), ("f4", "runbooks")])
async def test_end_goes_to_the_last_row_and_home_back_to_the_first(sample_kb, key, mode):
    from runbook.app import RunbookApp

    app = RunbookApp(sample_kb)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot, key, mode)
        table = screen.table
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        last = screen.row_key(table.row_count - 1)
        await _until(pilot, lambda: screen.current is not None and screen.current["key"] == last)
        await pilot.press("home")
        assert table.cursor_row == 0


async def test_enter_on_an_incident_opens_its_report(sample_kb):
    from runbook.app import RunbookApp
    from runbook.screens.report import ReportScreen

    app = RunbookApp(sample_kb)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(app, pilot, "f3", "incidents")
        await pilot.press("down", "down")
        wanted = next(r["path"] for r in screen.reports if str(r["id"]) == screen.row_key(2))
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, ReportScreen))
        assert app.screen.path == wanted


async def test_enter_on_a_runbook_starts_it_at_once(sample_kb):
    """Enter right after moving, before the detail pane has loaded the row, still starts that row's run."""
    from runbook.app import RunbookApp
    from runbook.screens.dialogs import AskFields

    app = RunbookApp(sample_kb)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(app, pilot, "f4", "runbooks")
        await pilot.press("down", "enter")
        await _until(pilot, lambda: isinstance(app.screen, AskFields))
        assert screen.rows[screen.row_key(1)]["title"] in app.screen.title_text


LIST_CAUSE_REPORT = """# Queue stalls on the label printers

## Error: consumer cannot connect

```
consumer: Cannot connect to amqp://guest@broker:5672//: timed out.
```

**Root cause**:

- the broker's disk filled up with unacked messages
- the disk alarm blocked every publisher

**Fix**:

```bash
docker compose exec broker rabbitmqctl set_disk_free_limit 1GB && docker compose restart worker-labels worker-invoices worker-exports
```
"""


async def test_a_root_cause_list_reads_as_a_list_and_a_long_command_wraps(kb, tmp_path):
    from textual.widgets._markdown import MarkdownBulletList, MarkdownFence, MarkdownParagraph

    from runbook.app import RunbookApp

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "queue.md").write_text(LIST_CAUSE_REPORT, encoding="utf-8")
    ingest(kb, [folder])
    app = RunbookApp(kb)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(app, pilot, "f3", "incidents")
        await _until(pilot, lambda: screen.current is not None and screen.detail.query(MarkdownFence))
        await pilot.pause(0.3)
        items = [str(p._content) for block in screen.detail.query(MarkdownBulletList)
                 for p in block.query(MarkdownParagraph)]
        assert "the broker's disk filled up with unacked messages" in items  # not "Root cause: - the broker's…"
        assert "the disk alarm blocked every publisher" in items
        fence = screen.detail.query(MarkdownFence).last()
        assert fence.max_scroll_x == 0 and fence.size.height > 3  # wrapped onto more lines, nothing to the right
        assert "worker-exports" in app.export_screenshot()  # the end of the command is on screen


def test_key_names_read_as_people_write_them():
    from runbook.screens.help import key_name

    assert [key_name(k) for k in ("question_mark", "escape", "ctrl+o", "R", "f1", "enter")] == \
        ["?", "esc", "ctrl+o", "shift+r", "f1", "enter"]


async def test_f1_shows_keys_as_people_write_them(sample_kb):
    from textual.widgets import Markdown

    from runbook.app import RunbookApp
    from runbook.screens.help import HelpScreen

    app = RunbookApp(sample_kb)
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: app.current_mode == "search" and app.screen.query("#detail"))
        await pilot.press("f1")
        await _until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = app.screen.query_one(Markdown)._markdown
        assert "| `f1, ?` |" in text and "| `esc` |" in text
        assert "question_mark" not in text and "`escape`" not in text
