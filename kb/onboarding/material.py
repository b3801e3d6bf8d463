"""A topic's own material, chosen and ordered for a newcomer: what a walkthrough is made of.

Only records whose own text names the topic (kb/onboarding/topic_index.py) are taken: the passages that
say how it is set up and deployed (passages.py), the errors met with it, most frequent first, each with
its causes and whole fixes (errors.py), what went wrong with it in time order (here), the procedures
and checklists that touch it (procedures.py), the lessons, and the practice: drills on its errors and
a dry run of one of its procedures.
"""

from __future__ import annotations

import json

from kb.onboarding.dates import parse_date
from kb.onboarding.drills import Drill, shown_error
from kb.onboarding.errors import MAX_REFS, select_errors
from kb.onboarding.model import ErrorEntry, HistoryEntry, Walkthrough, rows_in, source_of
from kb.onboarding.names import Names
from kb.onboarding.passages import select_lessons, select_setup
from kb.onboarding.procedures import dry_run, select_procedures
from kb.onboarding.topic_index import TopicIndex
from kb.store.knowledge_base import KnowledgeBase

MAX_HISTORY = 25  # reports on the time-order page (the latest ones)
MAX_HISTORY_ERRORS = 6  # errors named per report there
MAX_DRILLS = 3


def _reports(kb: KnowledgeBase, ids) -> dict[int, dict]:
    ids = sorted({i for i in ids if i is not None})
    rows = rows_in(kb, "select id, path, title, date, meta from reports where id in ({marks})", ids)
    return {row["id"]: row for row in rows}


def collect(kb: KnowledgeBase, index: TopicIndex, topic: str, seed: str = "") -> Walkthrough:
    """Everything a topic's walkthrough shows; `seed` makes its drills' other machine the same on every
    reading by one operator."""
    names: Names = index.names
    kinds = index.by_topic.get(topic, {})
    report_ids = index.reports(topic)
    reports = _reports(kb, report_ids)
    errors, more, total = select_errors(kb, names, topic, kinds.get("error", []), reports)
    procedures, more_procedures = select_procedures(kb, names, topic, kinds.get("checklist", []),
                                                    kinds.get("runbook", []), reports)
    setup = select_setup(kb, names, topic, kinds.get("passage", []), reports)
    lessons = select_lessons(kb, names, topic, kinds.get("lesson", []), kinds.get("passage", []), reports,
                             {p.text for p in setup})
    history = _history(kb, topic, errors, more, kinds.get("timeline", []), reports)
    drillable = [entry for entry in errors if entry.write_ups[0].has_fix and (entry.message or entry.log)]
    drillable.sort(key=lambda entry: -entry.central)  # an error that says the topic's name is the one to know
    drills = [_drill(entry, seed or topic) for entry in drillable[:MAX_DRILLS]]
    practised = dry_run(procedures)
    return Walkthrough(
        topic=topic, title=names.title(topic), names=list(names.topics[topic].names) if topic in names.topics else [],
        reports=[source_of(reports[i]) for i in sorted(reports, key=lambda i: reports[i]["path"])],
        setup=setup, history=history, errors=errors, more_errors=more, procedures=procedures,
        more_procedures=more_procedures, lessons=lessons, drills=drills, dry_run=practised,
        error_count=total)


# -- what went wrong, in time order ----------------------------------------------------------------------

def _history(kb, topic: str, errors: list[ErrorEntry], more: list[tuple[str, str]], timeline_ids: list[int],
             reports: dict[int, dict]) -> list[HistoryEntry]:
    """Each report that met the topic, dated by the report (or the earliest timestamp its logs printed),
    with the topic's errors and timeline rows in it; the latest MAX_HISTORY of them, oldest first."""
    by_report: dict[int, HistoryEntry] = {}
    refs = [ref for entry in errors for ref in entry.refs] + [ref for ref, _ in more]
    numbers = [int(ref[1:]) for ref in refs]
    rows = rows_in(kb, "select id, report_id, title, log, position from errors where id in ({marks})", numbers,
                   order=lambda r: (r["report_id"], r["position"]))
    for row in rows:
        report = reports.get(row["report_id"])
        if report is None:
            continue
        entry = by_report.setdefault(row["report_id"], HistoryEntry(when=None, report=source_of(report), errors=[], rows=[]))
        if len(entry.errors) < MAX_HISTORY_ERRORS:
            entry.errors.append((f"e{row['id']}", row["title"]))
        when = parse_date((row["log"] or "")[:2000])
        if when and (entry.when is None or when < entry.when):
            entry.when = when
    for row in rows_in(kb, "select report_id, position, row from timeline where id in ({marks})", timeline_ids,
                       order=lambda r: (r["report_id"], r["position"])):
        report = reports.get(row["report_id"])
        if report is None:
            continue
        entry = by_report.setdefault(row["report_id"], HistoryEntry(when=None, report=source_of(report), errors=[], rows=[]))
        cells = [str(v) for v in json.loads(row["row"]).values() if str(v).strip()]
        entry.rows.append(" · ".join(cells))
    for report_id, entry in by_report.items():
        report = reports[report_id]
        meta = " ".join(str(v) for v in json.loads(report["meta"] or "{}").values())
        entry.when = parse_date(report["date"]) or parse_date(meta) or entry.when
    ordered = sorted(by_report.values(), key=lambda e: (e.when is None, e.when or "", e.report.title))
    dated = [e for e in ordered if e.when]
    undated = [e for e in ordered if not e.when]
    keep = dated[-MAX_HISTORY:]
    return keep + undated[:max(MAX_HISTORY - len(keep), 0)]


def _drill(entry: ErrorEntry, seed: str) -> Drill:
    recorded = entry.write_ups[0]
    fix = recorded.fix
    if recorded.before or recorded.after:
        fix += "".join(f"\n\n{label}:\n\n{_fenced(code)}" for label, code in (("Before", recorded.before),
                                                                              ("After", recorded.after)) if code)
    others = [f"{', '.join(w.refs[:MAX_REFS])} ({w.source.title})" for w in entry.write_ups[1:]]
    if others:
        fix += "\n\nOther causes and fixes were recorded for the same error: " + "; ".join(others) + "."
    return Drill(ref=entry.refs[0], title=entry.title,
                 shown=shown_error(entry.message, entry.log, f"{seed}:{entry.refs[0]}"),
                 cause=recorded.cause, fix=fix.strip(), report=recorded.source.describe())


def _fenced(code: str) -> str:
    return code if code.lstrip().startswith("```") else f"```\n{code.rstrip()}\n```"
