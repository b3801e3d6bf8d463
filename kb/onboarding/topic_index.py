"""Which records name which topic: the KB read statement by statement, not report by report.

Every error, checklist or procedure, passage, lesson, timeline row, decision tree and hand-written
runbook is given the topics its own text names (kb/onboarding/names.py). A report's other material
does not come along: an error about Prisma in a report that also mentions Redis is not a Redis error.
Files that only list other files or links (kb/onboarding/listing.py) are left out altogether.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from kb.onboarding.listing import is_listing
from kb.onboarding.names import Names
from kb.store.knowledge_base import KBError, KnowledgeBase

ERROR_FIELDS = ("title", "message", "log", "symptom", "root_cause", "diagnosis", "fix", "before", "after")
KINDS = ("error", "checklist", "passage", "lesson", "timeline", "runbook")


def error_text(row: dict) -> str:
    """What an error says: the parts a reader is shown (message, log, symptom, cause, fix, code)."""
    return "\n".join(row.get(name) or "" for name in ERROR_FIELDS)


def section_below_title(section: str, report_title: str) -> str:
    """The headings a record is written under, without the report's title: `MySQL 相关问题 / 问题2：…` says an
    error is a MySQL one, while the title speaks for everything in the report."""
    parts = [part for part in (section or "").split(" / ") if part.strip()]
    if parts and parts[0].strip() == (report_title or "").strip():
        parts = parts[1:]
    return " / ".join(parts)


def own_heading(heading: str) -> str:
    """A passage's own heading, without the sections above it (those speak for the whole report)."""
    return (heading or "").split(" / ")[-1]


@dataclass
class TopicIndex:
    """topic -> kind -> record ids naming it; the report each record is in; reports left out as listings."""

    names: Names
    by_topic: dict[str, dict[str, list]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    report_of: dict[tuple[str, object], int | None] = field(default_factory=dict)
    listings: set[int] = field(default_factory=set)

    def add(self, kind: str, key, report_id: int | None, text: str) -> None:
        self.report_of[(kind, key)] = report_id
        for topic in self.names.topics_in(text):
            self.by_topic[topic][kind].append(key)

    def reports(self, topic: str) -> set[int]:
        return {self.report_of[(kind, key)] for kind, keys in self.by_topic.get(topic, {}).items() for key in keys
                if self.report_of.get((kind, key)) is not None}

    def count(self, topic: str, kind: str) -> int:
        return len(self.by_topic.get(topic, {}).get(kind, ()))


CACHE_FILE = "onboarding-topics.json"  # under .runbook/: derived, rebuilt whenever the KB or the names change
_CACHE_VERSION = 1


def save(index: TopicIndex, path, key: list) -> None:
    """Keep the index beside the KB's other derived data (written whole, then renamed into place)."""
    import os

    data = {"version": _CACHE_VERSION, "key": key, "listings": sorted(index.listings),
            "topics": {topic: {kind: [[item, index.report_of.get((kind, item))] for item in items]
                               for kind, items in kinds.items()} for topic, kinds in index.by_topic.items()}}
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:  # a read-only KB still gets its walkthroughs, only not faster next time
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass


def load(path, key: list, names: Names) -> TopicIndex | None:
    """The saved index when it was made from this very state of the KB and names table, else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION or data.get("key") != key:
        return None
    index = TopicIndex(names)
    index.listings = set(data.get("listings", []))
    for topic, kinds in data.get("topics", {}).items():
        for kind, items in kinds.items():
            for item, report_id in items:
                index.by_topic[topic][kind].append(item)
                index.report_of[(kind, item)] = report_id
    return index


def listing_reports(kb: KnowledgeBase) -> set[int]:
    """Reports that only list other files or links. Only a report with no errors, checklists or
    commands can be one, so few files are read."""
    rows = kb.store.rows(
        """select r.id, r.path from reports r
           where not exists (select 1 from errors e where e.report_id = r.id)
             and not exists (select 1 from checklists c where c.report_id = r.id)
             and not exists (select 1 from commands m where m.report_id = r.id)""")
    out = set()
    for row in rows:
        try:
            text = (kb.root / row["path"]).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if is_listing(text):
            out.add(row["id"])
    return out


def build(kb: KnowledgeBase, names: Names) -> TopicIndex:
    index = TopicIndex(names)
    index.listings = listing_reports(kb)
    skip = index.listings
    store = kb.store
    titles = {row["id"]: row["title"] for row in store.rows("select id, title from reports")}
    for row in store.rows(f"select id, report_id, section, {', '.join(ERROR_FIELDS)} from errors"):
        if row["report_id"] not in skip:
            under = section_below_title(row["section"], titles.get(row["report_id"], ""))
            index.add("error", row["id"], row["report_id"], error_text(row) + "\n" + under)
    for checklist_id, (report_id, text) in _checklist_texts(kb).items():
        if report_id not in skip:
            index.add("checklist", checklist_id, report_id, text)
    for row in store.rows("select id, report_id, heading, text from passages where whole = 0"):
        if row["report_id"] not in skip:
            index.add("passage", row["id"], row["report_id"], own_heading(row["heading"]) + "\n" + row["text"])
    for row in store.rows("select id, report_id, title, text from lessons"):
        if row["report_id"] not in skip:
            index.add("lesson", row["id"], row["report_id"], f"{row['title']}\n{row['text']}")
    for row in store.rows("select id, report_id, row from timeline"):
        if row["report_id"] not in skip:
            index.add("timeline", row["id"], row["report_id"], " ".join(map(str, json.loads(row["row"]).values())))
    for ref, report_id, text in _runbook_texts(kb):
        if report_id not in skip:
            index.add("runbook", ref, report_id, text)
    return index


def _checklist_texts(kb: KnowledgeBase) -> dict[int, tuple[int, str]]:
    """Each checklist's title, steps and commands as one text (three queries, not one per checklist)."""
    texts: dict[int, list[str]] = {}
    reports: dict[int, int] = {}
    for row in kb.store.rows("select id, report_id, title from checklists"):
        texts[row["id"]] = [row["title"]]
        reports[row["id"]] = row["report_id"]
    for row in kb.store.rows("select checklist_id, text, detail from items"):
        if row["checklist_id"] in texts:
            texts[row["checklist_id"]] += [row["text"] or "", row["detail"] or ""]
    for row in kb.store.rows("select checklist_id, command, comment, expected from commands "
                             "where checklist_id is not null"):
        if row["checklist_id"] in texts:
            texts[row["checklist_id"]] += [row["command"] or "", row["comment"] or "", row["expected"] or ""]
    return {key: (reports[key], "\n".join(parts)) for key, parts in texts.items()}


def _runbook_texts(kb: KnowledgeBase):
    """Decision trees (their nodes and answers) and hand-written runbooks (their steps and commands)."""
    from kb.parse.flowchart import DECISION_TREE
    from kb.store.queries import flowchart_record

    from kb.runs.runbooks import tree_title

    titles = {row["id"]: row["title"] for row in kb.store.rows("select id, title from reports")}
    for row in kb.store.rows("select * from flowcharts"):
        chart = flowchart_record(row)
        if chart["kind"] != DECISION_TREE:
            continue
        labels = [str(node.get("text") or node.get("label") or "") for node in chart["nodes"]]
        labels += [str(edge.get("label") or "") for edge in chart["edges"]]
        title = tree_title(row["section"] or "", titles.get(row["report_id"], ""))  # the title it is shown by
        yield f"f{row['id']}", row["report_id"], "\n".join([title, *labels])
    if not kb.runbooks_dir.is_dir():
        return
    from kb.runs import runbooks

    for path in sorted(kb.runbooks_dir.glob("*.md")):
        try:
            loaded = runbooks.load(kb, path.stem)
        except KBError:
            continue
        parts = [loaded.title]
        for step in loaded.steps:
            parts += [step.title, step.detail, *(f"{c.command}\n{c.comment}\n{c.expected}" for c in step.commands)]
        yield path.stem, None, "\n".join(parts)
