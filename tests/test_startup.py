"""Start-up cost a user notices: `runbook search` and the TUI open the index without copying it."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, SAMPLES

# Opens a Searcher in a fresh interpreter (so nothing is cached) and prints how many bytes Python
# allocated to open the index, then answers one query, and how large the index is on disk.
_OPEN_AND_SEARCH = """
import sys, tracemalloc
from pathlib import Path
from kb.store.knowledge_base import KnowledgeBase
from kb.search.ranking import Searcher
kb = KnowledgeBase(sys.argv[1])
kb.store
index_bytes = sum(p.stat().st_size for p in kb.index_dir.glob('*.seg'))
tracemalloc.start()
searcher = Searcher(kb)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
results = searcher.search("Error response from daemon: Bind for 0.0.0.0:8080 failed: port is already allocated").results
print(peak, index_bytes, len(results) and results[0].message)
"""


def test_opening_the_index_reads_it_in_place_instead_of_copying_it_into_memory(kb):
    from kb.ingest import ingest

    ingest(kb, [SAMPLES])
    kb.close()
    done = subprocess.run([sys.executable, "-c", _OPEN_AND_SEARCH, str(kb.root)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    peak, index_bytes, message = done.stdout.split(maxsplit=2)
    assert "port is already allocated" in message  # the index really answered
    # Whoosh's own reader copies every sub-file of the segment into a BytesIO: at least the index's size
    assert int(peak) < int(index_bytes) / 2, (peak, index_bytes)


async def test_typing_while_a_search_runs_keeps_the_screen_live_and_shows_the_last_querys_results(kb):
    """An operator types on while an earlier search is still running (here another search holds the
    searcher): every key shows up at once, and when the searcher is free the results are those of
    the text as it stands, never of a query typed over."""
    from kb.ingest import ingest
    from pilot_wait import until
    from runbook.app import RunbookApp
    from textual.widgets import Static, TextArea

    ingest(kb, [SAMPLES])
    app = RunbookApp(kb)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.current_mode == "search" and bool(app.screen.query("#paste"))
                    and app.searcher is not None)
        screen = app.screen
        area = screen.query_one("#paste", TextArea)
        lock = app.searcher._lock
        lock.acquire()  # a search is running
        try:
            for word in ("Bind", " for", " 0.0.0.0:8080", " failed", " port is already allocated"):
                await pilot.press(*[{" ": "space", ".": "full_stop", ":": "colon"}.get(c, c) for c in word])
                await pilot.pause(0.1)  # typing speed: the first search started and is now waiting
            assert area.text == "Bind for 0.0.0.0:8080 failed port is already allocated"  # no key was lost
            assert screen._shown_query == ""  # nothing answered yet: the searcher is busy
        finally:
            lock.release()
        await until(pilot, lambda: screen._shown_query == area.text)
        assert screen.results and "port is already allocated" in screen.results[0].message
        assert "known fix" in str(screen.query_one("#search-status", Static).render())


# The `runbook` entry point, and the click group itself (every command line through click).
_ENTRY = "import sys; from runbook.cli import main; sys.argv[0] = 'runbook'; main()"
_CLICK = "import sys; from runbook.cli import cli; cli(prog_name='runbook')"


def test_plain_runbook_search_answers_exactly_as_the_click_command_does(kb, tmp_path):
    """`runbook search QUERY` is answered without click; what the operator sees (output, errors, exit
    code) is the same as through the click command, found or not, text or JSON, good KB or bad."""
    from kb.ingest import ingest

    ingest(kb, [SAMPLES])
    kb.close()
    cases = [
        ["--kb", str(kb.root), "search", "Error response from daemon: port is already allocated"],
        ["--kb", str(kb.root), "search", "--json", "-k", "2", "MISCONF Redis is configured to save RDB snapshots"],
        [f"--kb={kb.root}", "search", "zzqx nothing like this was ever written up"],
        ["--kb", str(tmp_path / "not-a-kb"), "search", "ECONNREFUSED"],
        ["--kb", str(kb.root), "search", "-k", "0", "ECONNREFUSED"],  # a usage error: click's, on both
    ]
    for args in cases:
        plain = subprocess.run([sys.executable, "-c", _ENTRY, *args], cwd=ROOT, capture_output=True, text=True,
                               timeout=120)
        clicked = subprocess.run([sys.executable, "-c", _CLICK, *args], cwd=ROOT, capture_output=True, text=True,
                                 timeout=120)
        assert (plain.returncode, plain.stdout, plain.stderr) == (clicked.returncode, clicked.stdout,
                                                                   clicked.stderr), args
    assert "port is already allocated" in subprocess.run([sys.executable, "-c", _ENTRY, *cases[0]], cwd=ROOT,
                                                         capture_output=True, text=True).stdout.replace("«", "").replace("»", "")


async def test_text_typed_before_the_search_index_opens_is_searched_once_it_opens(kb):
    """The search screen takes keys before its index is open (it opens after the screen's first paint):
    what the operator typed meanwhile is kept on screen and searched as soon as the index is there.
    The window is a few tens of ms on a real start-up, so the test reopens it: it puts the app back in
    its just-started state (no searcher) and lets the screen's own worker open the index again."""
    from kb.ingest import ingest
    from pilot_wait import until
    from runbook.app import RunbookApp
    from textual.widgets import Markdown, Static, TextArea

    ingest(kb, [SAMPLES])
    app = RunbookApp(kb)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.current_mode == "search" and app.searcher is not None)
        screen = app.screen
        app.searcher.close()
        app.searcher = None  # as on start-up, before load_searcher has finished
        area = screen.query_one("#paste", TextArea)
        for word in ("Bind", " for", " 0.0.0.0:8080", " failed", " port is already allocated"):
            await pilot.press(*[{" ": "space", ".": "full_stop", ":": "colon"}.get(c, c) for c in word])
        await pilot.pause(0.2)
        assert area.text == "Bind for 0.0.0.0:8080 failed port is already allocated"  # every key shows up
        assert screen._shown_query == "" and not screen.results  # nothing to search with yet, nothing failed
        assert "known error" in str(screen.query_one("#search-status", Static).render())
        screen.load_searcher()
        await until(pilot, lambda: screen._shown_query == area.text)
        assert screen.results and "port is already allocated" in screen.results[0].message
        assert "known fix" in str(screen.query_one("#search-status", Static).render())
        await until(pilot, lambda: "port is already allocated" in screen.query_one("#detail", Markdown)._markdown)


def test_the_search_screen_is_shown_without_importing_the_search_index():
    """The search screen's first paint waits for neither Whoosh nor rapidfuzz (about 0.1 s of imports):
    they are imported by the worker that opens the index once the screen is up."""
    code = ("import sys, runbook.app, runbook.screens.search; "
            "print(sorted(m for m in ('whoosh', 'rapidfuzz', 'kb.search.ranking') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


async def test_the_help_text_is_in_the_detail_pane_once_the_search_screen_is_up(kb):
    """The detail pane's help text is filled in after the screen's first frame, and it is there."""
    from kb.ingest import ingest
    from pilot_wait import until
    from runbook.app import RunbookApp
    from textual.widgets import Markdown

    ingest(kb, [SAMPLES])
    app = RunbookApp(kb)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.current_mode == "search" and app.searcher is not None)
        await until(pilot, lambda: "## Paste an error" in app.screen.query_one("#detail", Markdown)._markdown)
