"""Plain-text views of KB records for the terminal (`runbook show`)."""

from __future__ import annotations

from kb.parse.escapes import neutralise
from kb.parse.words import plural
from runbook.shown_passages import passages_to_show


def render_record(kind: str, record: dict) -> str:
    return {"report": render_report, "error": render_error, "checklist": render_checklist,
            "flowchart": render_flowchart}[kind](record)


def _sha_and(sha: str | None, message: str) -> str:
    """A commit a report names: its SHA then its message; a commit named without a SHA is just its message."""
    return f"{sha}  {message}" if sha else message or "(a commit the report names without a SHA)"


def _block(title: str, body: str) -> list[str]:
    body = (body or "").strip()
    if not body:
        return []
    return [f"{title}:", *("  " + line for line in body.splitlines()), ""]


def render_error(error: dict) -> str:
    lines = [f"{error['ref']}  {error['title']}", f"  message: {error['message']}",
             f"  report:  {error['report']['title']} ({error['report']['path']}, line {error['line']})", ""]
    for title, key in (("Log", "log"), ("Symptom", "symptom"), ("Impact", "impact"), ("Root cause", "root_cause"),
                       ("Diagnosis", "diagnosis"), ("Fix", "fix"), ("Before", "before"), ("After", "after")):
        lines += _block(title, error.get(key, ""))
    if error.get("commits"):
        lines.append("Commits:")
        lines += [f"  {_sha_and(c['sha'], c['message'])}" for c in error["commits"]]
        lines.append("")
    if error.get("repo_commits"):
        lines.append("Fix commits in the project's history:")
        for commit in error["repo_commits"]:
            lines.append(f"  {commit['sha'][:12]}  {commit['message']}  ({commit['author']}, {commit['date'][:10]}; "
                         f"{commit['how']})")
            if commit["files"]:
                lines.append(f"    files: {', '.join(commit['files'][:10])}")
        lines.append("  (runbook show " + error["ref"] + " --diff prints the changes)")
        lines.append("")
    if len(error.get("sources", [])) > 1:
        lines.append("Seen in: " + ", ".join(f"{s['kind']} at line {s['line']}" for s in error["sources"]))
    return "\n".join(lines).rstrip()


def render_checklist(checklist: dict) -> str:
    phase = f", {checklist['phase']}" if checklist.get("phase") else ""
    lines = [f"{checklist['ref']}  {checklist['title']}  ({checklist['kind']}{phase})",
             f"  report: {checklist['report']['title']} ({checklist['report']['path']})", ""]
    for number, item in enumerate(checklist["items"], start=1):
        box = {None: "-", True: "[x]", False: "[ ]"}[item["checked"]]
        indent = "  " * max(item["depth"] - 1, 0)
        lines.append(f"{indent}{number:>2}. {box} {item['text']}")
        for command in item["commands"]:
            lines.append(f"{indent}      $ {command['command']}")
            if command["expected"]:
                lines.append(f"{indent}        expected: {command['expected']}")
    return "\n".join(lines)


def render_flowchart(chart: dict) -> str:
    """A flowchart as its steps: each node, its command, and where each answer leads."""
    runnable = chart["kind"] != "diagram"
    lines = [f"{chart['ref']}  {neutralise(chart['section'] or 'Flowchart')}  ({chart['kind']})",
             f"  report: {neutralise(chart['report']['title'])} ({chart['report']['path']}, line {chart['line']})", ""]
    texts = {node["id"]: node["text"] for node in chart["nodes"]}
    steps = chart.get("steps")
    if steps:
        for number, step in enumerate(steps, start=1):
            lines.append(f"{number:>3}. {neutralise(step['title'])}")
            for command in step["commands"]:
                note = f"   # {neutralise(command['note'])}" if command.get("note") else ""
                lines.append(f"       $ {neutralise(command['command'])}{note}")
            for label, target in step["choices"].items():
                lines.append(f"       {neutralise(label)} -> {neutralise(texts.get(target, target))}")
    else:
        for node in chart["nodes"]:
            lines.append(f"  - {neutralise(node['text'])}")
            for edge in chart["edges"]:
                if edge["src"] == node["id"]:
                    label = f"{neutralise(edge['label'])}: " if edge.get("label") else ""
                    lines.append(f"      {label}-> {neutralise(texts.get(edge['dst'], edge['dst']))}")
    lines += ["", f"(runbook run {chart['ref']} walks it)" if runnable else
              "(a diagram, not a decision tree: it is shown, not walked)"]
    return "\n".join(lines)


def render_report(report: dict) -> str:
    lines = [f"{report['ref']}  {report['title']}", f"  path: {report['path']}  lang: {report['lang']}"]
    lines += [f"  {key}: {value}" for key, value in report["meta"].items()]
    lines.append("")
    sections = (
        ("Errors", report["errors"], lambda e: f"{e['ref']}  {e['message'][:100]}"),
        ("Commits", report["commits"], lambda c: _sha_and(c["sha"], c["message"])),
        ("Checklists", report["checklists"], lambda c: f"{c['ref']}  {c['title']} ({plural(len(c['items']), 'item')})"),
        ("Commands", report["commands"], lambda c: f"$ {c['command'].splitlines()[0]}"),
        ("Flowcharts", report["flowcharts"],
         lambda f: f"{f['ref']}  {f['section']}: {plural(len(f['nodes']), 'node')}, {plural(len(f['edges']), 'edge')} "
                   + (f"(decision tree: runbook run {f['ref']} walks it)" if f["kind"] == "decision tree"
                      else "(diagram: shown in the report, not runnable)")),
        ("Lessons", report["lessons"], lambda lesson: f"- {lesson['title']}"),
    )
    for title, records, line in sections:
        if records:
            lines += [f"{title} ({len(records)}):", *(f"  {line(record)}" for record in records), ""]
    if report["timeline"]:
        lines.append(f"Timeline ({plural(len(report['timeline']), 'entry', 'entries')})")
    return "\n".join(lines).rstrip()


def _excerpt(text: str, lines: int = 6, width: int = 110) -> list[str]:
    out = []
    for line in (text or "").strip().splitlines():
        if not line.strip():
            continue
        out.append(line if len(line) <= width else line[: width - 1] + "…")
        if len(out) == lines:
            out.append("…")
            break
    return out


def _is_list_item(line: str) -> bool:
    import re

    return re.match(r"\s*(?:[-*+]|\d+[.)])\s", line) is not None


def highlight(text: str, matched: list[str], color: bool) -> str:
    """Mark the words of text that the query matched (bold yellow on a terminal, «» otherwise)."""
    from kb.search.analysis import iter_terms

    wanted = set(matched)
    spans = sorted({(s, e) for term, s, e in iter_terms(text) if term in wanted})
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        out.append(text[last:start])
        word = text[start:end]
        out.append(_style(word, "\x1b[33m\x1b[1m") if color else f"«{word}»")
        last = end
    out.append(text[last:])
    return "".join(out)


FIX_LINES = 40  # a fix longer than this is cut, with where to read the rest
PASSAGE_LINES = 6  # lines of each linked passage shown under a result


def confidence_note(result) -> str:
    """How sure an answer is, said the same way in the CLI, the TUI and (as numbers) the JSON: its
    confidence, and whether it is only a possible match or ties with another report's answer."""
    note = f"confidence {result.confidence:.2f}"
    if result.weak:
        note += ", a possible match"
    if getattr(result, "tied", False):
        note += ", about equal to another report's"
    return note


def tie_note(results) -> str:
    """A line saying which answers come from reports that answer about equally, or ''."""
    tied = [rank for rank, result in enumerate(results, start=1) if getattr(result, "tied", False)]
    if len(tied) < 2:
        return ""
    return (f"{len(tied)} reports answer about equally: compare "
            + ", ".join(str(rank) for rank in tied[:-1]) + f" and {tied[-1]}")


def where_to_read(result) -> str:
    """The command that shows all of a result: its error, or the report a passage or commit comes from."""
    if result.kind == "error" and result.ref.startswith("e"):
        return f"runbook show {result.ref}"
    if result.kind == "commit" and result.commits:
        return f"git -C {result.report['path']} show {result.commits[0]['sha'][:10]}"
    return f"runbook show {result.report['path']}"


def _whole(text: str, limit: int, pointer: str) -> list[str]:
    """The non-blank lines of text, all of them up to limit; past it, the first limit and where the rest is."""
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    if len(lines) <= limit:
        return lines
    return lines[:limit] + [f"… {len(lines) - limit} more lines: {pointer}"]


def render_results(results, color: bool = False) -> str:
    """The search answer for people: what matched, the cause, the whole fix, the commits, the source.
    A fix is shown whole up to FIX_LINES lines; a longer one, or a linked passage past PASSAGE_LINES,
    ends with the command that shows the rest."""
    lines: list[str] = []
    tie = tie_note(results)
    if tie:
        lines += [tie, ""]
    for rank, result in enumerate(results, start=1):
        pointer = where_to_read(result)
        seen = f", seen in {result.seen_in} reports" if result.seen_in > 1 else ""
        seen += "  (a passage of this report)" if result.kind == "passage" else ""
        head = f"{rank}. {neutralise(result.title)}"
        lines.append((_style(head, "\x1b[1m") if color else head) + f"  [{result.ref}, {confidence_note(result)}{seen}]")
        lines.append("   " + highlight(neutralise(result.message), result.matched, color))
        if result.kind == "passage" and result.passages:
            lines.append(f"   in: {neutralise(result.passages[0]['heading'])} (line {result.passages[0]['line']})")
        for label, text, limit in (("cause", result.root_cause, PASSAGE_LINES), ("fix", result.fix, FIX_LINES)):
            excerpt = _whole(neutralise(text), limit, pointer)
            if excerpt and _is_list_item(excerpt[0]):  # a list starts under its label, not after it
                lines.append(f"   {label}:")
                lines += [f"   {' ' * len(label)}  {line}" for line in excerpt]
            elif excerpt:
                lines.append(f"   {label}: {excerpt[0]}")
                lines += [f"   {' ' * len(label)}  {line}" for line in excerpt[1:]]
        for commit in result.commits[:5]:
            lines.append(f"   commit: {_sha_and(commit['sha'], neutralise(commit['message'] or ''))}")
        for passage in passages_to_show(result.passages, result.message, result.fix, limit=2):
            lines.append(f"   from: {neutralise(passage['heading'])} (line {passage['line']})")
            lines += [f"         {line}" for line in _whole(neutralise(passage["text"]), PASSAGE_LINES, pointer)]
        lines.append(f"   report: {neutralise(result.report['title'])} ({result.report['path']})")
        lines.append("")
    return "\n".join(lines).rstrip()


def terminal_markdown(text: str, width: int | None = None) -> str:
    """Markdown as a terminal shows it (bold, lists, code blocks), for pages read in `runbook onboard`.

    The text is neutralised first: only rich's own styling reaches the terminal."""
    import shutil
    from io import StringIO

    from rich.console import Console
    from rich.markdown import Markdown

    out = StringIO()
    console = Console(file=out, force_terminal=True, width=width or min(shutil.get_terminal_size().columns, 100),
                      highlight=False)
    console.print(Markdown(neutralise(text), hyperlinks=False))
    return out.getvalue().rstrip("\n")


def render_dry_run(runbook, values: dict[str, str], header: bool = True, trust: str = "") -> str:
    """`runbook run --dry-run`: every step and the exact commands, each included step with the file it
    comes from; a tree's ways on name the node they lead to. `trust` is a line on where trust stands."""
    from kb.parse.variables import substitute
    from kb.runs.terminal import classify
    from runbook.step_text import needs_note

    kind = "decision tree" if runbook.decision_tree else "steps"
    lines = [f"{_one_line(runbook.title)}  ({_one_line(runbook.source)}, {len(runbook.steps)} "
             f"{'nodes' if runbook.decision_tree else kind}{'; a decision tree' if runbook.decision_tree else ''}; "
             "dry run: nothing runs)"] if header else []
    if trust:
        lines.append(f"  trust: {_one_line(trust)}")
    for number, step in enumerate(_walk_order(runbook), start=1):
        lines.append(f"{number:>3}. {_one_line(step.title)}"
                     + (f"   (from {_one_line(step.source)})" if getattr(step, "source", "") else ""))
        for command in step.commands:
            lines.append(f"       $ {neutralise(substitute(command.command, values))}"
                         + (f"   # {neutralise(command.note)}" if command.note else ""))
            if command.expected:
                lines.append(f"         expected: {neutralise(command.expected)}")
            note = needs_note(classify(substitute(command.command, values)))
            if note:
                lines.append(f"         {note}")
        if runbook.decision_tree:
            if len(step.choices) == 1:
                lines.append(f"       then: {_one_line(runbook.node_text(next(iter(step.choices.values()))))}")
            for label, target in (step.choices.items() if len(step.choices) > 1 else ()):
                text = _one_line(runbook.node_text(target))
                lines.append(f"       {_one_line(label)} -> {text}" if label != text else f"       -> {text}")
            if not step.choices:
                lines.append("       (an end)")
    return "\n".join(lines)


def dry_run_json(runbook, values: dict[str, str], trusted: bool = False, trust: str = "") -> dict:
    """`run --dry-run --json`: what the dry run prints, as data (commands after --var substitution; the
    placeholders left are listed under `variables` with their defaults)."""
    from kb.parse.variables import find_variables, mask, substitute

    kind = "decision tree" if runbook.decision_tree else "runbook" if runbook.hand_written else "checklist"
    found = find_variables(runbook.commands(), runbook.variables)
    secret = {v.name for v in found if v.secret}
    steps = []
    for number, step in enumerate(_walk_order(runbook), start=1):
        entry = {"number": number, "title": " ".join(step.title.split()), "detail": step.detail,
                 "depth": step.depth, "from": step.source or None,
                 "commands": [{"command": mask(substitute(c.command, values), values, secret), "expected": c.expected,
                               "note": c.note} for c in step.commands]}
        if runbook.decision_tree:
            entry["node"] = step.node
            entry["choices"] = {label: " ".join(runbook.node_text(target).split())
                                for label, target in step.choices.items()}
        steps.append(entry)
    variables = [{"name": v.name, "default": "" if v.secret else v.default, "secret": v.secret,
                  "given": v.name in values} for v in found]
    return {"ref": runbook.name, "title": " ".join(runbook.title.split()), "source": runbook.source, "kind": kind,
            "trusted": trusted, "trust": trust, "author_trusted": runbook.author_trusted, "variables": variables,
            "steps": steps}


def _walk_order(runbook) -> list:
    """Checklists in order; a tree from its start, each way followed to its end before the next, then any
    node not reached: so the listing reads like the walks it allows."""
    if not runbook.decision_tree or not runbook.start:
        return list(runbook.steps)
    order, stack, seen = [], [runbook.start], set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        step = runbook.steps[runbook.step_by_node(node)]
        order.append(step)
        stack.extend(reversed([target for target in step.choices.values() if target not in seen]))
    return order + [step for step in runbook.steps if step.node not in seen]


def _one_line(text: str) -> str:
    return neutralise(" ".join(text.split()))


def _style(text: str, codes: str) -> str:
    """ANSI styling as click.style writes it (yellow 33, bold 1, reset 0), without importing click:
    `runbook search` prints through this module."""
    return f"{codes}{text}\x1b[0m"
