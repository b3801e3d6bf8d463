"""Whether the search index reflects the store, without importing Whoosh.

The index is derived from SQLite: `generation.json` records the store generation it reflects and
the index version; a mismatch (a crash between the two writes, a `git pull` + reindex elsewhere,
an index written by an older runbook) makes the next search rebuild it. Searching a current index
never loads the writer (kb/search/index.py) or Whoosh: `runbook search` pays only for reading it.
"""

from __future__ import annotations

import json
from pathlib import Path

from kb.search.segments import IndexUnreadable, latest_toc, read_toc
from kb.store.knowledge_base import KnowledgeBase

FIELD_BOOSTS = {"message": 4.0, "title": 2.5, "log": 1.5, "symptom": 1.2, "cause": 1.5, "fix": 1.0, "context": 0.8,
                "heading": 2.5, "where": 0.8, "body": 1.0}
PASSAGE_FIELDS = frozenset({"heading", "where", "body"})  # passages have fields of their own, so error fields stay short
STATE_FILE = "generation.json"
INDEX_VERSION = 9  # bump when the schema or the analyzer changes: older indexes are rebuilt


def forget_index(kb: KnowledgeBase) -> None:
    """Mark the index stale, so the next ensure_current rebuilds it (a segment file went missing)."""
    Path(kb.index_dir, STATE_FILE).unlink(missing_ok=True)


def ensure_current(kb: KnowledgeBase) -> None:
    """Rebuild a stale index under the KB's write lock: if another process is mid-ingest, wait for it
    (its own index update usually makes the rebuild unnecessary)."""
    if index_is_current(kb):
        return
    read_only = kb.read_only()
    if read_only:  # nothing can be rebuilt: search the index as it is, if there is one
        if indexed_generation(kb) < 0:
            from kb.store.knowledge_base import KBError

            raise KBError(f"{kb.root} is read-only ({read_only}) and its search index is missing or outdated: "
                          f"run `runbook --kb {kb.root} reindex` where it can be written")
        return
    from kb.search.index import rebuild_index
    from kb.store.lock import write_lock

    with write_lock(kb, "index rebuild"):
        if not index_is_current(kb):
            rebuild_index(kb)


def index_is_current(kb: KnowledgeBase) -> bool:
    return indexed_generation(kb) == kb.store.generation()


def indexed_generation(kb: KnowledgeBase) -> int:
    """The store generation the index reflects; -1 (rebuild it) for an index of another version, checked
    before its files are read (an older one may name an analyzer module that no longer exists), or one
    whose table of contents cannot be read."""
    state = kb.index_dir / STATE_FILE
    try:
        data = json.loads(state.read_text())
        if data.get("version") != INDEX_VERSION:
            return -1
        generation = int(data["generation"])
    except (ValueError, KeyError, OSError, TypeError, AttributeError):
        return -1
    toc = latest_toc(kb.index_dir)
    if toc is None:
        return -1
    try:
        read_toc(toc)
    except (IndexUnreadable, OSError):  # a table of contents that no longer loads: rebuilt
        return -1
    return generation


def write_state(kb: KnowledgeBase) -> None:
    Path(kb.index_dir, STATE_FILE).write_text(json.dumps({"generation": kb.store.generation(),
                                                           "version": INDEX_VERSION}))
