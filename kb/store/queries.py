"""Read the KB's records as plain dicts: the one read API for the CLI, the TUI and tests.

Ids are typed so one `show` command can take any of them: `r12` a report,
`e34` an error, `c5` a checklist, `f6` a flowchart (a bare number is a report).
The numbers are stable (kb/refs.py): the same record after any reindex, on any clone.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING
from kb.parse.lazy_re import lazy

if TYPE_CHECKING:  # annotations only: the CLI imports NotFound from here before it knows the command
    from kb.store.database import Store

_ID_RE = lazy(r"^([recf]?)(\d+)$", re.IGNORECASE)
KINDS = {"r": "report", "e": "error", "c": "checklist", "f": "flowchart"}


class NotFound(LookupError):
    pass


def parse_id(text: str) -> tuple[str, int]:
    match = _ID_RE.match(text.strip())
    if not match:
        raise NotFound(f"{text!r} is not an id (expected r12, e34, c5 or f6)")
    return KINDS[(match.group(1) or "r").lower()], int(match.group(2))


def _with_refs(rows: list[dict], prefix: str) -> list[dict]:
    for row in rows:
        row["ref"] = f"{prefix}{row['id']}"
    return rows


def list_reports(store: Store) -> list[dict]:
    return _with_refs(store.rows(
        """select r.id, r.path, r.title, r.lang, r.project, r.platform, r.date, r.ingested_at,
                  (select count(*) from errors e where e.report_id = r.id) as errors,
                  (select count(*) from checklists c where c.report_id = r.id) as checklists,
                  (select count(*) from commands m where m.report_id = r.id) as commands
           from reports r order by r.path"""), "r")


def list_errors(store: Store) -> list[dict]:
    return _with_refs(store.rows(
        """select e.id, e.title, e.message, e.root_cause, e.fix, r.path as report, r.title as report_title
           from errors e join reports r on r.id = e.report_id order by r.path, e.position"""), "e")


def list_checklists(store: Store) -> list[dict]:
    return _with_refs(store.rows(
        """select c.id, c.title, c.kind, c.phase, r.path as report,
                  (select count(*) from items i where i.checklist_id = c.id) as items,
                  (select count(*) from commands m where m.checklist_id = c.id) as commands
           from checklists c join reports r on r.id = c.report_id order by r.path, c.position"""), "c")


def get_error(store: Store, error_id: int) -> dict:
    rows = store.rows(
        """select e.*, r.path as report_path, r.title as report_title from errors e
           join reports r on r.id = e.report_id where e.id = ?""", [error_id])
    if not rows:
        raise NotFound(f"no error e{error_id}")
    error = rows[0]
    error["ref"] = f"e{error_id}"
    error["sources"] = json.loads(error["sources"] or "[]")
    error["commits"] = store.rows(
        """select c.sha, c.message from commits c join error_commits ec on ec.commit_id = c.id
           where ec.error_id = ? order by c.id""", [error_id])
    error["report"] = {"path": error.pop("report_path"), "title": error.pop("report_title")}
    error["passages"] = linked_passages(store, json.loads(error["passages"] or "[]"))
    error["repo_commits"] = commits_for_error(store, error_id)
    return error


def linked_passages(store: Store, ids: list[int]) -> list[dict]:
    """An error's linked fix passages, best first, as search gives them: heading, line, text, role."""
    if not ids:
        return []
    rows = {row["id"]: row for row in store.rows(
        f"select id, heading, line, text, role from passages where id in ({','.join('?' * len(ids))})", ids)}
    return [{"heading": rows[i]["heading"], "line": rows[i]["line"], "text": rows[i]["text"], "role": rows[i]["role"] or ""}
            for i in ids if i in rows]


def get_checklist(store: Store, checklist_id: int) -> dict:
    rows = store.rows(
        """select c.*, r.path as report_path, r.title as report_title from checklists c
           join reports r on r.id = c.report_id where c.id = ?""", [checklist_id])
    if not rows:
        raise NotFound(f"no checklist c{checklist_id}")
    checklist = rows[0]
    checklist["ref"] = f"c{checklist_id}"
    items = store.rows("select * from items where checklist_id = ? order by position", [checklist_id])
    commands = store.rows("select * from commands where checklist_id = ? order by position", [checklist_id])
    for item in items:
        item["checked"] = None if item["checked"] is None else bool(item["checked"])
        item["commands"] = [_command(c) for c in commands if c["item_id"] == item["id"]]
    checklist["items"] = items
    checklist["report"] = {"path": checklist.pop("report_path"), "title": checklist.pop("report_title")}
    return checklist


def get_report(store: Store, report_id: int) -> dict:
    rows = store.rows("select * from reports where id = ?", [report_id])
    if not rows:
        raise NotFound(f"no report r{report_id}")
    report = rows[0]
    report["ref"] = f"r{report_id}"
    report["meta"] = json.loads(report["meta"] or "{}")
    report["outline"] = json.loads(report["outline"] or "[]")
    report["errors"] = [get_error(store, row["id"]) for row in
                        store.rows("select id from errors where report_id = ? order by position", [report_id])]
    report["commits"] = store.rows("select sha, message from commits where report_id = ? order by id", [report_id])
    report["checklists"] = [get_checklist(store, row["id"]) for row in
                            store.rows("select id from checklists where report_id = ? order by position", [report_id])]
    report["commands"] = [_command(c) for c in
                          store.rows("select * from commands where report_id = ? order by position", [report_id])]
    report["flowcharts"] = [flowchart_record(f) for f in
                            store.rows("select * from flowcharts where report_id = ? order by position", [report_id])]
    report["lessons"] = store.rows("select title, text, line from lessons where report_id = ? order by position", [report_id])
    report["timeline"] = [json.loads(t["row"]) for t in
                          store.rows("select row from timeline where report_id = ? order by position", [report_id])]
    return report


def flowchart_record(row: dict) -> dict:
    """A stored flowchart with its kind (decision_tree or diagram; classified now if stored before kinds were)."""
    from kb.parse.flowchart import classify

    nodes, edges = json.loads(row["nodes"]), json.loads(row["edges"])
    return {"ref": f"f{row['id']}", "section": row["section"], "line": row["line"], "direction": row["direction"],
            "kind": row.get("kind") or classify(nodes, edges), "nodes": nodes, "edges": edges}


def get_flowchart(store: Store, chart_id: int) -> dict:
    rows = store.rows(
        """select f.*, r.path as report_path, r.title as report_title from flowcharts f
           join reports r on r.id = f.report_id where f.id = ?""", [chart_id])
    if not rows:
        raise NotFound(f"no flowchart f{chart_id}")
    row = rows[0]
    chart = flowchart_record(row)
    chart["report"] = {"path": row["report_path"], "title": row["report_title"]}
    return chart


def find_report_id(store: Store, path: str) -> int | None:
    rows = store.rows("select id from reports where path = ? or path = ? or path like ?",
                      [path, f"reports/{path}", f"%/{path}"])
    return rows[0]["id"] if rows else None


def get(store: Store, ref: str) -> tuple[str, dict]:
    """Resolve r12 / e34 / c5 / a report path into (kind, record)."""
    try:
        kind, number = parse_id(ref)
    except NotFound:
        report_id = find_report_id(store, ref)
        if report_id is None:
            raise NotFound(f"no record {ref}: not an id (r12, e34, c5, f6) nor the path of a report "
                           "(runbook list shows them)") from None
        return "report", get_report(store, report_id)
    getter = {"report": get_report, "error": get_error, "checklist": get_checklist,
              "flowchart": get_flowchart}[kind]
    return kind, getter(store, number)


def _command(row: dict) -> dict:
    return {"command": row["command"], "comment": row["comment"], "expected": row["expected"], "lang": row["lang"],
            "section": row["section"], "line": row["line"]}


def commits_for_error(store: Store, error_id: int) -> list[dict]:
    """The error's commits: those quoted in its report (resolved to full SHAs when a repo knows them)
    and fix commits linked to it, with author, date and files."""
    if not store.has_table("repo_commits"):
        return []
    rows = store.rows(
        """select rc.*, 'quoted in the report' as how from errors e
             join error_commits ec on ec.error_id = e.id join commits c on c.id = ec.commit_id
             join repo_commits rc on (c.sha is not null and rc.sha >= c.sha and rc.sha < c.sha || 'g')
                                  or (c.sha is null and rc.subject = c.message)
           where e.id = ?
           union
           select rc.*, cl.how from errors e join commit_links cl on cl.fingerprint = e.fingerprint
             join repo_commits rc on rc.sha = cl.sha where e.id = ?""", [error_id, error_id])
    seen, out = set(), []
    for row in rows:
        if row["sha"] in seen:
            continue
        seen.add(row["sha"])
        out.append({"sha": row["sha"], "message": row["subject"], "author": row["author"], "date": row["date"],
                    "files": json.loads(row["files"] or "[]"), "repo": row["repo"], "how": row["how"]})
    return out
