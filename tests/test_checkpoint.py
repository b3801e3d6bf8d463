"""The WAL checkpoint after a store write runs beside the index, not inside the write's commit: after an
ingest, the database file itself holds what was stored, and automatic checkpoints are back on."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from kb.ingest import ingest
from kb.store import checkpoint
from kb.store.knowledge_base import KnowledgeBase


def _report(folder, name: str, steps: int = 0) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.md").write_text(f"# {name}\n\n## Error: {name}\n\n```\nOSError: disk {name} is full\n```\n\n"
                                       f"**Fix**: freed disk {name}.\n\n" + "".join(
                                           f"## Step {n}\n\nMoved shard {n} of {name} off, {n * 3} GB freed.\n\n"
                                           for n in range(steps)), encoding="utf-8")


def _autocheckpoint(kb: KnowledgeBase) -> int:
    return kb.store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]


def test_after_a_large_ingest_the_database_file_alone_holds_the_reports(kb, tmp_path, monkeypatch):
    """An ingest that logs more than the checkpoint limit (SQLite's 1,000 pages; 100 here, to stay small)
    has it copied back into kb.sqlite by the time ingest returns, as SQLite's own checkpoint in the commit
    did: a copy of the file without its -wal (a backup tool, a careless `cp`) has the new reports."""
    monkeypatch.setattr(checkpoint, "AUTOCHECKPOINT_PAGES", 100)
    for number in range(30):
        _report(tmp_path / "new", f"sd{number:03d}", steps=40)
    result = ingest(kb, [tmp_path / "new"])
    assert len(result.ingested) == 30
    assert (kb.db_path.parent / f"{kb.db_path.name}-wal").stat().st_size > 100 * 4096  # over the limit
    shutil.copy(kb.db_path, tmp_path / "copy.sqlite")
    with sqlite3.connect(tmp_path / "copy.sqlite") as copy:
        assert copy.execute("select count(*) from reports").fetchone() == (30,)
    assert _autocheckpoint(kb) == 100


def test_a_failed_store_write_turns_automatic_checkpoints_back_on(kb, tmp_path):
    _report(tmp_path / "new", "sdb1")
    ingest(kb, [tmp_path / "new"])
    with pytest.raises(RuntimeError):
        with kb.store.replacing():
            assert _autocheckpoint(kb) == 0  # held during the write
            raise RuntimeError("a full disk, say")
    assert _autocheckpoint(kb) == checkpoint.AUTOCHECKPOINT_PAGES
    assert [row["path"] for row in kb.store.rows("select path from reports")] == ["reports/sdb1.md"]
