"""Snapshots of the main screens at 100x30 and 80x24 (pytest-textual-snapshot).

The KB lives at a fixed path so the header is the same on every machine;
`pytest --snapshot-update` refreshes them after a deliberate UI change.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import SAMPLES

SNAPSHOT_KB = Path(tempfile.gettempdir()) / "runbook-snapshot-kb"
SIZES = [(100, 30), (80, 24)]


@pytest.fixture(scope="module")
def snapshot_kb():
    from kb.ingest import ingest
    from kb.store.knowledge_base import KnowledgeBase

    shutil.rmtree(SNAPSHOT_KB, ignore_errors=True)
    knowledge = KnowledgeBase.init(SNAPSHOT_KB)
    ingest(knowledge, [SAMPLES])
    knowledge.close()
    yield SNAPSHOT_KB
    shutil.rmtree(SNAPSHOT_KB, ignore_errors=True)


def _app(path: Path):
    from kb.store.knowledge_base import KnowledgeBase
    from runbook.app import RunbookApp

    return RunbookApp(KnowledgeBase(path))


async def _ready(pilot):
    app = pilot.app
    for _ in range(600):  # generous: a loaded CI machine can take seconds to open the KB
        await pilot.pause(0.05)
        if app.current_mode == "search" and app.screen.query("#detail"):
            break
    else:
        raise AssertionError("the app never reached the search screen")
    app.screen.query_one("#paste").cursor_blink = False  # a blinking cursor would make snapshots flaky
    await pilot.pause(0.3)


def _run(*keys: str, paste: str = ""):
    async def run_before(pilot) -> None:
        await _ready(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.1)
        if paste:
            pilot.app.screen.query_one("#paste").insert(paste)  # one paste, as from the clipboard
            for _ in range(100):
                await pilot.pause(0.05)
                if getattr(pilot.app.screen, "results", None):
                    break
        await pilot.pause(0.6)
        await pilot.wait_for_scheduled_animations()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_search_screen_with_a_pasted_error(snap_compare, snapshot_kb, size):
    query = "MISCONF Redis is configured to save RDB snapshots"
    assert snap_compare(_app(snapshot_kb), terminal_size=size, run_before=_run(paste=query))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_incidents_screen(snap_compare, snapshot_kb, size):
    assert snap_compare(_app(snapshot_kb), terminal_size=size, run_before=_run("f3"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_runbooks_screen(snap_compare, snapshot_kb, size):
    assert snap_compare(_app(snapshot_kb), terminal_size=size, run_before=_run("f4"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_screen(snap_compare, snapshot_kb, size):
    assert snap_compare(_app(snapshot_kb), terminal_size=size, run_before=_run("f1"))
