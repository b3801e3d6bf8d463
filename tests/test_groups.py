"""Error groups are kept by the store as reports come and go (kb/store/groups.py): whatever the order of
ingests, re-ingests of changed reports and reindexes, the search documents a group makes are the ones a
rebuild from every write-up makes, and "seen in N reports" counts what the KB holds."""

from __future__ import annotations

from pathlib import Path

from kb.ingest import ingest, rebuild
from kb.search.index import _documents
from kb.store.knowledge_base import KnowledgeBase


def _report(folder: Path, name: str, errors: list[tuple[str, str, str]]) -> Path:
    """A report of ours with these (log line, cause, fix) write-ups; an empty cause or fix is left out."""
    folder.mkdir(exist_ok=True)
    parts = [f"# {name}\n"]
    for index, (log, cause, fix) in enumerate(errors):
        parts.append(f"## Error {index + 1}: {name} step {index + 1}\n\n**Error log**:\n```\n{log}\n```\n")
        if cause:
            parts.append(f"**Root cause**: {cause}\n")
        if fix:
            parts.append(f"**Fix**: {fix}\n")
    path = folder / f"{name}.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


REFUSED = "psycopg2.OperationalError: connection to server at 10.0.0.5 port 5432 failed: Connection refused"
DISK = "OSError: [Errno 28] No space left on device: '/var/lib/app/cache'"
OOM = "java.lang.OutOfMemoryError: Java heap space"


def _group_documents(kb: KnowledgeBase) -> list[dict]:
    return sorted(_documents(kb, None), key=lambda doc: doc["id"])


def test_group_documents_after_adds_and_changes_are_what_a_rebuild_makes(kb, tmp_path):
    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"
    _report(first, "db-down", [(REFUSED, "the database was stopped for patching", "start postgres again")])
    _report(first, "cache-full", [(DISK, "", "clear the cache volume"), (REFUSED, "", "")])
    ingest(kb, [first])
    # new reports join both groups: one with a better write-up (longer fix), one no better than the best
    _report(second, "db-firewall", [(REFUSED, "a firewall rule dropped 5432", "open 5432 to the app subnet again, "
                                              "then restart the pool")])
    _report(second, "db-again", [(REFUSED, "the database was stopped for patching", "start postgres again")])
    _report(second, "heap", [(OOM, "a batch loaded every row", "page the batch")])
    ingest(kb, [second])
    documents = {doc["id"]: doc for doc in _group_documents(kb)}
    refused = next(doc for doc in documents.values() if "5432" in doc["message"])
    assert refused["seen_in"] == 4
    assert refused["fix"].startswith("open 5432 to the app subnet again")  # the best write-up's fix comes first
    assert refused["cause"].count("the database was stopped for patching") == 1  # a text held twice, once

    # a report changed and ingested again loses one write-up and changes another: its groups are made again
    _report(third, "db-firewall", [(DISK, "logs filled the disk", "rotate the logs")])
    (third / "db-firewall.md").rename(first / "db-firewall.md")
    ingest(kb, [first / "db-firewall.md"])
    (second / "db-firewall.md").unlink()
    after = _group_documents(kb)
    refused = next(doc for doc in after if "5432" in doc["message"])
    assert refused["seen_in"] == 3 and "firewall" not in refused["cause"]

    rebuild(kb)
    assert _group_documents(kb) == after


def test_many_ingests_in_any_order_make_the_rebuilds_documents(kb, tmp_path):
    """Write-ups folded in one report at a time, in an order where better and worse write-ups alternate,
    rank their texts as a rebuild ranks them all at once."""
    folder = tmp_path / "many"
    texts = [("", ""), ("cause a", ""), ("", "fix bb"), ("cause a", "fix dd"), ("cause d", "fix bb"),
             ("cause a", "fix eeee"), ("", "fix c"), ("cause d", "")]
    paths = [_report(folder, f"r{index}", [(OOM, cause, fix)]) for index, (cause, fix) in enumerate(texts)]
    for path in reversed(paths):
        ingest(kb, [path])
    folded = _group_documents(kb)
    rebuild(kb)
    assert _group_documents(kb) == folded
    oom = next(doc for doc in folded if "OutOfMemoryError" in doc["message"])
    # "fix dd" and "fix bb" tie on completeness and length: the newer best holder (r3, ingested after r4) first
    assert oom["fix"].split("\n") == ["fix eeee", "fix dd", "fix bb", "fix c"]
    assert oom["cause"].split("\n") == ["cause a", "cause d"]


def test_a_database_from_before_the_groups_gets_them_from_its_write_ups(tmp_path):
    kb = KnowledgeBase.init(tmp_path / "kb")
    _report(tmp_path / "in", "db-down", [(REFUSED, "stopped", "start it"), (DISK, "", "clear it")])
    _report(tmp_path / "in", "db-again", [(REFUSED, "stopped", "start it")])
    ingest(kb, [tmp_path / "in"])
    before = _group_documents(kb)
    with kb.store.conn:
        kb.store.conn.execute("drop table error_groups")
        kb.store.conn.execute("drop table group_texts")
    kb.close()
    reopened = KnowledgeBase(tmp_path / "kb")
    assert _group_documents(reopened) == before
    reopened.close()


def test_a_group_with_more_texts_than_its_document_holds_reads_only_what_it_keeps(kb, tmp_path, monkeypatch):
    """A group document holds each field's texts up to a cap (kb/search/index.py); reading stops once it is
    full. What it holds must be the first cap characters of every text joined, at every boundary: a text
    that ends exactly at the cap, one cut inside it, and the newline right after a full cap."""
    import kb.search.index as index

    folder = tmp_path / "many"
    causes = [f"cause {n:02d}: the shard {n} pool ran dry" for n in range(12)]
    for n, cause in enumerate(causes):
        _report(folder, f"dry-{n:02d}", [(REFUSED, cause, "start postgres again")])
    ingest(kb, [folder])
    key = next(doc["id"] for doc in _documents(kb, None) if "5432" in doc["message"])
    rows = kb.store.rows("select text from group_texts where group_key = ? and field = 'cause' "
                         "order by complete desc, fix_length desc, id desc", [key])
    every = "\n".join(row["text"] for row in rows)
    assert len(rows) == 12
    lengths = [len(row["text"]) + 1 for row in rows]
    caps = {sum(lengths[:4]), sum(lengths[:4]) - 1, sum(lengths[:4]) + 1, sum(lengths[:4]) + 5, len(every) + 10}
    for cap in caps:
        monkeypatch.setattr(index, "_CAP", cap)
        cause = next(doc["cause"] for doc in index._documents(kb, [key]))
        assert cause == every[:cap], cap
        assert next(doc["cause"] for doc in _documents(kb, None) if doc["id"] == key) == every[:cap], cap
