"""Structured log lines (JSON per line, logfmt) read as their message and error on both sides of search."""

from __future__ import annotations

from conftest import ingest_report
from kb.parse.report import parse_report
from kb.parse.structured_logs import readable
from kb.search.ranking import search

# our own write-up: a Go service logging JSON (zap) and a registry logging logfmt
LEDGER = """# ledger-sync: two failures during the storage move

### Error 1: the sync worker cannot lock its row

```
{"level":"error","ts":"2026-05-04T02:11:09.114Z","caller":"sync/worker.go:88","msg":"claim batch","batch":"b-7731","error":"pq: could not obtain lock on row in relation \\"ledger_batches\\""}
```

**Root cause**: a stuck migration held `ACCESS EXCLUSIVE` on `ledger_batches`.

**Fix**: cancel the migration's backend with `pg_cancel_backend` and rerun it with `lock_timeout = '5s'`.

### Error 2: image pushes fail with 500

```
time="2026-05-04T02:40:51.002Z" level=error msg="response completed with error" err.code=unknown err.detail="filesystem: mkdir /srv/registry/docker/registry/v2/repositories/ledger-sync/_uploads: read-only file system" http.response.status=500
```

**Root cause**: the registry's volume was remounted read-only after an I/O error.

**Fix**: move the registry pod to another node and run `fsck` on the old volume before reattaching it.

### Example configuration

```json
{"level": "debug", "outputs": ["stdout"]}
```
"""


def test_a_json_or_logfmt_line_reads_as_its_message_and_error():
    assert readable('{"level":"warn","ts":"1","msg":"retrying","error":"x509: certificate has expired"}') == \
        "retrying: x509: certificate has expired"
    assert readable('level=error msg="opening storage failed" err="lock DB directory: resource temporarily unavailable"') \
        == "opening storage failed: lock DB directory: resource temporarily unavailable"
    assert readable('{"name": "billing", "replicas": 3}') == '{"name": "billing", "replicas": 3}'  # not a log line
    assert readable("Error: connect ECONNREFUSED 127.0.0.1:5432") == "Error: connect ECONNREFUSED 127.0.0.1:5432"
    hostile = '{"level":' + "[" * 100_000 + "]" * 100_000 + "}"
    assert readable(hostile) == hostile  # nested past Python's recursion limit: left as text, never raised


def test_cards_take_the_message_of_a_structured_log():
    messages = [error.message for error in parse_report(LEDGER, "ledger.md").errors]
    assert 'claim batch: pq: could not obtain lock on row in relation "ledger_batches"' in messages
    assert any(message.startswith("response completed with error: filesystem: mkdir") for message in messages)
    assert len(messages) == 2  # the JSON configuration block is not a log


def test_the_same_json_line_from_another_machine_finds_the_fix(kb, tmp_path):
    ingest_report(kb, tmp_path, "ledger.md", LEDGER)
    paste = ('{"level":"error","ts":"2026-06-11T17:45:00.902Z","caller":"sync/worker.go:91","msg":"claim batch",'
             '"batch":"b-9120","error":"pq: could not obtain lock on row in relation \\"ledger_batches\\""}')
    outcome = search(kb, paste)
    assert "pg_cancel_backend" in outcome.results[0].fix and outcome.results[0].exact
    assert not {"caller", "level", "worker", "go"} & set(outcome.terms)  # its message and error, not its keys and caller
