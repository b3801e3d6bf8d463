"""A completed walkthrough, recorded in git: whose it is, the pages read, the drills and the dry run.

`runs/onboarding/<date>-<topic>-<name>.md` is committed with the operator as its author, so a team
lead reads who has been through what from the KB itself (`runbook onboard --team`, or
`git log --grep onboard:`). Every onboarding commit goes through `commit_record`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from kb.onboarding import progress
from kb.runs.catalogue import front_matter_head
from kb.runs.runbooks import slug
from kb.store.knowledge_base import FALLBACK_AUTHOR, KBError, KnowledgeBase

FOLDER = "onboarding"  # under runs/
GOT_IT, MISSED, WALKED = "got it", "missed", "walked"


def commit_record(kb: KnowledgeBase, paths: list[str], message: str, author: tuple[str, str] | None) -> None:
    """The one place onboarding writes to git (raises KBError when the commit cannot happen)."""
    kb.commit(paths, message, author=author)


def complete(kb: KnowledgeBase, operator: str, topic: str, page_titles: list[str],
             author: tuple[str, str] | None) -> tuple[str, str | None]:
    """Record the completed walkthrough in git; returns (record path, a note or problem, or None)."""
    from kb.parse.redact import redact
    from kb.store.write_guard import write_problem

    if (refused := write_problem(kb, "recording the walkthrough")) is not None:  # read-only, git mid-merge...
        return "", refused
    name = operator.split(" <")[0].strip() or operator
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    progress.save_progress(kb, operator, topic, len(page_titles), len(page_titles), completed=stamp)
    done = progress.practice(kb, operator, topic)
    drills = [row for row in done if row["kind"] == "drill"]
    got = sum(row["result"] == GOT_IT for row in drills)
    dry_runs = [row for row in done if row["kind"] == "dry-run"]
    committed_as = (f"{author[0]} <{author[1]}>" if author else
                    f"{FALLBACK_AUTHOR[0]} <{FALLBACK_AUTHOR[1]}> (no git identity was given)")
    lines = ["---", f"topic: {topic}", f"operator: {operator}", f"completed: {stamp}", f"pages: {len(page_titles)}",
             f"drills: {got} of {len(drills)} got", f"dry_run: {', '.join(r['ref'] for r in dry_runs) or 'none'}",
             f"committed_as: {committed_as}", "---", "",
             f"# {name} completed the {topic} walkthrough", "",
             f"Whose: **{operator}**, committed as {committed_as}.", "", "## Pages read", ""]
    lines += [f"- [x] {title}" for title in page_titles]
    if drills:
        lines += ["", f"## Drills: {got} of {len(drills)} got", ""]
        for row in drills:
            lines.append(f"- {row['ref']} · {' '.join(row['title'].split())}: **{row['result']}**")
            if row["answer"]:
                lines.append(f"  - answered: {' '.join(row['answer'].split())}")
    if dry_runs:
        lines += ["", "## Dry run", ""]
        lines += [f"- {row['ref']} · {' '.join(row['title'].split())}: {row['result']} (nothing ran)" for row in dry_runs]
    folder = kb.runs_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / f"{stamp[:10]}-{slug(topic)}-{slug(name)}.md"
    record.write_text(redact("\n".join(lines) + "\n"), encoding="utf-8")
    relative = str(record.relative_to(kb.root))
    summary = f" (drills {got}/{len(drills)})" if drills else ""
    message = (f"onboard: {name} completed {topic}{summary}\n\nOperator: {operator}\nTopic: {topic}\n"
               f"Record: {relative}")
    try:  # without an identity, committed as ingest commits: runbook <runbook@localhost>
        commit_record(kb, [relative], message, author)
    except KBError as exc:
        return relative, str(exc)
    if author is None:
        return relative, (f"committed as {FALLBACK_AUTHOR[0]} <{FALLBACK_AUTHOR[1]}>: there is no git identity "
                          "(set git config user.name and user.email, or give your name with --operator)")
    return relative, None


def team(kb: KnowledgeBase) -> list[dict]:
    """Every completed walkthrough recorded in this KB: who, which topic, when, how the drills went."""
    folder = kb.runs_dir / FOLDER
    out = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        front = front_matter_head(path)
        if front.get("topic") and front.get("operator"):
            out.append({"operator": front["operator"], "topic": front["topic"], "completed": front.get("completed", ""),
                        "drills": front.get("drills", ""), "dry_run": front.get("dry_run", ""),
                        "record": str(path.relative_to(kb.root))})
    return sorted(out, key=lambda r: (r["operator"].lower(), r["completed"], r["topic"]))
