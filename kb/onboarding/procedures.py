"""The procedures, checklists, decision trees and hand-written runbooks that touch a topic, and the one a
newcomer practises in a dry run."""

from __future__ import annotations

from kb.onboarding.model import Procedure, Source, Step, rows_in, source_of
from kb.onboarding.names import Names
from kb.store.knowledge_base import KBError

MAX_PROCEDURES = 10


def select_procedures(kb, names: Names, topic: str, checklist_ids: list[int], runbook_refs: list[str],
                      reports: dict[int, dict]):
    """Hand-written runbooks first, then those that name the topic in their title, then those with the most
    commands. Ranked from the stored rows; only the ones shown are loaded whole."""
    from kb.runs import runbooks

    rows = rows_in(kb, "select id, report_id, title, kind, section, line from checklists where id in ({marks})",
                   checklist_ids)
    counts = rows_in(kb, "select checklist_id, count(*) as n from commands where checklist_id in ({marks}) "
                         "group by checklist_id", checklist_ids)
    commands = {row["checklist_id"]: row["n"] for row in counts}
    candidates = []  # (rank, ref, title, how to load and describe it)
    for row in rows:
        kind = "procedure" if row["kind"] == "procedure" else "checklist"
        source = source_of(reports.get(row["report_id"]), row["line"], row["section"] or "")
        count = commands.get(row["id"], 0)
        candidates.append(((0, -(topic in names.topics_in(row["title"])), -(count > 0), -count, source.path, row["id"]),
                           f"c{row['id']}", row["title"], kind, source))
    for ref in runbook_refs:
        try:
            loaded = runbooks.load(kb, ref)
        except KBError:
            continue
        if loaded.decision_tree:
            found = kb.store.rows("select report_id from flowcharts where id = ?", [int(ref[1:])])
            report = reports.get(found[0]["report_id"]) if found else None
            source = source_of(report) if report else Source(path=loaded.source, title=loaded.title)
            kind, first = "decision tree", 0
        else:
            source, kind, first = Source(path=f"runbooks/{ref}.md", title=loaded.title), "runbook", -1
        count = len(loaded.commands())
        candidates.append(((first, -(topic in names.topics_in(loaded.title)), -(count > 0), -count, source.path, 0),
                           ref, loaded.title, kind, source))
    candidates.sort(key=lambda item: (item[0], item[1]))
    shown = []
    for _, ref, _, kind, source in candidates:
        if len(shown) == MAX_PROCEDURES:
            break
        try:
            loaded = runbooks.load(kb, ref)
        except KBError:
            continue
        shown.append(Procedure(ref=loaded.name, title=loaded.title, kind=kind, source=source, steps=_steps(loaded)))
    taken = {procedure.ref for procedure in shown}
    more = [(ref, title) for _, ref, title, _, _ in candidates if ref not in taken]
    return shown, more


def _steps(loaded) -> list[Step]:
    texts = {step.node: step.title for step in loaded.steps if step.node}
    return [Step(text=step.title, detail=step.detail or "", depth=step.depth,
                 commands=[{"command": c.command, "expected": c.expected, "comment": c.comment} for c in step.commands],
                 choices={label: texts.get(node, node) for label, node in step.choices.items()})
            for step in loaded.steps]


def dry_run(procedures: list[Procedure]) -> Procedure | None:
    """The procedure a newcomer practises: the one with the most commands (a checklist of words teaches less)."""
    runnable = [p for p in procedures if p.kind != "decision tree" and any(s.commands for s in p.steps)]
    if not runnable:
        runnable = [p for p in procedures if p.kind != "decision tree"]
    if not runnable:
        return None
    return max(runnable, key=lambda p: (sum(len(s.commands) for s in p.steps), -procedures.index(p)))
