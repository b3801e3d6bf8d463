"""A walkthrough as pages of Markdown: what the TUI shows one by one and a pipe gets whole.

Every item is a `###` block led by its ref (`e12 · …`, `c5 · …`) or its heading, then an italic
`*From …*` line naming the report it comes from; text quoted from reports has its own headings
turned into bold lines, so a page's structure is the walkthrough's, never a report's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.onboarding.drills import Drill
from kb.onboarding.errors import MAX_REFS
from kb.onboarding.model import ErrorEntry, Passage, Procedure, Walkthrough
from kb.parse.words import plural

_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE_RE = re.compile(r"^\s*(`{3,}|~{3,})")

READ, DRILL, DRY_RUN = "read", "drill", "dry-run"


@dataclass
class Page:
    title: str
    body: str  # Markdown
    kind: str = READ
    answer: str = ""  # a drill's recorded cause and fix, shown after the newcomer has answered
    drill: Drill | None = None
    procedure: Procedure | None = None  # what a dry run walks
    items: list[dict] = field(default_factory=list)


def quoted(text: str) -> str:
    """Report text inside a page: its headings become bold lines and an unclosed code fence is closed."""
    out, fence = [], None
    for line in (text or "").strip("\n").splitlines():
        opening = _FENCE_RE.match(line)
        if opening:
            marker = opening.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
            out.append(line)
            continue
        heading = _HEADING_RE.match(line) if fence is None else None
        out.append(f"**{heading.group(2)}**" if heading and heading.group(2) else line)
    if fence is not None:
        out.append(fence)
    return "\n".join(out)


def _plain_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _from(source, extra: str = "") -> str:
    if not source.path and not source.title:
        return ""
    return f"*From {source.describe()}*" + (f" · {extra}" if extra else "")


def _fenced(code: str, lang: str = "text") -> str:
    code = code.strip("\n")
    if code.lstrip().startswith(("```", "~~~")):
        return quoted(code)
    fence = "````" if "```" in code else "```"
    return f"{fence}{lang}\n{code}\n{fence}"


def error_block(entry: ErrorEntry) -> str:
    seen = f"seen {entry.seen} times in this KB" if entry.seen > 1 else ""
    first = entry.write_ups[0]
    lines = [f"### {', '.join(entry.refs[:MAX_REFS])} · {entry.title}", "", _from(first.source, seen), ""]
    if entry.section and _plain_words(entry.section) != _plain_words(entry.title):
        lines += [f"Section: {' '.join(entry.section.split())}", ""]
    shown = entry.log.strip() or entry.message.strip()
    if shown:
        if entry.message and entry.log and entry.message.splitlines()[0].strip() not in entry.log:
            shown = entry.message.splitlines()[0] + "\n" + shown
        lines += [_fenced(shown), ""]
    if entry.symptom.strip():
        lines += ["**Symptom**:", "", quoted(entry.symptom), ""]
    if entry.diagnosis.strip():
        lines += ["**Diagnosis**:", "", quoted(entry.diagnosis), ""]
    if len(entry.write_ups) == 1:
        lines += _write_up(first)
    else:
        lines += [f"Recorded with {len(entry.write_ups)} different causes and fixes:", ""]
        for write_up in entry.write_ups:
            more = f" and {len(write_up.refs) - MAX_REFS} more" if len(write_up.refs) > MAX_REFS else ""
            lines += [f"#### {', '.join(write_up.refs[:MAX_REFS])}{more}", "", _from(write_up.source), "",
                      *_write_up(write_up)]
    return "\n".join(lines).rstrip()


def _write_up(write_up) -> list[str]:
    lines = []
    if write_up.cause.strip():
        lines += ["**Why**:", "", quoted(write_up.cause), ""]
    if write_up.fix.strip():
        lines += ["**Fix**:", "", quoted(write_up.fix), ""]
    for label, code in (("Before", write_up.before), ("After", write_up.after)):
        if code.strip():
            lines += [f"**{label}**:", "", _fenced(code, ""), ""]
    if write_up.commits:
        lines += ["**Commits**: " + "; ".join(
            (f"`{c['sha'][:10]}` " if c.get("sha") else "") + (c.get("message") or "") for c in write_up.commits), ""]
    if not write_up.has_fix and not write_up.cause.strip():
        lines += ["*No cause or fix was written down for this one: read the report.*", ""]
    return lines


def step_lines(step, number: int) -> list[str]:
    """One step as a numbered list item: its text, its exact commands, what each should give, its choices."""
    indent = "   " * max(step.depth - 1, 0)
    lines = [f"{indent}{number}. {' '.join(step.text.split())}"]
    if step.detail.strip():
        lines += ["", *(f"{indent}   {line}" if line.strip() else "" for line in quoted(step.detail).splitlines())]
    for command in step.commands:
        comment = " ".join((command.get("comment") or "").split())
        if _plain_words(comment) in _plain_words(step.text):
            comment = ""  # the step already says it
        code = (f"# {comment.lstrip('# ')}\n" if comment else "") + command["command"]
        lines += ["", *(f"{indent}   {line}" for line in _fenced(code, "bash").splitlines())]
        if command.get("expected"):
            lines.append(f"{indent}   *expected*: {command['expected']}")
    for label, target in step.choices.items():
        lines.append(f"{indent}   - {label} → {' '.join(target.split())}")
    return lines + [""]


def procedure_steps(procedure: Procedure) -> list[str]:
    return [line for number, step in enumerate(procedure.steps, start=1) for line in step_lines(step, number)]


def procedure_block(procedure: Procedure) -> str:
    commands = sum(len(s.commands) for s in procedure.steps)
    facts = f"{procedure.kind}, {plural(len(procedure.steps), 'step')}, {plural(commands, 'command')}"
    lines = [f"### {procedure.ref} · {procedure.title}", "",
             _from(procedure.source, f"{facts} · `runbook run {procedure.ref}` walks it"), ""]
    return "\n".join(lines + procedure_steps(procedure)).rstrip()


def passage_block(passage: Passage) -> str:
    lines = [f"### {' '.join(passage.heading.split())}", "", _from(passage.source), ""]
    if passage.text.strip():
        lines.append(quoted(passage.text))
    return "\n".join(lines).rstrip()


def pages(walk: Walkthrough) -> list[Page]:
    """The generated walkthrough, page by page; pages with nothing to say are left out."""
    out = [_setup_page(walk)]
    for page in (_history_page(walk), _errors_page(walk), _procedures_page(walk), _lessons_page(walk)):
        if page is not None:
            out.append(page)
    return out + practice_pages(walk)


def _setup_page(walk: Walkthrough) -> Page:
    title = walk.title
    counts = (f"{plural(len(walk.reports), 'report')}, {plural(walk.error_count, 'error')}, "
              f"{plural(len(walk.procedures) + len(walk.more_procedures), 'procedure or checklist', 'procedures and checklists')}")
    intro = [f"What the team has written about **{title}** ({counts}). Every page is built from what "
             f"the reports say about {title} itself: the passages, errors, procedures and lessons that name it "
             f"({', '.join(f'`{n}`' for n in walk.names[:8])}{', …' if len(walk.names) > 8 else ''}).", ""]
    if walk.setup:
        intro += [f"How {title} is set up and deployed here, in the reports' own words:", ""]
        intro += [block for passage in walk.setup for block in (passage_block(passage), "")]
    else:
        intro += [f"No report describes how {title} is set up here yet; the pages that follow are what the "
                  "team met with it.", ""]
    return Page(f"How {title} is set up here", "\n".join(intro).rstrip())


def _history_page(walk: Walkthrough) -> Page | None:
    if not walk.history:
        return None
    lines = [f"The reports that met {walk.title}, oldest first, with what went wrong in each.", ""]
    undated = False
    for entry in walk.history:
        if entry.when is None and not undated:
            undated = True
            lines += ["Reports that give no date:", ""]
        lines += [f"### {entry.when + ' · ' if entry.when else ''}{entry.report.title}", "", f"*{entry.report.path}*", ""]
        lines += [f"- {ref} · {' '.join(title.split())}" for ref, title in entry.errors]
        lines += [f"- {' '.join(row.split())}" for row in entry.rows]
        lines.append("")
    return Page(f"What went wrong with {walk.title}, in time order", "\n".join(lines).rstrip())


def _errors_page(walk: Walkthrough) -> Page | None:
    if not walk.errors:
        return None
    lines = [f"The errors met with {walk.title}, most frequent first (those only a fix mentions {walk.title} in come "
             "after), each with its cause and the whole fix that worked. `runbook search` finds them again from a "
             "pasted log.", ""]
    lines += [block for entry in walk.errors for block in (error_block(entry), "")]
    if walk.more_errors:
        lines += [f"{plural(len(walk.more_errors), 'more error')} met with {walk.title} "
                  "(`runbook show ID` for each):", ""]
        lines += [f"- {ref} · {' '.join(title.split())}" for ref, title in walk.more_errors]
    return Page(f"The errors you will meet with {walk.title} ({walk.error_count}), most frequent first",
                "\n".join(lines).rstrip())


def _procedures_page(walk: Walkthrough) -> Page | None:
    if not walk.procedures:
        return None
    lines = [f"The procedures and checklists that touch {walk.title}. `runbook run REF --dry-run` shows what one "
             "would do; `runbook run REF` walks it, asking before every command.", ""]
    lines += [block for procedure in walk.procedures for block in (procedure_block(procedure), "")]
    if walk.more_procedures:
        lines += ["More of them:", ""] + [f"- {ref} · {' '.join(t.split())}" for ref, t in walk.more_procedures]
    return Page(f"Procedures and checklists that touch {walk.title}", "\n".join(lines).rstrip())


def _lessons_page(walk: Walkthrough) -> Page | None:
    if not walk.lessons:
        return None
    lines = [f"What the team learned about {walk.title}.", ""]
    lines += [block for passage in walk.lessons for block in (passage_block(passage), "")]
    return Page(f"Lessons learned about {walk.title}", "\n".join(lines).rstrip())


def practice_pages(walk: Walkthrough) -> list[Page]:
    out = []
    for number, drill in enumerate(walk.drills, start=1):
        out.append(Page(f"Practice: drill {number} of {len(walk.drills)}", drill_question(drill), kind=DRILL,
                        answer=drill_answer(drill), drill=drill))
    if walk.dry_run is not None:
        out.append(Page(f"Practice: a dry run of {walk.dry_run.ref}", dry_run_body(walk.dry_run), kind=DRY_RUN,
                        procedure=walk.dry_run))
    return out


def drill_question(drill: Drill) -> str:
    return "\n".join([
        "Another machine printed this:", "", _fenced(drill.shown), "",
        "**What would you do?** Say it, or write it down, before you read the recorded fix."])


def drill_answer(drill: Drill) -> str:
    lines = [f"#### The recorded fix: {drill.ref} · {drill.title}", "", f"*From {drill.report}*", ""]
    if drill.cause.strip():
        lines += ["**Why**:", "", quoted(drill.cause), ""]
    lines += ["**Fix**:", "", quoted(drill.fix)]
    return "\n".join(lines).rstrip()


def dry_run_body(procedure: Procedure) -> str:
    return "\n".join([dry_run_intro(procedure), ""] + procedure_steps(procedure)).rstrip()


def dry_run_intro(procedure: Procedure) -> str:
    lines = [f"A dry run of **{procedure.title}** (`{procedure.ref}`): read each step and what its command would "
             f"do. Nothing runs here; `runbook run {procedure.ref} --dry-run` shows the same, "
             f"`runbook run {procedure.ref}` does it, asking before every command.", "",
             _from(procedure.source)]
    return "\n".join(lines).rstrip()


def as_markdown(topic_title: str, page_list: list[Page]) -> str:
    """The whole walkthrough as one Markdown document (`runbook onboard TOPIC` in a pipe, or `--all`)."""
    lines = [f"# Onboarding: {topic_title}", ""]
    for number, page in enumerate(page_list, start=1):
        lines += [f"## {number}. {page.title}", "", page.body, ""]
        if page.kind == DRILL and page.answer:
            lines += [page.answer, ""]
    return "\n".join(lines).rstrip() + "\n"
