"""The parse pool started early: a folder of new reports is parsed by workers that warmed up while the
folder and the ingest state were read. What comes out is the same KB, and no worker is left running."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import kb.ingest as ingest_module
from kb.ingest import PARALLEL_THRESHOLD, ingest
from kb.store.knowledge_base import KnowledgeBase


_REPORT = """# Outage {n}

## Error: QuotaError: bucket b{b} refused the upload

```
QuotaError: bucket b{b} refused the upload after {n} retries
```

**Root cause**: bucket b{b} was full.

**Fix**:
```bash
gsutil du -s gs://b{n}
```
"""


def _reports(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    for number in range(count):
        (folder / f"outage-{number:03d}.md").write_text(_REPORT.format(n=number, b=number % 7), encoding="utf-8")
    return folder


def _contents(kb: KnowledgeBase) -> list[tuple]:
    rows = kb.store.rows("select r.path, e.id, e.message, e.fingerprint, e.fix from errors e "
                         "join reports r on r.id = e.report_id order by e.id")
    return [tuple(row.values()) for row in rows]


def test_new_reports_parsed_by_warm_workers_make_the_kb_a_serial_ingest_makes(tmp_path, monkeypatch):
    folder = _reports(tmp_path / "new", PARALLEL_THRESHOLD + 6)
    started: list[bool] = []
    real_start = ingest_module.start_pool
    monkeypatch.setattr(ingest_module, "start_pool", lambda workers, warm=False: started.append(warm)
                        or real_start(workers, warm))
    pooled = KnowledgeBase.init(tmp_path / "pooled")
    result = ingest(pooled, [folder])
    assert len(result.ingested) == PARALLEL_THRESHOLD + 6 and not result.failed
    if (os.cpu_count() or 1) > 1:
        assert started == [True]  # one pool, started warm, before the folder was read
    monkeypatch.setattr(ingest_module, "PARALLEL_THRESHOLD", 10_000)  # one process, no pool
    serial = KnowledgeBase.init(tmp_path / "serial")
    ingest(serial, [folder])
    assert _contents(pooled) == _contents(serial) and len(_contents(pooled)) == PARALLEL_THRESHOLD + 6
    assert not multiprocessing.active_children()
    pooled.close()
    serial.close()
