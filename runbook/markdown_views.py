"""Markdown for the TUI's detail panes, built from kb.store.queries / kb.search records.

Pure functions of plain dicts, so they are tested without the UI. Every piece
of report text passes through `neutralise` (reports are untrusted input).
"""

from __future__ import annotations

import re

from kb.parse.escapes import neutralise
from kb.parse.words import plural
from runbook.shown_passages import passages_to_show

_FENCE_RE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)
_INLINE_RE = re.compile(r"`([^`\n]{3,200})`")
_COMMAND_START_RE = re.compile(
    r"^(?:sudo\s+)?(?:systemctl|docker|kubectl|git|npm|bun|pnpm|yarn|pip|uv|python3?|curl|nginx|certbot|psql|"
    r"redis-cli|mongosh|journalctl|helm|apt(?:-get)?|chmod|chown|ln|rm|mv|cp|mkdir|export|ss|lsof|kill|pm2|"
    r"sysctl|echo|cat|tee|make|go|cargo|alembic|coolify|aws|ssh|rsync|openssl|nixpacks|reflex)\b"
)


def _text(value) -> str:
    return neutralise(str(value or "")).strip()


def _code(code: str, lang: str = "") -> str:
    return f"```{lang}\n{neutralise(code).rstrip()}\n```"


def _quote(message: str) -> str:
    """An error message as a wrapped quote of inline code (a code block would clip long lines)."""
    lines = [line.replace("`", "'") for line in neutralise(message).strip().splitlines()[:6] if line.strip()]
    return "\n".join(f"> `{line}`" for line in lines)


def error_markdown(error: dict) -> str:
    """An error with what a fixer needs: message, cause, fix, before/after, commits, source."""
    parts = [f"## {_text(error.get('title'))}", "", _quote(error.get("message", "")), ""]
    if error.get("confidence") is not None:
        note = f"Confidence {error['confidence']:.2f}"
        if error.get("weak"):
            note += ": a possible match, not the known fix"
        if error.get("tied"):
            note += (": " if not error.get("weak") else "; ") + "another report answers about equally"
        parts += [f"*{note}.*", ""]
    seen = error.get("seen_in", 1)
    report = error.get("report") or {}
    parts.append(f"*From* **{_text(report.get('title'))}** (`{_text(report.get('path'))}`)"
                 + (f" · seen in {seen} reports" if seen and seen > 1 else ""))
    for title, key in (("Root cause", "root_cause"), ("Fix", "fix")):
        if _text(error.get(key)):
            parts += ["", f"### {title}", "", _text(error.get(key))]
    passages = passages_to_show(error.get("passages") or [], _text(error.get("message")), _text(error.get("fix")))
    if passages:
        parts += ["", "### From the report"]
        for passage in passages:
            parts += ["", f"**{_text(passage.get('heading'))}** · line {passage.get('line')}", "",
                      _text(passage.get("text"))[:3000]]
    if error.get("before") or error.get("after"):
        if error.get("before"):
            parts += ["", "### Before", "", _code(error["before"])]
        if error.get("after"):
            parts += ["", "### After", "", _code(error["after"])]
    if error.get("commits"):
        parts += ["", "### Commits", ""]
        parts += [f"- `{c['sha']}` {_text(c.get('message'))}" if c.get("sha") else f"- {_text(c.get('message'))}"
                  for c in error["commits"]]
    if error.get("repo_commits"):
        parts += ["", "### Fix commits in the project's history", ""]
        for commit in error["repo_commits"]:
            files = ", ".join(f"`{_text(f)}`" for f in commit["files"][:6])
            parts.append(f"- `{commit['sha'][:10]}` {_text(commit['message'])} · {_text(commit['author'])}, "
                         f"{commit['date'][:10]}" + (f" · {files}" if files else ""))
        parts += ["", "*ctrl+d shows the diff*"]
    if error.get("log") and error.get("log") != error.get("message"):
        parts += ["", "### Log", "", _code(error["log"][:4000], "text")]
    return "\n".join(parts)


def fix_command(error: dict) -> str | None:
    """The first runnable command of a fix: a shell line in its code, else inline code that reads as one."""
    commands = fix_commands(error)
    return commands[0] if commands else None


def fix_commands(error: dict) -> list[str]:
    """Every runnable command of a fix, in order, once each: shell lines in its code and inline code that
    reads as one, in the fix, the after code, then the linked fix passages (the fix is rarely its first
    command: that is often a diagnostic such as `lsof`)."""
    sources = [error.get("fix") or "", error.get("after") or ""]
    sources += [p.get("text") or "" for p in error.get("passages") or [] if p.get("role") == "fix"]
    found: list[str] = []
    for source in sources:
        for block in _FENCE_RE.findall(source):
            for line in block.splitlines():
                line = line.strip()
                if line and not line.startswith("#") and _COMMAND_START_RE.match(line):
                    found.append(line)
        for snippet in _INLINE_RE.findall(_FENCE_RE.sub(" ", source)):
            if _COMMAND_START_RE.match(snippet.strip()):
                found.append(snippet.strip())
    return list(dict.fromkeys(found))


def report_markdown(report: dict) -> str:
    """A report as an incident view: metadata, timeline, errors, checklists, commands, lessons."""
    parts = [f"# {_text(report['title'])}", ""]
    meta = report.get("meta") or {}
    if meta:
        parts += [f"- **{_text(k)}**: {_text(v)}" for k, v in meta.items()]
        parts.append("")
    trees = [chart for chart in report.get("flowcharts", []) if chart.get("kind") != "diagram"]
    parts.append(f"`{_text(report['path'])}` · {plural(len(report['errors']), 'error')} · "
                 f"{plural(len(report['checklists']), 'checklist')} · {plural(len(trees), 'decision tree')} · "
                 f"{plural(len(report['commands']), 'command')}")
    if report.get("timeline"):
        rows = report["timeline"]
        header = list(rows[0].keys())
        parts += ["", "## Timeline", "", "| " + " | ".join(_text(h) for h in header) + " |",
                  "|" + "---|" * len(header)]
        parts += ["| " + " | ".join(_text(row.get(h, "")).replace("|", "\\|") for h in header) + " |" for row in rows]
    if report["errors"]:
        parts += ["", "## Errors", ""]
        for error in report["errors"]:
            parts += [f"### {error['ref']} · {_text(error['title'])}", "", _quote(error["message"])]
            for label, key in (("Root cause", "root_cause"), ("Fix", "fix")):
                if _text(error.get(key)):
                    parts += ["", *_labelled(label, _text(error[key]))]
            parts.append("")
    if report["checklists"]:
        parts += ["", "## Checklists", ""]
        for checklist in report["checklists"]:
            parts.append(checklist_markdown(checklist, level=3))
    diagrams = [chart for chart in report.get("flowcharts", []) if chart.get("kind") == "diagram"]
    if trees:
        parts += ["", "## Decision trees", ""]
        parts += [f"- **{chart['ref']}** · {_text(chart['section'])} · {plural(len(chart['nodes']), 'node')} "
                  f"(F4, or `runbook run {chart['ref']}`, walks it)" for chart in trees]
    if diagrams:
        parts += ["", "## Diagrams", ""]
        parts += [f"- **{chart['ref']}** · {_text(chart['section'])} · {plural(len(chart['nodes']), 'node')} "
                  "(read it in the report; not runnable)" for chart in diagrams]
    if report.get("lessons"):
        parts += ["", "## Lessons", ""]
        parts += [f"- **{_text(lesson['title'])}**" for lesson in report["lessons"]]
    return "\n".join(parts)


def _labelled(label: str, text: str) -> list[str]:
    """A one-paragraph cause reads inline after its label; a list, code or several paragraphs go under it,
    so Markdown still sees a list as a list and a fence as a fence."""
    if "\n" not in text and not re.match(r"(?:[-*+]|\d+[.)])\s", text):
        return [f"**{label}**: {text}"]
    return [f"**{label}**:", "", text]


# what the parser calls a checklist's kind and phase, in the words the catalogue uses (kb/runs/catalogue.py)
_KIND_WORDS = {"tasks": "checklist", "list": "checklist"}
_PHASE_WORDS = {"pre": "before the change", "during": "during the change", "post": "after the change"}


def checklist_markdown(checklist: dict, level: int = 2) -> str:
    phase = checklist.get("phase") or ""
    phase = f" · {_PHASE_WORDS.get(phase, phase)}" if phase else ""
    kind = _KIND_WORDS.get(checklist["kind"], checklist["kind"])
    parts = [f"{'#' * level} {_text(checklist['title'])}", "", f"*{kind}{phase}* · "
             f"{plural(len(checklist['items']), 'step')} · from `{_text(checklist['report']['path'])}`", ""]
    for number, item in enumerate(checklist["items"], start=1):
        box = {True: "[x]", False: "[ ]", None: ""}[item["checked"]]
        parts.append(f"{number}. {box} {_text(item['text'])}".replace("  ", " "))
        for command in item.get("commands", []):
            parts += ["", _code(command["command"], "bash")]
            if command.get("expected"):
                parts.append(f"   *expected*: {_text(command['expected'])}")
            parts.append("")
    return "\n".join(parts)
