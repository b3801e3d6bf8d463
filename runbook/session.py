"""Open the operator's KB: the one named, or the default, set up with the samples on first use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kb.store.knowledge_base import KBError, KnowledgeBase
from runbook.paths import resolve_kb_path, sample_reports_dir

if TYPE_CHECKING:  # ingest (parser, redaction, multiprocessing) is imported only to set up a KB
    from kb.ingest import IngestResult


def open_kb(option: str | None, on_setup: Callable[[str], None] | None = None,
            progress: Callable[[int, int], None] | None = None) -> KnowledgeBase:
    """Open the KB; the default one is created and filled with the bundled samples the first time."""
    path, is_default = resolve_kb_path(option)
    kb = KnowledgeBase(path)
    if kb.exists():
        return kb
    if not is_default:
        raise KBError(f"{kb.root}: not a runbook KB (create one with: runbook init {path})")
    if on_setup:
        on_setup(f"Setting up the default KB at {kb.root} with the bundled sample reports...")
    kb = KnowledgeBase.init(path)
    seed_samples(kb, progress)
    return kb


def seed_samples(kb: KnowledgeBase, progress: Callable[[int, int], None] | None = None) -> "IngestResult":
    """Ingest the bundled sample reports, reporting (done, total) as it goes."""
    from kb.ingest import ingest

    state = {"done": 0, "total": 0}

    def total(n: int) -> None:
        state["total"] = n

    def advance(n: int) -> None:
        state["done"] += n
        if progress:
            progress(state["done"], state["total"])

    return ingest(kb, [sample_reports_dir()], progress=advance, on_total=total)

