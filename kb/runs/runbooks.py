"""Runbooks: what a run walks. From a checklist the parser extracted (`c5`), a hand-written
Markdown file in the KB's `runbooks/`, or a mermaid troubleshooting flowchart (a decision tree).

Hand-written format (documented in README):

    ---
    title: Deploy the API
    tags: deploy, api
    variables: SERVICE=api, PORT=8000
    trusted: false
    ---
    # Deploy the API
    - [ ] include: health-checks
    - [ ] Restart the service
      ```bash
      sudo systemctl restart ${SERVICE:-api}
      # expected: exit 0
      ```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.store import queries
from kb.runs.expect import question_check
from kb.parse.flowchart import DECISION_TREE, is_question, join_label, start_node
from kb.store.knowledge_base import KBError, KnowledgeBase
from kb.parse.report import parse_report, split_front_matter
from kb.parse.tree_commands import node_command, report_programs

_INCLUDE_RE = re.compile(r"^\s*(?:include|包含|引用)\s*[:：]\s*`?([\w./-]+)`?\s*$", re.IGNORECASE)
_STABLE_RE = re.compile(r"^(.+\.(?:md|markdown|txt))#(\d+)$")
_SLUG_RE = re.compile(r"[^a-z0-9\u3400-\u9fff]+")


@dataclass
class StepCommand:
    command: str
    expected: str = ""
    comment: str = ""
    note: str = ""  # what a tree node's label says beside its command (`ss -ltnp 查占用进程`): shown, never run


@dataclass
class Step:
    title: str
    detail: str = ""
    commands: list[StepCommand] = field(default_factory=list)
    depth: int = 1  # 2 for a sub-item of the step before (nested in the checklist)
    node: str = ""  # flowchart node id, for decision-tree runbooks
    choices: dict[str, str] = field(default_factory=dict)  # edge label -> next node id


@dataclass
class Runbook:
    name: str
    title: str
    source: str
    steps: list[Step]
    trusted: bool = False
    variables: dict[str, str] = field(default_factory=dict)
    decision_tree: bool = False
    start: str = ""  # first node of a decision tree

    def commands(self) -> list[str]:
        return [c.command for step in self.steps for c in step.commands]

    def step_by_node(self, node: str) -> int:
        return next(i for i, step in enumerate(self.steps) if step.node == node)

    def node_text(self, node: str) -> str:
        return next((step.title for step in self.steps if step.node == node), node)


def slug(text: str) -> str:
    return _SLUG_RE.sub("-", text.lower()).strip("-")[:60] or "runbook"


def load(kb: KnowledgeBase, name: str) -> Runbook:
    """Resolve a runbook by id (`c5`, `f2`), file name in runbooks/, or checklist title."""
    name = name.strip()
    if re.fullmatch(r"[cC]\d+", name):
        return _from_checklist(kb, int(name[1:]))
    stable = _STABLE_RE.match(name)
    if stable:  # reports/x.md#3: the 3rd checklist of that report, whatever its id is today
        rows = kb.store.rows("select c.id from checklists c join reports r on r.id = c.report_id "
                             "where r.path = ? and c.position = ?", [stable.group(1), int(stable.group(2)) - 1])
        if not rows:
            raise KBError(f"no checklist {name} (the report changed or is gone)")
        return _from_checklist(kb, rows[0]["id"])
    if re.fullmatch(r"[fF]\d+", name):
        return _from_flowchart(kb, int(name[1:]))
    path = _runbook_file(kb, name)
    if path is not None:
        return _from_file(kb, path, seen=set())
    matches = kb.store.rows("select id, title from checklists where lower(title) like ? order by id",
                            [f"%{name.lower()}%"])
    if len(matches) == 1:
        return _from_checklist(kb, matches[0]["id"])
    if len(matches) > 1:
        options = ", ".join(f"c{m['id']} {m['title']}" for m in matches[:5])
        raise KBError(f"{name!r} matches {len(matches)} checklists ({options}); give its id")
    raise KBError(f"no runbook {name!r}: not a file in {kb.runbooks_dir}, nor a checklist id or title "
                  "(see: runbook list checklists)")


def _runbook_file(kb: KnowledgeBase, name: str):
    for candidate in (kb.runbooks_dir / name, kb.runbooks_dir / f"{name}.md", kb.root / name):
        if candidate.is_file() and candidate.suffix in (".md", ".markdown"):
            return candidate
    return None


def _from_checklist(kb: KnowledgeBase, checklist_id: int) -> Runbook:
    try:
        checklist = queries.get_checklist(kb.store, checklist_id)
    except queries.NotFound:
        raise KBError(f"no checklist c{checklist_id} (see: runbook list checklists)") from None
    steps = [Step(title=item["text"], detail=item.get("detail") or "", depth=item.get("depth") or 1,
                  commands=[StepCommand(c["command"], c["expected"], c["comment"]) for c in item["commands"]])
             for item in checklist["items"]]
    # c5 is stable (kb/refs.py): the same checklist after a reindex and on every clone
    return Runbook(name=checklist["ref"], title=checklist["title"], steps=steps,
                   source=f"{checklist['report']['path']} ({checklist['title']})")


def _from_flowchart(kb: KnowledgeBase, chart_id: int) -> Runbook:
    rows = kb.store.rows("select f.*, r.path, r.title as report_title from flowcharts f "
                         "join reports r on r.id = f.report_id where f.id = ?", [chart_id])
    if not rows:
        raise KBError(f"no flowchart f{chart_id} (see: runbook list runbooks)")
    row = rows[0]
    chart = queries.flowchart_record(row)
    if chart["kind"] != DECISION_TREE:
        raise KBError(f"f{chart_id} is a diagram ({row['section'] or row['path']}): it asks nothing and "
                      "leads nowhere to walk, so it is shown in the report but not run")
    programs = report_programs(r["command"] for r in kb.store.rows(
        "select command from commands where report_id = ? and lang != 'inline'", [row["report_id"]]))
    return decision_tree(f"f{chart_id}", tree_title(row["section"], row["report_title"]),
                         f"{row['path']} ({row['section']})", chart["nodes"], chart["edges"], programs)


def tree_title(section: str, report_title: str) -> str:
    """A tree's name: its section, less the report's own title in front ("Report / Troubleshooting")."""
    parts = [part.strip() for part in (section or "").split(" / ") if part.strip()]
    if len(parts) > 1 and parts[0] == (report_title or "").strip():
        parts = parts[1:]
    return " / ".join(parts) or "Troubleshooting"


def decision_tree(name: str, title: str, source: str, nodes: list[dict], edges: list[dict],
                  programs: frozenset[str] = frozenset()) -> Runbook:
    """A flowchart as a runbook: each node a step; a node with several ways out asks which.

    A node whose label holds a command (`运行 docker-compose ps`, `curl http://…/health`,
    `ss -ltnp 查占用进程`; kb.parse.tree_commands says which do) gets it as the step's
    command, with the rest of the label as its note; a question right after it
    (`返回200?`) becomes the command's expected result when it says something checkable.
    `programs`: what the tree's report runs in its shell blocks, taken as programs in its labels too.
    """
    by_id = {node["id"]: node for node in nodes}
    steps = []
    for node in nodes:
        outgoing = [edge for edge in edges if edge["src"] == node["id"]]
        choices: dict[str, str] = {}
        for edge in outgoing:
            label = edge["label"] or by_id.get(edge["dst"], {}).get("text", edge["dst"])
            if label in choices:  # two unlabelled ways to nodes of the same text
                label = f"{label} ({edge['dst']})"
            choices[label] = edge["dst"]
        commands = []
        found = node_command(node["text"], programs)
        if found:
            after = [by_id[e["dst"]] for e in outgoing if e["dst"] in by_id]
            expected = question_check(after[0]["text"], found.command) \
                if len(after) == 1 and is_question(after[0]) else ""
            commands.append(StepCommand(found.command, expected, note=found.note))
        steps.append(Step(title=join_label(node["text"]), node=node["id"], choices=choices, commands=commands))
    start = start_node(nodes, edges) or (nodes[0]["id"] if nodes else "")
    return Runbook(name=name, title=title, source=source, steps=steps, decision_tree=True, start=start)


def _from_file(kb: KnowledgeBase, path, seen: set[str]) -> Runbook:
    key = str(path.resolve())
    if key in seen:
        raise KBError(f"{path.name}: includes itself (include cycle)")
    seen = seen | {key}
    from kb.parse.decode import DecodeError
    from kb.parse.decode import read_text

    try:
        text = read_text(path)
    except DecodeError as exc:
        raise KBError(str(exc)) from None
    front, _ = split_front_matter(text)
    report = parse_report(text, path.name)
    name = path.stem
    trusted = front.get("trusted", "").lower() in ("true", "yes", "1")
    variables = _declared(front.get("variables", ""))
    trees = [chart for chart in report.flowcharts if chart.kind == DECISION_TREE]
    if trees and not report.checklists:
        chart = trees[0]
        tree = decision_tree(name, report.title, str(path.relative_to(kb.root)), chart.nodes, chart.edges,
                             report_programs(c.command for c in report.commands if c.lang != "inline"))
        tree.trusted, tree.variables = trusted, variables
        return tree
    steps: list[Step] = []
    for index, checklist in enumerate(report.checklists):
        for item_index, item in enumerate(checklist.items):
            include = _INCLUDE_RE.match(item.text.replace("`", ""))
            if include:
                other = _runbook_file(kb, include.group(1))
                if other is None:
                    raise KBError(f"{path.name}: includes {include.group(1)!r}, which is not in {kb.runbooks_dir}")
                included = _from_file(kb, other, seen)
                steps.extend(included.steps)
                variables = {**included.variables, **variables}
                continue
            commands = [StepCommand(c.command, c.expected, c.comment) for c in report.commands
                        if c.checklist == index and c.item == item_index]
            steps.append(Step(title=item.text, detail=item.detail, depth=item.depth, commands=commands))
    if not steps:  # no task list: every command is a step
        steps = [Step(title=c.comment or c.command, commands=[StepCommand(c.command, c.expected, c.comment)])
                 for c in report.commands]
    if not steps:
        raise KBError(f"{path.name}: no steps (write a task list `- [ ] step` or a bash block)")
    return Runbook(name=name, title=front.get("title") or report.title, source=str(path.relative_to(kb.root)),
                   steps=steps, trusted=trusted, variables=variables)


def _declared(text: str) -> dict[str, str]:
    out = {}
    for part in re.split(r"[,;]", text):
        key, _, value = part.partition("=")
        if key.strip():
            out[key.strip()] = value.strip()
    return out


TEMPLATE = """---
title: {title}
tags: deploy
variables: SERVICE=my-service, PORT=8000
trusted: false
---
# {title}

Steps run one at a time; a command runs only when you say so, after you have seen it.

## Pre-deploy

- [ ] Check the service is healthy before you start
  ```bash
  curl -fsS -i http://localhost:${{PORT:-8000}}/health
  # expected: HTTP 200
  ```
- [ ] Confirm the release notes are reviewed

## Deploy

- [ ] Restart the service
  ```bash
  sudo systemctl restart ${{SERVICE}}
  # expected: exit 0
  ```

## Post-deploy

- [ ] Check it came back
  ```bash
  systemctl is-active ${{SERVICE}}
  # expected: active
  ```
"""


def scaffold(kb: KnowledgeBase, name: str) -> str:
    """Write runbooks/<name>.md from the template; returns its KB path."""
    file = kb.runbooks_dir / f"{slug(name)}.md"
    if file.exists():
        raise KBError(f"{file} already exists")
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(TEMPLATE.format(title=name), encoding="utf-8")
    return str(file.relative_to(kb.root))
