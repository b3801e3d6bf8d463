"""Who runs a runbook or reads a walkthrough: --operator, else the KB's git identity, else the name given
in this session (the TUI's run form asks for it when there is no git identity), else the login name
(with no git author: such commits are made as runbook <runbook@localhost>, and the caller says so)."""

from __future__ import annotations

import getpass

from kb.store.knowledge_base import KnowledgeBase
from kb.runs.records import git_identity, parse_operator


def operator_for(kb: KnowledgeBase, option: str | None = None,
                 given: str | None = None) -> tuple[str, tuple[str, str] | None]:
    author = parse_operator(option) if option else git_identity(kb)
    if author is None and given and given.strip():
        author = parse_operator(given.strip())
    if author:
        return f"{author[0]} <{author[1]}>", author
    return getpass.getuser(), None
