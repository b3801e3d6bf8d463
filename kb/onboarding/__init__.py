"""Onboarding walkthroughs: what the KB has learned about one topic, as pages a newcomer reads in order.

A topic is a platform, service or stack (redis, nginx, postgres, kubernetes ...), known by the names
in a table kept as data (kb/onboarding/topics.toml, extended by a KB's own `topics.toml`). Its
material is what the reports say about it, statement by statement (kb/onboarding/topic_index.py): how it is
set up and deployed here, what went wrong with it in time order, the errors met with it (most frequent
first, each with its cause and whole fix), the procedures and checklists that touch it, the lessons,
then practice: drills on its errors as another machine prints them, and a dry run of a procedure.
A hand-written `onboarding/<topic>.md` (pages split at `##`) replaces the generated reading pages.
Progress and practice are kept per operator; completion is recorded in git (kb/onboarding/record.py).
"""

from __future__ import annotations

from dataclasses import asdict

from kb.onboarding import names as _names
from kb.onboarding.topic_index import TopicIndex, build as _build_index
from kb.onboarding.material import Walkthrough, collect
from kb.onboarding.pages import DRILL, DRY_RUN, READ, Page, as_markdown, pages as _pages, practice_pages
from kb.onboarding.progress import forget_practice, get_progress, practice, record_practice, save_progress
from kb.onboarding.record import GOT_IT, MISSED, WALKED, complete as _complete, team
from kb.store.knowledge_base import KBError, KnowledgeBase

__all__ = ["DRILL", "DRY_RUN", "GOT_IT", "MISSED", "READ", "WALKED", "Page", "Walkthrough", "as_json", "as_markdown",
           "complete", "forget_practice", "get_progress", "index", "practice", "record_practice", "resolve",
           "save_progress", "team", "topics", "walkthrough", "walkthrough_of"]

_CACHE: dict[str, tuple[list, TopicIndex]] = {}


def index(kb: KnowledgeBase) -> TopicIndex:
    """The KB's topic index, built once per state of the KB (its records, runbooks and names table) and
    kept in `.runbook/` for the next process (reading every record of a big KB takes seconds)."""
    from kb.onboarding import topic_index

    table = _names.load(kb.root)
    runbooks = sorted([p.name, p.stat().st_mtime_ns] for p in kb.runbooks_dir.glob("*.md")) \
        if kb.runbooks_dir.is_dir() else []
    key = [kb.store.identity(), kb.store.generation(), table.digest, runbooks]
    cached = _CACHE.get(str(kb.root))
    if cached and cached[0] == key:
        return cached[1]
    path = kb.derived_dir / topic_index.CACHE_FILE
    built = topic_index.load(path, key, table)
    if built is None:
        built = _build_index(kb, table)
        if kb.derived_dir.is_dir():
            topic_index.save(built, path, key)
    _CACHE[str(kb.root)] = (key, built)
    return built


def _hand_written(kb: KnowledgeBase):
    folder = kb.root / "onboarding"
    return sorted(folder.glob("*.md")) if folder.is_dir() else []


def topics(kb: KnowledgeBase) -> list[dict]:
    """Topics with how much the KB says about each: reports, errors, procedures and checklists.

    Listed most reports first, then most errors, then most checklists, then by name: the same order
    on every run and every clone."""
    found = index(kb)
    written = {path.stem.lower() for path in _hand_written(kb)}
    out = []
    for topic in set(found.by_topic) | written:
        reports = len(found.reports(topic))
        errors = found.count(topic, "error")
        checklists = found.count(topic, "checklist") + found.count(topic, "runbook")
        if errors + checklists == 0 and reports < 2 and topic not in written:
            continue  # a word said once in passing is not something to learn
        out.append({"topic": topic, "title": found.names.title(topic), "reports": reports, "errors": errors,
                    "checklists": checklists, "passages": found.count(topic, "passage"),
                    "hand_written": topic in written})
    out.sort(key=lambda t: (-t["reports"], -t["errors"], -t["checklists"], t["topic"]))
    return out


def resolve(kb: KnowledgeBase, word: str) -> str:
    """The topic a user means: its key, title or one of its names (`k8s`, `pg`, `certbot`)."""
    known = {t["topic"] for t in topics(kb)}
    lowered = word.strip().lower()
    topic = lowered if lowered in known else index(kb).names.resolve(lowered)
    if topic not in known:
        listing = ", ".join(sorted(known)) or "none yet: ingest reports first"
        raise KBError(f"no topic {word!r} in this KB (topics: {listing})")
    return topic


def walkthrough_of(kb: KnowledgeBase, topic: str, seed: str = "") -> tuple[Walkthrough, list[Page]]:
    """A topic's material and its pages (a hand-written walkthrough's pages, then the practice)."""
    topic = resolve(kb, topic)
    walk = collect(kb, index(kb), topic, seed=seed)
    written = kb.root / "onboarding" / f"{topic}.md"
    if written.exists():
        pages = _pages_from_file(written.read_text(encoding="utf-8", errors="replace")) + practice_pages(walk)
        if pages:  # an empty hand-written file falls back to the generated walkthrough
            return walk, pages
    return walk, _pages(walk)


def walkthrough(kb: KnowledgeBase, topic: str, seed: str = "") -> list[Page]:
    return walkthrough_of(kb, topic, seed)[1]


def _pages_from_file(text: str) -> list[Page]:
    pages: list[Page] = []
    title, lines = "Introduction", []
    for line in text.splitlines():
        if line.startswith("## "):
            if any(part.strip() for part in lines):
                pages.append(Page(title, "\n".join(lines).strip()))
            title, lines = line[3:].strip(), []
        elif not line.startswith("# "):
            lines.append(line)
    if any(part.strip() for part in lines):
        pages.append(Page(title, "\n".join(lines).strip()))
    return pages


def as_json(walk: Walkthrough, page_list: list[Page]) -> dict:
    """The walkthrough's structure: its pages (as shown) and every item with its fields and source."""
    data = asdict(walk)
    data["pages"] = [{"title": page.title, "kind": page.kind, "body": page.body, "answer": page.answer}
                     for page in page_list]
    return data


def complete(kb: KnowledgeBase, operator: str, topic: str, pages: list[Page],
             author: tuple[str, str] | None) -> tuple[str, str | None]:
    """Record the completed walkthrough in git; returns (record path, a note or problem, or None)."""
    return _complete(kb, operator, topic, [page.title for page in pages], author)
