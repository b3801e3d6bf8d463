"""Who runs a runbook: --operator, else the KB's git identity, else the login name (no git author)."""

from __future__ import annotations

import getpass

from kb.store.knowledge_base import KnowledgeBase
from kb.runs.records import git_identity, parse_operator


def operator_for(kb: KnowledgeBase, option: str | None = None) -> tuple[str, tuple[str, str] | None]:
    author = parse_operator(option) if option else git_identity(kb)
    if author:
        return f"{author[0]} <{author[1]}>", author
    return getpass.getuser(), None
