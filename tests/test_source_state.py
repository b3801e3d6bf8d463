"""The ingest state (kb/store/sources.py), a small database: an ingest looks up only its own files' entries
and saves only those that changed, and the state still vouches for every unchanged file; a damaged state
costs reads, never a wrong "unchanged"; a state in the earlier form (sources.json and its log) is moved in."""

from __future__ import annotations

import time

from kb.ingest import ingest
from opened_files import files_opened
import json
import sqlite3

from kb.store.sources import OLD_LOG_FILE, OLD_STATE_FILE, STAT_SLACK_NS, STATE_FILE, SourceState

REPORT = """# Pool outage {n}

## Error: ECONNREFUSED 127.0.0.1:{port}

```
Error: connect ECONNREFUSED 127.0.0.1:{port}
```

**Root cause**: the pool on {port} was not started after the reboot.

**Fix**: `systemctl restart pool-{port}`
"""


def _folder(tmp_path, name: str, numbers: range):
    folder = tmp_path / name
    folder.mkdir()
    for n in numbers:
        (folder / f"r{n}.md").write_text(REPORT.format(n=n, port=6000 + n), encoding="utf-8")
    return folder


def _settle() -> None:
    time.sleep(STAT_SLACK_NS / 1e9 + 0.2)  # files older than the stat slack, as a user's are


def _opened_sources(kb, folders) -> tuple[object, list[str]]:
    """Ingest the folders again; which of their files were opened."""
    with files_opened() as opened:
        result = ingest(kb, folders)
    return result, [path for path in opened if any(path.startswith(str(folder)) for folder in folders)]


def _entries(kb) -> dict[str, list]:
    with sqlite3.connect(kb.derived_dir / STATE_FILE) as conn:
        return {row[0]: list(row[1:]) for row in conn.execute("select * from files")}


def test_a_small_ingest_saves_only_its_own_entries_and_the_state_still_vouches_for_every_file(kb, tmp_path):
    first = _folder(tmp_path, "first", range(20))
    _settle()
    ingest(kb, [first])
    before = _entries(kb)
    assert len(before) == 20
    second = _folder(tmp_path, "second", range(20, 22))
    _settle()
    assert ingest(kb, [second]).summary() == "ingested 2, unchanged 0, failed 0"
    after = _entries(kb)
    assert {dest: entry for dest, entry in after.items() if dest in before} == before  # the 20 as they were
    assert sorted(set(after) - set(before)) == ["reports/r20.md", "reports/r21.md"]
    again, opened = _opened_sources(kb, [first, second])
    assert again.summary() == "ingested 0, unchanged 22, failed 0" and not opened


def test_a_damaged_state_costs_reads_never_a_wrong_unchanged(kb, tmp_path):
    first = _folder(tmp_path, "first", range(3))
    _settle()
    ingest(kb, [first])
    kb.close()
    state = kb.derived_dir / STATE_FILE
    state.write_bytes(b"not a database at all" * 100)  # a crash of the disk, a stray write
    (first / "r2.md").write_text(REPORT.format(n=2, port=7002), encoding="utf-8")  # and a change since
    _settle()
    again, opened = _opened_sources(kb, [first])
    assert again.ingested == ["reports/r2.md"] and len(again.unchanged) == 2 and not again.failed
    assert len(set(opened)) == 3 and opened.count(str(first / "r0.md")) == 1  # each read and hashed (r2 parsed too)
    assert _entries(kb)["reports/r2.md"][6] == kb.store.known_hashes()["reports/r2.md"]
    again, opened = _opened_sources(kb, [first])  # and the state vouches for them again
    assert again.summary() == "ingested 0, unchanged 3, failed 0" and not opened


def test_a_state_in_the_earlier_form_is_moved_in_and_still_vouches(kb, tmp_path):
    """A KB ingested by an earlier runbook has sources.json and changes appended to sources.log: its first
    ingest moves both into the database, replaying the log up to a line cut short, and reads nothing."""
    first = _folder(tmp_path, "first", range(3))
    _settle()
    ingest(kb, [first])
    entries = _entries(kb)
    with sqlite3.connect(kb.derived_dir / STATE_FILE) as conn:
        meta = dict(conn.execute("select key, value from meta"))
    for name in (STATE_FILE, f"{STATE_FILE}-wal", f"{STATE_FILE}-shm"):
        (kb.derived_dir / name).unlink(missing_ok=True)
    early = {dest: entry for dest, entry in entries.items() if dest != "reports/r2.md"}
    (kb.derived_dir / OLD_STATE_FILE).write_text(json.dumps({"version": 1, "clean": True, "generation": None,
                                                             "files": early}), encoding="utf-8")
    line = json.dumps({"files": {"reports/r2.md": entries["reports/r2.md"]}, "drop": [], "clean": True,
                       "generation": json.loads(meta["generation"])})
    (kb.derived_dir / OLD_LOG_FILE).write_text(line + "\n" + line[:20], encoding="utf-8")  # the last cut short
    again, opened = _opened_sources(kb, [first])
    assert again.summary() == "ingested 0, unchanged 3, failed 0" and not opened
    assert not (kb.derived_dir / OLD_STATE_FILE).exists() and not (kb.derived_dir / OLD_LOG_FILE).exists()
    assert _entries(kb) == entries


def test_a_state_of_over_a_thousand_files_vouches_for_all_of_them(kb, tmp_path):
    first = _folder(tmp_path, "first", range(5))
    _settle()
    ingest(kb, [first])
    second = _folder(tmp_path, "second", range(5, 1200))  # more than 1,000 new entries
    _settle()
    ingest(kb, [second])
    assert len(SourceState.load(kb)) == 1200
    again, opened = _opened_sources(kb, [first, second])
    assert again.summary() == "ingested 0, unchanged 1200, failed 0" and not opened


def test_a_report_the_store_lost_is_ingested_again_even_after_other_ingests(kb, tmp_path):
    """The state vouches for a source only while the store holds its report: one a reindex could not read
    back (its copy damaged) must be ingested again from its unchanged source, even when other reports were
    added in between (their ingest saves the state)."""
    from kb.ingest import rebuild

    first = _folder(tmp_path, "first", range(2))
    _settle()
    ingest(kb, [first])
    (kb.reports_dir / "r0.md").write_bytes(b"\x00\x01 damaged" * 8)
    assert any("r0.md" in line for line in rebuild(kb).failed)  # the store lost it; its copy is still there
    second = _folder(tmp_path, "second", range(5, 7))
    assert ingest(kb, [second]).summary() == "ingested 2, unchanged 0, failed 0"
    again = ingest(kb, [first])
    assert again.ingested == ["reports/r0.md"] and again.unchanged == ["reports/r1.md"]
    assert "reports/r0.md" in kb.store.known_hashes()


def test_loading_the_state_writes_nothing_until_an_ingest_saves_it(kb, tmp_path):
    """On a nearly full disk, the accelerator must not take the room kb.sqlite needs: a KB without a state
    gets none by loading it, and a saved state keeps no write-ahead log or shared-memory file beside it."""
    state = SourceState.load(kb)
    assert len(state) == 0
    state.close()
    assert not [path.name for path in kb.derived_dir.glob("sources*")]
    ingest(kb, [_folder(tmp_path, "first", range(2))])
    assert sorted(path.name for path in kb.derived_dir.glob("sources*")) == [STATE_FILE]
