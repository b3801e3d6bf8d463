"""The TUI opens on the KB and shows what it holds (Textual's real app, driven by Pilot)."""

from __future__ import annotations

from conftest import SAMPLES
from kb.ingest import ingest


async def test_app_opens_on_the_kb_and_shows_its_contents(kb):
    from runbook.app import RunbookApp

    ingest(kb, [SAMPLES])
    app = RunbookApp(kb)
    async with app.run_test(size=(100, 30)) as pilot:
        summary = app.query_one("#summary")
        text = str(summary.render())
        assert f"{kb.store.counts()['reports']} reports" in text
        await pilot.press("q")
    assert app.return_code in (0, None)
