"""The runnable catalogue: everything `runbook run` can walk, in one list.

Checklists and procedures the parser found, decision trees (flowcharts that are
not mere diagrams), and hand-written runbooks in `runbooks/`, each with its ref,
kind, title, source report, step and command counts and its last run. The CLI
(`runbook list runbooks`), the Runbooks screen (F4) and the command palette all
read this one list, so they always agree.

The last run comes from the run records in `runs/` (git-tracked, so a clone
sees its team's runs) and, for runs that never wrote a record (interrupted), from
the local run state.
"""

from __future__ import annotations

from kb.runs import runbooks
from kb.runs.run_refs import ref_resolver
from kb.parse.flowchart import DECISION_TREE
from kb.store.knowledge_base import KBError, KnowledgeBase

CHECKLIST_KINDS = {"procedure": "procedure", "tasks": "checklist", "list": "checklist"}
DIAGRAM = "diagram"  # a flowchart that only draws (services, subgraphs): kept in its report, never run
DEFAULT_FLOWCHART_KIND = "decision tree"
_FRONT_MATTER_BYTES = 4096


def runnables(kb: KnowledgeBase, with_runs: bool = True) -> list[dict]:
    """Every runnable thing in the KB: hand-written runbooks first, then by report and position."""
    rows = _hand_written(kb) + _checklists(kb) + _decision_trees(kb)
    if with_runs:
        runs = last_runs(kb)
        for row in rows:
            stats = runs.get(row["ref"])
            row["runs"] = stats["runs"] if stats else 0
            row["last_run"] = {"outcome": stats["outcome"], "date": stats["date"]} if stats else None
    return rows


def flowchart_kind(row: dict) -> str:
    """A flowchart's kind for people: "decision tree" or "diagram" (classified now if stored before kinds were)."""
    from kb.store.queries import flowchart_record

    return DEFAULT_FLOWCHART_KIND if flowchart_record(row)["kind"] == DECISION_TREE else DIAGRAM


def _hand_written(kb: KnowledgeBase) -> list[dict]:
    """`trusted`: this operator trusted this exact content on this machine (kb.runs.trust);
    `author_trusted`: the file's front matter says so, which decides nothing."""
    from kb.runs.trust import verdict

    out = []
    for path in sorted(kb.runbooks_dir.glob("*.md")):
        row = {"ref": path.stem, "kind": "runbook", "title": path.stem, "report": str(path.relative_to(kb.root)),
               "steps": 0, "commands": 0, "trusted": False, "author_trusted": False, "problem": "",
               "hand_written": True}
        try:
            loaded = runbooks.load(kb, path.stem)
            row["trusted"] = verdict(kb, loaded).allowed
        except KBError as exc:  # a broken file is listed with its problem, never hides the rest
            row["problem"] = str(exc)
        else:
            row.update(title=loaded.title, steps=len(loaded.steps), commands=len(loaded.commands()),
                       author_trusted=loaded.author_trusted,
                       kind="decision tree" if loaded.decision_tree else "runbook")
        out.append(row)
    return out


def _checklists(kb: KnowledgeBase) -> list[dict]:
    rows = kb.store.rows(
        """select c.id, c.title, c.kind, r.path as report, coalesce(i.n, 0) as steps, coalesce(m.n, 0) as commands
           from checklists c join reports r on r.id = c.report_id
           left join (select checklist_id, count(*) as n from items group by checklist_id) i on i.checklist_id = c.id
           left join (select checklist_id, count(*) as n from commands where checklist_id is not null
                      group by checklist_id) m on m.checklist_id = c.id
           order by r.path, c.position""")  # grouped once: a per-row count has no index to use
    return [{"ref": f"c{row['id']}", "kind": CHECKLIST_KINDS.get(row["kind"], "checklist"), "title": row["title"],
             "report": row["report"], "steps": row["steps"], "commands": row["commands"], "trusted": False,
             "author_trusted": False, "problem": "", "hand_written": False} for row in rows]


def _decision_trees(kb: KnowledgeBase) -> list[dict]:
    out = []
    for row in kb.store.rows("select f.*, r.path as report from flowcharts f join reports r on r.id = f.report_id "
                             "order by r.path, f.position"):
        kind = flowchart_kind(row)
        if kind == DIAGRAM:
            continue
        entry = {"ref": f"f{row['id']}", "kind": kind, "title": row["section"] or "Troubleshooting",
                 "report": row["report"], "steps": 0, "commands": 0, "trusted": False, "author_trusted": False,
                 "problem": "", "hand_written": False}
        try:
            tree = runbooks.load(kb, entry["ref"])
        except KBError as exc:
            entry["problem"] = str(exc)
        else:
            entry.update(title=tree.title, steps=len(tree.steps), commands=len(tree.commands()))
        out.append(entry)
    return out


# -- last runs -----------------------------------------------------------------------------------------

def last_runs(kb: KnowledgeBase) -> dict[str, dict]:
    """catalogue ref -> {"runs": N, "outcome": the last one's, "date": when it ended (or began)}."""
    seen: dict[str, dict] = {}  # run id -> {"runbook", "outcome", "date"}
    if kb.runs_dir.is_dir():
        for record in kb.runs_dir.glob("*.md"):
            front = front_matter_head(record)
            if front.get("runbook"):
                key = front.get("run") or record.name
                seen[key] = {"runbook": front["runbook"], "outcome": front.get("outcome") or "interrupted",
                             "date": front.get("end") or front.get("start") or ""}
    for run in _local_runs(kb):  # interrupted runs have no record yet
        seen.setdefault(run["id"], {"runbook": run["runbook"], "outcome": run["outcome"] or "interrupted",
                                    "date": run["ended"] or run["started"] or ""})
    out: dict[str, dict] = {}
    resolve = ref_resolver(kb)
    for run in sorted(seen.values(), key=lambda r: r["date"]):
        ref = resolve(run["runbook"])
        stats = out.setdefault(ref, {"runs": 0, "outcome": "", "date": ""})
        stats.update(runs=stats["runs"] + 1, outcome=run["outcome"], date=run["date"])
    return out


def front_matter_head(path) -> dict[str, str]:
    """A run record's front matter, read from the file's head only ({} when it has none or cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(_FRONT_MATTER_BYTES)
    except OSError:
        return {}
    lines = head.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    out = {}
    for line in lines[1:]:
        if line.strip() == "---":
            break
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _local_runs(kb: KnowledgeBase) -> list[dict]:
    if not (kb.derived_dir / "runs.sqlite").exists():
        return []
    from kb.runs.records import RunStore

    store = RunStore(kb)
    try:
        return [dict(row) for row in store.db.query("select id, runbook, outcome, started, ended from runs")]
    finally:
        store.close()
