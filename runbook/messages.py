"""Small dataclass messages that workers post back to the UI thread (as Toolong does)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # imported for types only: the first paint must not wait for sqlite-utils or Whoosh
    from kb.store.knowledge_base import KnowledgeBase
    from kb.search.ranking import SearchOutcome, Searcher


@dataclass
class KBReady(Message):
    """The KB is open (and set up with the samples, the first time)."""

    kb: "KnowledgeBase"
    counts: dict[str, int] | None = None  # kb.store.counts(), taken in the worker


@dataclass
class SearcherReady(Message):
    """The search index is open (after the search screen is on screen, so typing never waits for it)."""

    searcher: "Searcher | None"
    problem: str = ""  # why there is no searcher


@dataclass
class KBProblem(Message):
    """The KB cannot be opened; `message` says what to do."""

    message: str


@dataclass
class SetupProgress(Message):
    done: int
    total: int


@dataclass
class SearchFinished(Message):
    query: str
    outcome: "SearchOutcome | None"  # None: the search failed, `problem` says why
    seconds: float
    problem: str = ""
