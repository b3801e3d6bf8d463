"""Open the operator's KB: the one named, or the default, set up with the samples on first use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kb.open import init_kb, open_kb as open_library_kb
from kb.store.knowledge_base import KBError, KnowledgeBase
from runbook.paths import resolve_kb, sample_reports_dir

if TYPE_CHECKING:  # ingest (parser, redaction, multiprocessing) is imported only to set up a KB
    from kb.ingest import IngestResult


def open_kb(option: str | None, on_setup: Callable[[str], None] | None = None,
            progress: Callable[[int, int], None] | None = None) -> KnowledgeBase:
    """Open the KB; the default one is created and filled with the bundled samples the first time."""
    path, source = resolve_kb(option)
    kb = open_library_kb(path)  # an outdated database is derived again when first read (kb/open.py)
    if kb.exists():
        return kb
    if source != "default":
        raise KBError(not_a_kb(kb, source))
    if on_setup:
        on_setup(f"Setting up the default KB at {kb.root} with the bundled sample reports...")
    kb = init_kb(path)
    seed_samples(kb, progress)
    return kb


def check_kb_named(option: str | None) -> None:
    """A KB named by --kb, $RUNBOOK_KB or the config file that is not there: a KBError now (cheap: two
    stat calls), before anything slow starts. The default KB is set up on first use instead."""
    path, source = resolve_kb(option)
    kb = KnowledgeBase(path)
    if source != "default" and not kb.exists():
        raise KBError(not_a_kb(kb, source))


def not_a_kb(kb: KnowledgeBase, source: str) -> str:
    """One line: the path is not a KB, what named it, and how to make one."""
    named = ""
    if source == "the config file":
        from runbook.config import config_path

        named = f" (named by `kb` in {config_path()})"
    elif source != "--kb":
        named = f" (named by ${source})"
    what = "does not exist" if not kb.root.exists() else "is not a runbook KB"
    return f"{kb.root} {what}{named}: create a KB there with `runbook init {kb.root}`, or give another with --kb PATH"


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

