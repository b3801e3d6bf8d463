"""Onboarding walkthroughs: what the KB has learned about a topic, as pages a newcomer reads in order.

A topic is a platform, stack or project the reports talk about (coolify, nginx,
postgres ...). A generated walkthrough has pages: the system and how it is
deployed, the timeline of what went wrong, the known errors (most frequent
first) with causes and fixes, the lessons, the checklists, and a practice run
of one checklist in dry-run mode. A hand-written `onboarding/<topic>.md` (pages
split at `##` headings) takes precedence. Progress is kept per operator; a
completed walkthrough is recorded to git (`onboard: <operator> completed <topic>`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from kb.store.knowledge_base import KBError, KnowledgeBase
from kb.store.write_guard import write_problem
from kb.runs.runbooks import slug
from kb.parse.words import plural

# Technologies worth a walkthrough, as they appear in report text (lower-case match on words).
TECHNOLOGIES = (
    "coolify", "nginx", "postgres", "postgresql", "mysql", "mongodb", "redis", "kubernetes", "docker",
    "systemd", "reflex", "nixpacks", "certbot", "github actions", "elasticsearch", "rabbitmq", "kafka",
    "django", "fastapi", "node", "bun", "vue", "react", "next.js", "pm2", "helm", "terraform", "ansible",
    "celery", "alembic", "letsencrypt", "let's encrypt", "caddy", "traefik",
)
_ALIASES = {"postgresql": "postgres", "let's encrypt": "letsencrypt", "k8s": "kubernetes", "mongo": "mongodb"}
_ARCHITECTURE_RE = re.compile(r"架构|部署方案|部署策略|技术决策|architecture|deployment|environment|现状|overview|summary|总结|概述",
                              re.IGNORECASE)
MIN_REPORTS = 1


@dataclass
class Page:
    title: str
    body: str  # Markdown


def _topic_key(name: str) -> str:
    name = name.lower().strip()
    return _ALIASES.get(name, name)


def topics(kb: KnowledgeBase) -> list[dict]:
    """Topics with how much the KB knows of each: reports, errors, checklists; hand-written ones too."""
    counts: dict[str, dict] = {}
    for report in kb.store.rows("select id, title, platform, project, meta from reports"):
        text = (kb.root / _path(kb, report["id"])).read_text(encoding="utf-8", errors="replace").lower()
        for tech in TECHNOLOGIES:
            if re.search(rf"(?<![a-z]){re.escape(tech)}(?![a-z])", text):
                entry = counts.setdefault(_topic_key(tech), {"topic": _topic_key(tech), "reports": set()})
                entry["reports"].add(report["id"])
    out = []
    for entry in counts.values():
        ids = sorted(entry["reports"])
        marks = ",".join("?" * len(ids))
        errors = kb.store.rows(f"select count(*) as n from errors where report_id in ({marks})", ids)[0]["n"]
        checklists = kb.store.rows(f"select count(*) as n from checklists where report_id in ({marks})", ids)[0]["n"]
        out.append({"topic": entry["topic"], "reports": len(ids), "errors": errors, "checklists": checklists,
                    "hand_written": (kb.root / "onboarding" / f"{entry['topic']}.md").exists()})
    for file in sorted((kb.root / "onboarding").glob("*.md")) if (kb.root / "onboarding").is_dir() else []:
        if not any(t["topic"] == file.stem for t in out):
            out.append({"topic": file.stem, "reports": 0, "errors": 0, "checklists": 0, "hand_written": True})
    out.sort(key=lambda t: (-t["errors"] - 2 * t["reports"], t["topic"]))
    return [t for t in out if t["reports"] >= MIN_REPORTS or t["hand_written"]]


def _path(kb: KnowledgeBase, report_id: int) -> str:
    return kb.store.rows("select path from reports where id = ?", [report_id])[0]["path"]


def _topic_reports(kb: KnowledgeBase, topic: str) -> list[dict]:
    known = {t["topic"]: t for t in topics(kb)}
    if topic not in known:
        names = ", ".join(sorted(known)) or "none yet"
        raise KBError(f"no topic {topic!r} in this KB (topics: {names})")
    words = [tech for tech in TECHNOLOGIES if _topic_key(tech) == topic] or [topic]
    reports = []
    for report in kb.store.rows("select * from reports order by date desc, title"):
        text = (kb.root / report["path"]).read_text(encoding="utf-8", errors="replace").lower()
        if any(re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text) for word in words):
            reports.append(report)
    return reports


def walkthrough(kb: KnowledgeBase, topic: str) -> list[Page]:
    topic = _topic_key(topic)
    hand_written = kb.root / "onboarding" / f"{topic}.md"
    if hand_written.exists():
        return _pages_from_file(hand_written.read_text(encoding="utf-8"))
    reports = _topic_reports(kb, topic)
    ids = [r["id"] for r in reports]
    marks = ",".join("?" * len(ids)) or "NULL"
    return [page for page in (
        _overview(kb, topic, reports),
        _timeline(kb, reports),
        _errors(kb, ids, marks),
        _lessons(kb, ids, marks),
        _checklists(kb, ids, marks),
        _practice(kb, ids, marks),
    ) if page is not None]


def _pages_from_file(text: str) -> list[Page]:
    pages: list[Page] = []
    title, lines = "Introduction", []
    for line in text.splitlines():
        if line.startswith("## "):
            if any(l.strip() for l in lines):
                pages.append(Page(title, "\n".join(lines).strip()))
            title, lines = line[3:].strip(), []
        elif not line.startswith("# "):
            lines.append(line)
    if any(l.strip() for l in lines):
        pages.append(Page(title, "\n".join(lines).strip()))
    return pages


def _overview(kb: KnowledgeBase, topic: str, reports: list[dict]) -> Page:
    lines = [f"What the team knows about **{topic}**: {plural(len(reports), 'report')}.", ""]
    for report in reports:
        meta = json.loads(report["meta"] or "{}")
        facts = ", ".join(f"{k}: {v}" for k, v in list(meta.items())[:4])
        lines.append(f"- **{report['title']}**" + (f" ({facts})" if facts else ""))
    sections = []
    for report in reports:
        outline = json.loads(report["outline"] or "[]")
        for section in _flatten(outline):
            if _ARCHITECTURE_RE.search(section["title"]):
                sections.append(f"- {section['title']} *(in {report['title']})*")
    if sections:
        lines += ["", "Where to read about the architecture and how it is deployed:", "", *sections[:12]]
    return Page("The system and how it is deployed", "\n".join(lines))


def _flatten(outline: list[dict]):
    for node in outline:
        yield node
        yield from _flatten(node.get("children", []))


def _timeline(kb: KnowledgeBase, reports: list[dict]) -> Page | None:
    lines = []
    for report in reports:
        rows = kb.store.rows("select row from timeline where report_id = ? order by position", [report["id"]])
        if rows:
            lines += [f"### {report['title']}", ""]
            for row in rows:
                cells = json.loads(row["row"])
                lines.append("- " + " · ".join(str(v) for v in cells.values() if v))
            lines.append("")
    return Page("What went wrong, in order", "\n".join(lines)) if lines else None


def _errors(kb: KnowledgeBase, ids: list[int], marks: str) -> Page | None:
    rows = kb.store.rows(f"select * from errors where report_id in ({marks})", ids)
    if not rows:
        return None
    frequency = Counter(row["fingerprint"] for row in kb.store.rows("select fingerprint from errors"))
    rows.sort(key=lambda r: (-frequency[r["fingerprint"]], r["id"]))
    lines = []
    for row in rows[:15]:
        seen = frequency[row["fingerprint"]]
        lines += [f"### {row['title']}" + (f" (seen {seen} times)" if seen > 1 else ""), "",
                  f"> `{row['message'].splitlines()[0].replace('`', '') if row['message'] else ''}`", ""]
        if row["root_cause"]:
            lines += [f"**Why**: {row['root_cause'][:600]}", ""]
        if row["fix"]:
            lines += [f"**Fix**: {row['fix'][:600]}", ""]
    return Page(f"The errors you will meet ({len(rows)}), most frequent first", "\n".join(lines))


def _lessons(kb: KnowledgeBase, ids: list[int], marks: str) -> Page | None:
    rows = kb.store.rows(f"select title, text from lessons where report_id in ({marks}) order by report_id, position", ids)
    if not rows:
        return None
    lines = []
    for row in rows:
        lines += [f"### {row['title']}", "", row["text"], ""]
    return Page("Lessons learned", "\n".join(lines))


def _checklists(kb: KnowledgeBase, ids: list[int], marks: str) -> Page | None:
    rows = kb.store.rows(
        f"""select c.id, c.title, c.phase, (select count(*) from items i where i.checklist_id = c.id) as items
            from checklists c where c.report_id in ({marks}) order by c.report_id, c.position""", ids)
    if not rows:
        return None
    lines = ["Use these when you deploy; `runbook run cN` walks one step by step.", ""]
    lines += [f"- `c{row['id']}` **{row['title']}** ({plural(row['items'], 'step')}{', ' + row['phase'] if row['phase'] else ''})"
              for row in rows]
    return Page("The checklists to use", "\n".join(lines))


def _practice(kb: KnowledgeBase, ids: list[int], marks: str) -> Page | None:
    rows = kb.store.rows(
        f"""select c.id from checklists c where c.report_id in ({marks})
            order by (select count(*) from commands m where m.checklist_id = c.id) desc, c.id limit 1""", ids)
    if not rows:
        return None
    from kb.runs.runbooks import load

    runbook = load(kb, f"c{rows[0]['id']}")
    lines = [f"A dry run of **{runbook.title}**: what each step would do. Nothing runs here; "
             f"`runbook run c{rows[0]['id']} --dry-run` shows the same, `runbook run c{rows[0]['id']}` does it.", ""]
    for number, step in enumerate(runbook.steps, start=1):
        lines.append(f"{number}. {step.title}")
        for command in step.commands:
            lines += ["", "   ```bash", f"   {command.command}", "   ```"]
            if command.expected:
                lines.append(f"   *expected*: {command.expected}")
        lines.append("")
    return Page("Practice: a dry run", "\n".join(lines))


# -- progress and completion -------------------------------------------------------------------------

def _progress_db(kb: KnowledgeBase):
    import sqlite3

    import sqlite_utils

    kb.derived_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(sqlite3.connect(str(kb.derived_dir / "runs.sqlite"), check_same_thread=False))
    if not db["onboarding"].exists():
        db["onboarding"].create({"operator": str, "topic": str, "page": int, "pages": int, "completed": str},
                                pk=("operator", "topic"))
    return db


def get_progress(kb: KnowledgeBase, operator: str, topic: str) -> dict:
    db = _progress_db(kb)
    try:
        rows = list(db.query("select * from onboarding where operator = ? and topic = ?", [operator, _topic_key(topic)]))
    finally:
        db.close()
    return rows[0] if rows else {"operator": operator, "topic": _topic_key(topic), "page": 0, "pages": 0, "completed": None}


def save_progress(kb: KnowledgeBase, operator: str, topic: str, page: int, pages: int,
                  completed: str | None = None) -> None:
    db = _progress_db(kb)
    try:
        with db.atomic():
            db["onboarding"].upsert({"operator": operator, "topic": _topic_key(topic), "page": page, "pages": pages,
                                     "completed": completed}, pk=("operator", "topic"))
    finally:
        db.close()


def complete(kb: KnowledgeBase, operator: str, topic: str, pages: list[Page],
             author: tuple[str, str] | None) -> tuple[str, str | None]:
    """Record the completed walkthrough in git; returns (record path, problem or None)."""
    if (refused := write_problem(kb, "recording the walkthrough")) is not None:  # read-only, git mid-merge...
        return "", refused
    topic = _topic_key(topic)
    name = operator.split(" <")[0]
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    save_progress(kb, operator, topic, len(pages), len(pages), completed=stamp)
    folder = kb.runs_dir / "onboarding"
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / f"{stamp[:10]}-{slug(topic)}-{slug(name)}.md"
    from kb.parse.redact import redact

    record.write_text(redact("\n".join([
        "---", f"topic: {topic}", f"operator: {operator}", f"completed: {stamp}", f"pages: {len(pages)}", "---", "",
        f"# {name} completed the {topic} walkthrough", "", *[f"- [x] {page.title}" for page in pages], ""])),
        encoding="utf-8")
    relative = str(record.relative_to(kb.root))
    try:  # without an identity, committed as ingest commits: runbook <runbook@localhost>
        kb.commit([relative], f"onboard: {name} completed {topic}", author=author)
    except KBError as exc:
        return relative, str(exc)
    if author is None:
        from kb.store.knowledge_base import FALLBACK_AUTHOR

        return relative, (f"committed as {FALLBACK_AUTHOR[0]} <{FALLBACK_AUTHOR[1]}>: there is no git identity "
                          "(set git config user.name and user.email, or give your name as the operator)")
    return relative, None
