"""The ingest state (kb/store/sources.py) after a small ingest is appended to `sources.log`, not rewritten:
replayed, it still vouches for every unchanged file; a log cut short by a crash costs reads, never a
wrong "unchanged"; and a large change writes the state whole again."""

from __future__ import annotations

import time

from kb.ingest import ingest
from opened_files import files_opened
from kb.store.sources import LOG_FILE, STAT_SLACK_NS, STATE_FILE, SourceState

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


def test_a_small_ingest_appends_to_the_state_and_the_state_still_vouches_for_every_file(kb, tmp_path):
    first = _folder(tmp_path, "first", range(20))
    _settle()
    ingest(kb, [first])
    state_file = kb.derived_dir / STATE_FILE
    whole = state_file.read_bytes()
    assert not (kb.derived_dir / LOG_FILE).exists()
    second = _folder(tmp_path, "second", range(20, 22))
    _settle()
    assert ingest(kb, [second]).summary() == "ingested 2, unchanged 0, failed 0"
    assert state_file.read_bytes() == whole  # not rewritten: the two new files are in the log
    assert b"r20.md" in (kb.derived_dir / LOG_FILE).read_bytes()
    again, opened = _opened_sources(kb, [first, second])
    assert again.summary() == "ingested 0, unchanged 22, failed 0" and not opened


def test_a_log_cut_short_costs_reads_and_is_written_whole_next_time(kb, tmp_path):
    first = _folder(tmp_path, "first", range(20))
    _settle()
    ingest(kb, [first])
    second = _folder(tmp_path, "second", range(20, 22))
    _settle()
    ingest(kb, [second])
    log = kb.derived_dir / LOG_FILE
    log.write_bytes(log.read_bytes()[:-15])  # a crash in the middle of the append
    (second / "r21.md").write_text(REPORT.format(n=21, port=7021), encoding="utf-8")  # and a change since
    _settle()
    again, opened = _opened_sources(kb, [first, second])
    assert again.ingested == ["reports/r21.md"] and len(again.unchanged) == 21
    assert str(second / "r20.md") in opened and not [path for path in opened if path.startswith(str(first))]
    assert not log.exists()  # the state was written whole
    state = SourceState.load(kb)
    assert state.files["reports/r21.md"][6] == kb.store.known_hashes()["reports/r21.md"]


def test_a_large_change_writes_the_state_whole(kb, tmp_path):
    first = _folder(tmp_path, "first", range(5))
    _settle()
    ingest(kb, [first])
    second = _folder(tmp_path, "second", range(5, 1200))  # more than 1,000 new entries
    ingest(kb, [second])
    assert not (kb.derived_dir / LOG_FILE).exists()
    assert len(SourceState.load(kb).files) == 1200


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
