"""Long work shows progress on a terminal (stderr: counts and an ETA), nothing in a pipe; a reindex
keeps when each report was ingested."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from conftest import ROOT
from pty_run import RUNBOOK, run_in_pty


def _reports(folder, count: int):
    folder.mkdir()
    for n in range(count):
        (folder / f"rig-{n}.en.md").write_text(
            f"# Rig {n} notes\n\n## Error: RigHalt: rig {n} halted on drill {n}\n\n```\nRigHalt: rig {n} halted\n```\n\n"
            f"**Fix**: re-seat drill {n}\n", encoding="utf-8")
    return folder


@pytest.fixture
def empty_kb(tmp_path):
    from kb.store.knowledge_base import KnowledgeBase

    kb = KnowledgeBase.init(tmp_path / "kb")
    yield kb
    kb.close()


def test_ingesting_many_files_on_a_terminal_shows_counts_and_an_eta(empty_kb, tmp_path):
    folder = _reports(tmp_path / "rigs", 25)
    ran = run_in_pty([*RUNBOOK, "--kb", str(empty_kb.root), "ingest", str(folder)], timeout=300)
    assert ran.code == 0, ran.terminal
    assert "ingested 25, unchanged 0, failed 0" in ran.terminal
    assert re.search(r"ingesting: +\d+% \(\d+/25\), eta \d+ s", ran.terminal), ran.terminal  # counts and an ETA
    assert re.search(r"ingesting: 100% \(25/25\), done in [\d.]+ s\.", ran.terminal), ran.terminal
    # then the indexing, which is half of a first ingest: its own count of documents and its own line
    assert re.search(r"indexing: 100% \((\d+)/\1\), done in [\d.]+ s\.", ran.terminal), ran.terminal


def test_reindex_on_a_terminal_shows_its_progress_too(empty_kb, tmp_path):
    from kb.ingest import ingest

    ingest(empty_kb, [_reports(tmp_path / "rigs", 25)])
    ran = run_in_pty([*RUNBOOK, "--kb", str(empty_kb.root), "reindex"], timeout=300)
    assert ran.code == 0 and "reindexed 25 reports" in ran.terminal, ran.terminal
    assert re.search(r"reindexing: +\d+% \(\d+/25\), eta \d+ s", ran.terminal), ran.terminal
    assert "reindexing: 100% (25/25), done in" in ran.terminal
    assert re.search(r"indexing: 100% \((\d+)/\1\), done in [\d.]+ s\.", ran.terminal), ran.terminal


@pytest.mark.parametrize("command", ["ingest", "reindex"])
def test_in_a_pipe_there_is_no_progress(empty_kb, tmp_path, command):
    folder = _reports(tmp_path / "rigs", 25)
    if command == "reindex":
        from kb.ingest import ingest

        ingest(empty_kb, [folder])
    args = ["ingest", str(folder)] if command == "ingest" else ["reindex"]
    done = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(empty_kb.root), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "ingesting" not in done.stderr and "reindexing" not in done.stderr and "\r" not in done.stderr


def _ingested_at(kb) -> dict[str, str]:
    return {row["path"]: row["ingested_at"] for row in kb.store.rows("select path, ingested_at from reports")}


def test_reindex_keeps_when_each_report_was_ingested(empty_kb, tmp_path, runner):
    from conftest import run_cli
    from kb.ingest import ingest

    ingest(empty_kb, [_reports(tmp_path / "rigs", 3)])
    empty_kb.store.db.execute("update reports set ingested_at = '2024-01-02T03:04:05+00:00'")
    empty_kb.close()
    before = _ingested_at(empty_kb)
    assert run_cli(runner, empty_kb.root, "reindex").exit_code == 0
    empty_kb.close()
    assert _ingested_at(empty_kb) == before


def test_a_reindex_without_the_database_takes_the_dates_from_git(empty_kb, tmp_path, runner):
    """A clone (or a lost cache) has no database: the date is when the commit added the report."""
    from conftest import run_cli
    from kb.ingest import ingest

    import os

    os.environ["GIT_COMMITTER_DATE"] = "2024-05-06T07:08:09+02:00"  # ingested long ago (as a teammate did)
    try:
        ingest(empty_kb, [_reports(tmp_path / "rigs", 2)])
    finally:
        del os.environ["GIT_COMMITTER_DATE"]
    empty_kb.discard_database()
    assert run_cli(runner, empty_kb.root, "reindex").exit_code == 0
    empty_kb.close()
    assert set(_ingested_at(empty_kb).values()) == {"2024-05-06T05:08:09+00:00"}


class _Terminal(io.StringIO):
    """stderr as a terminal: what the bar writes, kept."""

    def isatty(self) -> bool:
        return True


def test_the_eta_is_what_is_left_at_the_pace_so_far():
    from runbook.progress import Progress

    out = _Terminal()
    bar = Progress("ingesting", stream=out)
    bar.start(40)
    bar.started -= 10.0  # 10 s for the first 10 files: 30 left take 30 s
    bar.shown_at -= 1.0
    bar.advance(10)
    assert "ingesting:  25% (10/40), eta 30 s" in out.getvalue()
    bar.advance(30)
    bar.finish()
    assert out.getvalue().endswith("ingesting: 100% (40/40), done in 10.0 s.\x1b[K\n")


def test_a_second_phase_gets_its_own_line_and_eta_and_a_silent_first_phase_keeps_it_silent():
    from runbook.progress import Progress

    out = _Terminal()
    bar = Progress("ingesting", stream=out)
    bar.start(40)
    bar.advance(40)
    advance = bar.phase("indexing", 400)
    assert "ingesting: 100% (40/40), done in" in out.getvalue() and advance is not None
    bar.started -= 4.0
    bar.shown_at -= 1.0
    advance(100)
    assert "indexing:  25% (100/400), eta 12 s" in out.getvalue()
    bar.finish()
    assert out.getvalue().rstrip("\x1b[K\n").split("\r")[-1].startswith("indexing: 100% (400/400), done in")
    few = _Terminal()
    quiet = Progress("ingesting", stream=few)
    quiet.start(3)  # a handful of files: no bar, and none for their indexing
    assert quiet.phase("indexing", 500) is None and few.getvalue() == ""

