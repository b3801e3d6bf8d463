"""Ingest into a real KB (git repo + SQLite): copies, commits, unchanged/changed files, failures."""

from __future__ import annotations

import sqlite3

import git
import pytest

from conftest import SAMPLES
from kb.ingest import ingest, rebuild
from kb.store.knowledge_base import KnowledgeBase
from kb.parse.model import ParsedReport
from kb.store.database import SourceInfo

REPORT = """# Demo outage

**Project**: demo

## Error: ECONNREFUSED 127.0.0.1:5432

```
Error: connect ECONNREFUSED 127.0.0.1:5432
```

**Root cause**: postgres was not started after the reboot.

**Fix**: `systemctl enable --now postgresql`
"""

SECOND_ERROR = """
## Error: disk full

```
OSError: [Errno 28] No space left on device
```

**Cause**: old logs.

**Fix**: rotate logs with logrotate.
"""


def test_samples_are_copied_parsed_and_committed(kb):
    result = ingest(kb, [SAMPLES])
    assert not result.failed
    assert len(result.ingested) == len(list(SAMPLES.glob("*.md")))
    for path in result.ingested:
        assert (kb.root / path).is_file()
    repo = git.Repo(kb.root)
    committed = [p for p in repo.git.ls_files("reports").splitlines() if not p.endswith(".gitkeep")]
    assert sorted(committed) == sorted(result.ingested)
    assert repo.head.commit.message.startswith("ingest:")
    counts = kb.store.counts()
    assert counts["errors"] >= 30 and counts["checklists"] >= 6 and counts["commands"] >= 20


def test_reingesting_unchanged_files_does_nothing(kb):
    ingest(kb, [SAMPLES])
    head = kb.repo.head.commit.hexsha
    ids = kb.store.rows("select id from errors order by id")
    again = ingest(kb, [SAMPLES])
    assert again.ingested == [] and len(again.unchanged) == len(list(SAMPLES.glob("*.md")))
    assert again.summary().startswith("ingested 0, unchanged ")
    assert kb.repo.head.commit.hexsha == head
    assert kb.store.rows("select id from errors order by id") == ids


def test_a_changed_file_replaces_its_records(kb, tmp_path):
    source = tmp_path / "demo.md"
    source.write_text(REPORT, encoding="utf-8")
    ingest(kb, [source])
    assert [e["message"] for e in kb.store.rows("select message from errors")] == ["Error: connect ECONNREFUSED 127.0.0.1:5432"]
    source.write_text(REPORT + SECOND_ERROR, encoding="utf-8")
    result = ingest(kb, [source])
    assert result.ingested == ["reports/demo.md"]
    messages = [e["message"] for e in kb.store.rows("select message from errors order by position")]
    assert messages == ["Error: connect ECONNREFUSED 127.0.0.1:5432", "OSError: [Errno 28] No space left on device"]
    assert kb.store.rows("select count(*) as n from reports")[0]["n"] == 1
    assert "disk full" in (kb.root / "reports/demo.md").read_text(encoding="utf-8")
    assert len(list(kb.repo.iter_commits())) == 3  # init, first ingest, change


def test_bad_files_fail_alone_with_one_line_naming_them(kb, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.md").write_text(REPORT, encoding="utf-8")
    (folder / "empty.md").write_bytes(b"")
    (folder / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "latin.txt").write_bytes("caf\xe9 \xff\xfe\xfd broken".encode("latin-1") + b"\x80\x81")
    big = folder / "huge.md"
    with big.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)
    (folder / "notes.pdf").write_bytes(b"%PDF")  # not a report suffix: ignored, not failed
    result = ingest(kb, [folder, tmp_path / "missing.md"])
    assert result.ingested == ["reports/good.md"]
    assert len(result.failed) == 5
    for name in ("empty.md", "binary.md", "latin.txt", "huge.md", "missing.md"):
        line = next(message for message in result.failed if name in message)
        assert "\n" not in line
    assert any("too large" in m for m in result.failed) and any("empty" in m for m in result.failed)
    assert not (kb.root / "reports" / "binary.md").exists()


def test_store_writes_are_all_or_nothing(kb, tmp_path):
    source = tmp_path / "demo.md"
    source.write_text(REPORT, encoding="utf-8")
    ingest(kb, [source])
    before = kb.store.counts()
    good = (SourceInfo(path="reports/new.md", sha256="x"), ParsedReport(title="new", lang="en"))
    duplicate = (SourceInfo(path="reports/new.md", sha256="y"), ParsedReport(title="again", lang="en"))
    with pytest.raises(sqlite3.IntegrityError):
        kb.store.replace_reports([good, duplicate])
    assert kb.store.counts() == before
    assert [r["path"] for r in kb.store.rows("select path from reports")] == ["reports/demo.md"]


def test_the_database_rebuilds_from_the_sources(kb):
    ingest(kb, [SAMPLES])
    before = kb.store.counts()
    kb.close()
    kb.db_path.unlink()
    rebuilt = KnowledgeBase(kb.root)
    result = rebuild(rebuilt)
    assert not result.failed
    assert rebuilt.store.counts() == before
    rebuilt.close()


def test_commit_without_git_identity_uses_a_fallback_author(kb, tmp_path):
    source = tmp_path / "demo.md"
    source.write_text(REPORT, encoding="utf-8")
    result = ingest(kb, [source])
    assert result.commit is not None
    assert kb.repo.head.commit.author.email  # committed even with no user.email configured


def test_a_locked_git_index_keeps_the_reports_and_says_so(kb, tmp_path):
    source = tmp_path / "demo.md"
    source.write_text(REPORT, encoding="utf-8")
    lock = kb.root / ".git" / "index.lock"
    lock.write_text("")
    result = ingest(kb, [source])
    assert result.ingested == ["reports/demo.md"]
    assert any("git" in m and "next ingest commits them" in m for m in result.failed)
    assert (kb.root / "reports/demo.md").exists() and kb.store.counts()["errors"] == 1
    lock.unlink()
    again = ingest(kb, [source])  # unchanged in SQLite, and the copy left uncommitted is committed now
    assert again.unchanged == ["reports/demo.md"]
    assert again.commit is not None
    assert "reports/demo.md" in kb.repo.git.ls_files("reports")
    assert "reports/demo.md" in kb.repo.git.ls_files("reports")


def _settled_folder(tmp_path, texts: dict[str, str]):
    """Report files written more than the stat slack ago (kb/store/sources.py): as a user's are."""
    import time

    from kb.store.sources import STAT_SLACK_NS

    folder = tmp_path / "reports-in"
    folder.mkdir()
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    time.sleep(STAT_SLACK_NS / 1e9 + 0.2)
    return folder


def test_an_unchanged_folder_is_neither_read_nor_reindexed_nor_committed(kb, tmp_path):
    from opened_files import files_opened

    folder = _settled_folder(tmp_path, {"a.md": REPORT, "b.md": REPORT.replace("5432", "6379")})
    first = ingest(kb, [folder])
    assert sorted(first.ingested) == ["reports/a.md", "reports/b.md"]
    head, generation = kb.repo.head.commit.hexsha, kb.store.generation()
    index_files = {p: p.stat().st_mtime_ns for p in kb.index_dir.rglob("*") if p.is_file()}
    with files_opened() as opened:
        again = ingest(kb, [folder])
    assert again.summary() == "ingested 0, unchanged 2, failed 0"
    assert not [path for path in opened if path.startswith(str(folder))]  # sizes and times vouch for them
    assert kb.repo.head.commit.hexsha == head and kb.store.generation() == generation
    assert {p: p.stat().st_mtime_ns for p in kb.index_dir.rglob("*") if p.is_file()} == index_files


def test_a_changed_file_is_parsed_again_even_with_its_size_and_mtime_put_back(kb, tmp_path):
    import os

    folder = _settled_folder(tmp_path, {"a.md": REPORT})
    ingest(kb, [folder])
    source = folder / "a.md"
    before = source.stat()
    source.write_text(REPORT.replace("5432", "5433"), encoding="utf-8")  # same size
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `touch -d` or `cp -p` would
    assert source.stat().st_size == before.st_size and source.stat().st_mtime_ns == before.st_mtime_ns
    again = ingest(kb, [source.parent])
    assert again.ingested == ["reports/a.md"]
    assert [e["message"] for e in kb.store.rows("select message from errors")] == ["Error: connect ECONNREFUSED 127.0.0.1:5433"]


def test_a_lost_ingest_state_only_costs_a_read(kb, tmp_path):
    source = tmp_path / "demo.md"
    source.write_text(REPORT, encoding="utf-8")
    ingest(kb, [source])
    head = kb.repo.head.commit.hexsha
    kb.close()
    (kb.derived_dir / "sources.sqlite").write_text("{not a database", encoding="utf-8")
    again = ingest(kb, [source])
    assert again.unchanged == ["reports/demo.md"] and not again.failed
    assert kb.repo.head.commit.hexsha == head
    source.write_text(REPORT + SECOND_ERROR, encoding="utf-8")
    assert ingest(kb, [source]).ingested == ["reports/demo.md"]


def test_a_file_that_fails_keeps_failing_until_fixed(kb, tmp_path):
    folder = _settled_folder(tmp_path, {"a.md": REPORT})
    ingest(kb, [folder])
    (folder / "a.md").write_bytes(b"\x00\x01binary now" * 10)
    assert any("a.md" in line for line in ingest(kb, [folder]).failed)
    assert any("a.md" in line for line in ingest(kb, [folder]).failed)  # not remembered as unchanged


def test_a_database_made_again_gets_every_report_back_from_an_unchanged_folder(kb, tmp_path):
    folder = _settled_folder(tmp_path, {"a.md": REPORT, "b.md": REPORT.replace("5432", "6379")})
    ingest(kb, [folder])
    kb.discard_database()  # lost or deleted by hand; sources.sqlite stays
    again = ingest(kb, [folder])
    assert sorted(again.ingested) == ["reports/a.md", "reports/b.md"]
    assert kb.store.counts()["reports"] == 2


def test_a_failure_after_some_batches_are_stored_keeps_nothing_of_the_ingest(kb, tmp_path, monkeypatch):
    """Reports go into the store's transaction a batch at a time (memory holds one batch); a failure after
    some batches went in still leaves the KB as it was: no records, no copies, no new stable ids."""
    import kb.ingest as ingest_module

    monkeypatch.setattr(ingest_module, "STORE_BATCH", 2)
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(7):
        (folder / f"r{index}.md").write_text(REPORT.replace("5432", str(6000 + index)), encoding="utf-8")
    (kb.reports_dir / "r5.md").mkdir()  # the sixth copy cannot be written: a folder is in its place
    refs_before = (kb.root / "refs.tsv").read_text() if (kb.root / "refs.tsv").exists() else None
    with pytest.raises(OSError):
        ingest(kb, [folder])
    assert kb.store.counts()["reports"] == 0 and kb.store.counts()["errors"] == 0
    assert sorted(p.name for p in kb.reports_dir.iterdir() if p.name != ".gitkeep") == ["r5.md"]
    assert ((kb.root / "refs.tsv").read_text() if (kb.root / "refs.tsv").exists() else None) == refs_before
    (kb.reports_dir / "r5.md").rmdir()
    assert ingest(kb, [folder]).summary() == "ingested 7, unchanged 0, failed 0"
    assert kb.store.counts()["reports"] == 7
