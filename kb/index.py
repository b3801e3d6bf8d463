"""The Whoosh search index: derived from SQLite, rebuildable, updated on ingest.

One document per error, with fields weighted for BM25F: the error message
above the title above the log and cause above the fix text. The index records
the store generation it reflects; a mismatch (a crash between the two writes,
a `git pull` + reindex elsewhere) makes search rebuild it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema

from kb.analysis import analyzer
from kb.knowledge_base import KnowledgeBase

FIELD_BOOSTS = {"message": 4.0, "title": 2.5, "log": 1.5, "symptom": 1.2, "cause": 1.5, "fix": 1.0, "context": 0.8}
_STATE_FILE = "generation.json"


def schema() -> Schema:
    text = {name: TEXT(analyzer=analyzer(), field_boost=boost, phrase=False) for name, boost in FIELD_BOOSTS.items()}
    return Schema(id=ID(stored=True, unique=True), report=ID(stored=True), **text)


def open_index(kb: KnowledgeBase, create: bool = True):
    folder = kb.index_dir
    if whoosh_index.exists_in(str(folder)):
        return whoosh_index.open_dir(str(folder))
    if not create:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(folder), schema())


_DOC_SQL = """
select e.id, r.path as report, e.message, e.title, e.log, e.symptom, e.root_cause as cause, e.fix,
       r.title as report_title, e.section, r.project, r.platform,
       (select group_concat(coalesce(c.message, ''), ' ') from commits c join error_commits ec on ec.commit_id = c.id
        where ec.error_id = e.id) as commit_messages
from errors e join reports r on r.id = e.report_id
"""


def _documents(kb: KnowledgeBase, paths: list[str] | None):
    if paths is None:
        rows = kb.store.rows(_DOC_SQL)
    else:
        rows = []
        for start in range(0, len(paths), 500):
            chunk = paths[start:start + 500]
            rows += kb.store.rows(_DOC_SQL + f" where r.path in ({','.join('?' * len(chunk))})", chunk)
    for row in rows:
        context = " ".join(filter(None, [row["report_title"], row["section"], row["project"], row["platform"],
                                         row["commit_messages"]]))
        yield {"id": str(row["id"]), "report": row["report"], "message": row["message"] or "", "title": row["title"] or "",
               "log": (row["log"] or "")[:20000], "symptom": row["symptom"] or "", "cause": row["cause"] or "",
               "fix": row["fix"] or "", "context": context}


def update_index(kb: KnowledgeBase, paths: list[str]) -> None:
    """Replace the documents of these reports (right after one store write).

    If the index missed an earlier write it is rebuilt whole instead.
    """
    if _indexed_generation(kb) != kb.store.generation() - 1:
        rebuild_index(kb)
        return
    ix = open_index(kb)
    writer = _writer(ix, len(paths))
    try:
        for path in paths:
            writer.delete_by_term("report", path)
        for doc in _documents(kb, paths):
            writer.add_document(**doc)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    _write_state(kb)


def rebuild_index(kb: KnowledgeBase) -> int:
    """Build the index from scratch from SQLite; returns the number of documents."""
    shutil.rmtree(kb.index_dir, ignore_errors=True)
    ix = open_index(kb)
    writer = _writer(ix, kb.store.counts()["reports"])
    count = 0
    try:
        for doc in _documents(kb, None):
            writer.add_document(**doc)
            count += 1
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    _write_state(kb)
    return count


def _writer(ix, reports: int):
    """Large batches index on every core (Whoosh's multiprocessing writer); small ones in-process."""
    cores = os.cpu_count() or 1
    if reports >= 2000 and cores > 1:
        return ix.writer(procs=cores, limitmb=128, multisegment=True)
    return ix.writer(limitmb=256)


def index_is_current(kb: KnowledgeBase) -> bool:
    return _indexed_generation(kb) == kb.store.generation()


def _indexed_generation(kb: KnowledgeBase) -> int:
    state = kb.index_dir / _STATE_FILE
    if not state.exists() or not whoosh_index.exists_in(str(kb.index_dir)):
        return -1
    try:
        return int(json.loads(state.read_text())["generation"])
    except (ValueError, KeyError, OSError, TypeError):
        return -1


def _write_state(kb: KnowledgeBase) -> None:
    Path(kb.index_dir, _STATE_FILE).write_text(json.dumps({"generation": kb.store.generation()}))
