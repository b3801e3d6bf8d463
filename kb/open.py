"""Open a KB the way the application does: a database an older runbook wrote is derived again.

The store (kb/store) can tell that `.runbook/kb.sqlite` was written by an older runbook, but deriving it
again from the Markdown sources is ingest's work, a room above it. This module sits above both and
makes that choice for its callers (the CLI and the TUI open every KB through it), so every import in
kb/ runs down: the store never reaches up into ingest.
"""

from __future__ import annotations

from pathlib import Path

from kb.store.knowledge_base import KnowledgeBase


def open_kb(root: Path | str) -> KnowledgeBase:
    """A KnowledgeBase whose outdated database is rebuilt from the reports when it is first read."""
    kb = KnowledgeBase(root)
    kb.derive_again = derive_again
    return kb


def init_kb(root: Path | str) -> KnowledgeBase:
    """Create (or complete) a KB at root, opened as open_kb opens one."""
    kb = KnowledgeBase.init(root)
    kb.derive_again = derive_again
    return kb


def derive_again(kb: KnowledgeBase) -> None:
    """Rebuild the database and the index from the KB's reports (ingest is imported only now: opening a
    KB stays cheap, and `runbook search` never loads the parser for a current database)."""
    from kb.ingest import rebuild

    rebuild(kb)
