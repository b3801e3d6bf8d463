"""Runbooks: what a run walks. From a checklist the parser extracted (`c5`), a hand-written
Markdown file in the KB's `runbooks/`, or a mermaid troubleshooting flowchart (a decision tree).

Hand-written format (documented in README):

    ---
    title: Deploy the API
    tags: deploy, api
    variables: SERVICE=api, PORT=8000
    ---
    # Deploy the API
    - [ ] include: health-checks
    - [ ] Restart the service
      ```bash
      sudo systemctl restart ${SERVICE:-api}
      # expected: exit 0
      ```

A file is found only inside `runbooks/` (after symlinks are followed), and so is every include: a
runbook can never pull a report's commands, or anything else on the disk, into a run. Each file read
is kept with the sha256 of its bytes (`Runbook.files`): what the operator trusts (kb.runs.trust) is
exactly the content that was parsed, so nothing can change between the check and the run.
`trusted: true` in front matter is only the author's suggestion (`Runbook.author_trusted`).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kb.store import queries
from kb.runs.expect import question_check
from kb.parse.flowchart import DECISION_TREE, is_question, join_label, start_node
from kb.store.knowledge_base import KBError, KnowledgeBase
from kb.parse.report import parse_report, split_front_matter
from kb.parse.tree_commands import node_command, report_programs

_INCLUDE_RE = re.compile(r"^\s*(?:include|包含|引用)\s*[:：]\s*`?([\w./-]+)`?\s*$", re.IGNORECASE)
_STABLE_RE = re.compile(r"^(.+\.(?:md|markdown|txt))#(\d+)$")
_SLUG_RE = re.compile(r"[^a-z0-9\u3400-\u9fff]+")


class NoSuchRunbook(KBError):
    """Nothing in the KB has that name: not a file in runbooks/, nor a checklist or flowchart id or title."""


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
    source: str = ""  # the included file (KB path) the step comes from; "" for the runbook's own steps


@dataclass
class Runbook:
    name: str
    title: str
    source: str
    steps: list[Step]
    author_trusted: bool = False  # front matter `trusted: true`: the author's suggestion, never a decision
    variables: dict[str, str] = field(default_factory=dict)
    decision_tree: bool = False
    start: str = ""  # first node of a decision tree
    files: list[tuple[str, str]] = field(default_factory=list)  # (KB path, sha256): the file, then its includes

    @property
    def hand_written(self) -> bool:
        """A file in runbooks/ (only these can be trusted); a checklist or tree of a report has no files."""
        return bool(self.files)

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
            raise NoSuchRunbook(f"no checklist {name} (the report changed or is gone)")
        return _from_checklist(kb, rows[0]["id"])
    if re.fullmatch(r"[fF]\d+", name):
        return _from_flowchart(kb, int(name[1:]))
    path = _runbook_file(kb, name)
    if path is not None:
        return _from_file(kb, path, chain=())
    matches = kb.store.rows("select id, title from checklists where lower(title) like ? order by id",
                            [f"%{name.lower()}%"])
    if len(matches) == 1:
        return _from_checklist(kb, matches[0]["id"])
    if len(matches) > 1:
        options = ", ".join(f"c{m['id']} {m['title']}" for m in matches[:5])
        raise KBError(f"{name} matches {len(matches)} checklists ({options}); give its id")
    raise NoSuchRunbook(f"no runbook {name}: not a file in {kb.runbooks_dir}, nor a checklist, procedure or "
                        "decision tree by id or title (see: runbook list runbooks)")


def _runbook_file(kb: KnowledgeBase, name: str) -> Path | None:
    """The file in runbooks/ that NAME means (`deploy`, `deploy.md`, `runbooks/deploy.md`), or None.

    A name that reaches a file outside runbooks/ (`reports/x.md`, `../reports/x`, an absolute path, a
    symlink out) is refused in one line: reports are run by their refs (`c5`, `f2`) and always ask."""
    for candidate in (kb.runbooks_dir / name, kb.runbooks_dir / f"{name}.md", kb.root / name):
        if candidate.is_file() and candidate.suffix in (".md", ".markdown"):
            if not _inside_runbooks(kb, candidate):
                raise KBError(f"{name}: not a runbook: only files in {_RUNBOOKS}/ run by name (a report's "
                              "checklists and trees run by their refs, see: runbook list runbooks)")
            return candidate
    return None


def runbook_file(kb: KnowledgeBase, name: str) -> Path | None:
    """The file in runbooks/ that NAME means, or None (a KBError for a name that reaches outside it)."""
    return _runbook_file(kb, name)


_RUNBOOKS = "runbooks"
MAX_INCLUDE_DEPTH = 10


def _inside_runbooks(kb: KnowledgeBase, path: Path) -> bool:
    """Is path, with every symlink followed, a file inside the KB's runbooks/?"""
    try:
        path.resolve(strict=True).relative_to(kb.runbooks_dir.resolve())
    except (OSError, ValueError):
        return False
    return True


def kb_path(kb: KnowledgeBase, path: Path) -> str:
    """A runbook file's KB path as trust records it: `runbooks/<its real name>` (symlinks followed)."""
    relative = path.resolve().relative_to(kb.runbooks_dir.resolve())
    return f"{_RUNBOOKS}/{relative.as_posix()}"


def _include_file(kb: KnowledgeBase, including: Path, name: str) -> Path:
    """The runbook an `include:` step names: a file in runbooks/, never anything else."""
    parts = PurePosixPath(name).parts
    if name.startswith(("/", "~")) or ".." in parts or "\\" in name:
        raise KBError(f"{including.name}: include {name!r} must name a runbook in {_RUNBOOKS}/ "
                      "(no '..', no absolute path)")
    for candidate in (kb.runbooks_dir / name, kb.runbooks_dir / f"{name}.md"):
        if candidate.is_file() and candidate.suffix in (".md", ".markdown"):
            if not _inside_runbooks(kb, candidate):
                raise KBError(f"{including.name}: include {name!r} is a link to a file outside {_RUNBOOKS}/ "
                              f"({candidate.resolve()}): refused")
            return candidate
    raise KBError(f"{including.name}: includes {name!r}, which is not in {_RUNBOOKS}/")


def _read(path: Path, kb: KnowledgeBase | None = None, here: str | None = None) -> tuple[str, str]:
    """The file's text and the sha256 of the very bytes it was decoded from. With kb and here (the KB path
    its name was checked as), the file read must be that one: a link swapped between the check and the read
    (to a report, or out of the KB) is refused, not run under the checked name."""
    from kb.parse.decode import MAX_BYTES, DecodeError, decode_report

    try:
        with open(path, "rb") as handle:
            if kb is not None and here is not None and not _opened_is(handle.fileno(), kb, here):
                raise KBError(f"{path}: it changed into another file while it was read (a link swapped?): refused")
            if os.fstat(handle.fileno()).st_size > MAX_BYTES:
                raise KBError(f"{path}: too large for a runbook")
            data = handle.read(MAX_BYTES + 1)
        return decode_report(data, str(path)), hashlib.sha256(data).hexdigest()
    except DecodeError as exc:
        raise KBError(str(exc)) from None
    except OSError as exc:
        raise KBError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _opened_is(fd: int, kb: KnowledgeBase, here: str) -> bool:
    """Is the open file descriptor the file runbooks/... that `here` names? Asked of the descriptor itself
    (Linux's /proc/self/fd), or else by comparing it with what that path is now."""
    expected = kb.runbooks_dir.resolve() / here.removeprefix(f"{_RUNBOOKS}/")
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}")) == expected
    except OSError:
        pass
    try:
        opened, named = os.fstat(fd), os.stat(expected, follow_symlinks=False)
    except OSError:
        return False
    return (opened.st_dev, opened.st_ino) == (named.st_dev, named.st_ino)


def _from_checklist(kb: KnowledgeBase, checklist_id: int) -> Runbook:
    try:
        checklist = queries.get_checklist(kb.store, checklist_id)
    except queries.NotFound:
        raise NoSuchRunbook(f"no checklist c{checklist_id} (see: runbook list runbooks)") from None
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
        raise NoSuchRunbook(f"no flowchart f{chart_id} (see: runbook list runbooks)")
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


def _from_file(kb: KnowledgeBase, path: Path, chain: tuple[str, ...]) -> Runbook:
    """A hand-written runbook with its includes inlined; `chain` is the files including this one."""
    here = kb_path(kb, path)
    if here in chain:
        raise KBError(f"{path.name}: include cycle ({' -> '.join((*chain, here))})")
    if len(chain) >= MAX_INCLUDE_DEPTH:
        raise KBError(f"{path.name}: includes nest deeper than {MAX_INCLUDE_DEPTH} files ({' -> '.join(chain)})")
    chain = (*chain, here)
    text, digest = _read(path, kb, here)
    front, _ = split_front_matter(text)
    report = parse_report(text, path.name)
    name = path.stem
    author_trusted = front.get("trusted", "").lower() in ("true", "yes", "1")
    variables = _declared(front.get("variables", ""))
    files = [(here, digest)]
    trees = [chart for chart in report.flowcharts if chart.kind == DECISION_TREE]
    if trees and not report.checklists:
        chart = trees[0]
        tree = decision_tree(name, report.title, here, chart.nodes, chart.edges,
                             report_programs(c.command for c in report.commands if c.lang != "inline"))
        tree.author_trusted, tree.variables, tree.files = author_trusted, variables, files
        return tree
    steps: list[Step] = []
    for index, checklist in enumerate(report.checklists):
        for item_index, item in enumerate(checklist.items):
            include = _INCLUDE_RE.match(item.text.replace("`", ""))
            if include:
                included = _from_file(kb, _include_file(kb, path, include.group(1)), chain)
                for step in included.steps:
                    step.source = step.source or included.source
                steps.extend(included.steps)
                files += [file for file in included.files if file not in files]
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
    return Runbook(name=name, title=front.get("title") or report.title, source=here, steps=steps,
                   author_trusted=author_trusted, variables=variables, files=files)


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
---
# {title}

Steps run one at a time; a command runs only when you say so, after you have seen it.
To run it unattended (`runbook run {name} --no-tui --yes`, in cron or CI), first read what it
runs and trust it on your machine: `runbook trust {name}`. Trust is yours, for this exact
content: after any edit (here or in a file it includes), `--yes` refuses it until you trust it
again. `include: other-runbook` as a step inlines `runbooks/other-runbook.md`.

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
    file.write_text(TEMPLATE.format(title=name, name=file.stem), encoding="utf-8")
    return str(file.relative_to(kb.root))
