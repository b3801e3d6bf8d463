"""Where each operator is in each walkthrough, and how their drills and dry runs went.

Kept locally (`.runbook/runs.sqlite`, beside the run state) while they read; the completion record
(kb/onboarding/record.py) carries it into git, where the team sees it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

from kb.store.knowledge_base import KnowledgeBase

_PROGRESS = "onboarding"
_PRACTICE = "onboarding_practice"


def _db(kb: KnowledgeBase):
    import sqlite_utils

    kb.derived_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(sqlite3.connect(str(kb.derived_dir / "runs.sqlite"), check_same_thread=False,
                                               timeout=30))
    if not db[_PROGRESS].exists():
        db[_PROGRESS].create({"operator": str, "topic": str, "page": int, "pages": int, "completed": str},
                             pk=("operator", "topic"))
    if not db[_PRACTICE].exists():
        db[_PRACTICE].create({"operator": str, "topic": str, "kind": str, "ref": str, "title": str, "answer": str,
                              "result": str, "at": str}, pk=("operator", "topic", "kind", "ref"))
    return db


def get_progress(kb: KnowledgeBase, operator: str, topic: str) -> dict:
    db = _db(kb)
    try:
        rows = list(db.query(f"select * from {_PROGRESS} where operator = ? and topic = ?", [operator, topic]))
    finally:
        db.close()
    return rows[0] if rows else {"operator": operator, "topic": topic, "page": 0, "pages": 0, "completed": None}


def save_progress(kb: KnowledgeBase, operator: str, topic: str, page: int, pages: int,
                  completed: str | None = None) -> None:
    db = _db(kb)
    try:
        with db.conn:
            db[_PROGRESS].upsert({"operator": operator, "topic": topic, "page": page, "pages": pages,
                                  "completed": completed}, pk=("operator", "topic"))
    finally:
        db.close()


def record_practice(kb: KnowledgeBase, operator: str, topic: str, kind: str, ref: str, title: str,
                    result: str, answer: str = "") -> None:
    """A drill answered (`got it` / `missed`) or a dry run walked; the latest attempt counts."""
    from kb.parse.redact import redact

    db = _db(kb)
    try:
        with db.conn:
            db[_PRACTICE].upsert({"operator": operator, "topic": topic, "kind": kind, "ref": ref, "title": title,
                                  "answer": redact(answer.strip()), "result": result,
                                  "at": datetime.now(timezone.utc).isoformat(timespec="seconds")},
                                 pk=("operator", "topic", "kind", "ref"))
    finally:
        db.close()


def practice(kb: KnowledgeBase, operator: str, topic: str) -> list[dict]:
    db = _db(kb)
    try:
        return list(db.query(f"select * from {_PRACTICE} where operator = ? and topic = ? order by at, ref",
                             [operator, topic]))
    finally:
        db.close()


def forget_practice(kb: KnowledgeBase, operator: str, topic: str) -> None:
    """`--restart`: the drills are asked afresh."""
    db = _db(kb)
    try:
        with db.conn:
            db.execute(f"delete from {_PRACTICE} where operator = ? and topic = ?", [operator, topic])
    finally:
        db.close()
