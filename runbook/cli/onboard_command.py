"""`runbook onboard`: the walkthroughs that teach a newcomer what the team has learned."""

from __future__ import annotations

import sys

import click

from kb.parse.words import plural
from runbook.cli.base import Context, cli, dump_json, guarded, neutralise_text, say

@cli.command()
@click.argument("topic", required=False)
@click.option("--restart", is_flag=True, help="Start the walkthrough again from its first page.")
@click.option("--operator", help="Who is onboarding, as 'Name <email>' (default: your git identity).")
@click.option("--json", "as_json", is_flag=True, help="With no TOPIC: the topics as JSON.")
@click.pass_obj
@guarded
def onboard(context: Context, topic: str | None, restart: bool, operator: str | None, as_json: bool) -> None:
    """Guided walkthrough of what the KB knows about TOPIC; without one, list the topics."""
    from kb import onboarding
    from runbook.cli.identity import operator_for

    kb = context.kb()
    if topic is None:
        rows = onboarding.topics(kb)
        if as_json:
            click.echo(dump_json(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            say("no topics yet: ingest some reports first")
        for row in rows:
            extra = " (hand-written walkthrough)" if row["hand_written"] else ""
            say(f"{row['topic']:<16} {plural(row['reports'], 'report')}, "
                f"{plural(row['errors'], 'error')}, {plural(row['checklists'], 'checklist')}{extra}")
        return
    pages = onboarding.walkthrough(kb, topic)
    who, author = operator_for(kb, operator)
    progress = onboarding.get_progress(kb, who, topic)
    page = 0 if restart or progress["completed"] else min(progress["page"], len(pages) - 1)
    if page:
        say(f"Resuming at page {page + 1} of {len(pages)}.")
    while True:
        onboarding.save_progress(kb, who, topic, page, len(pages))
        say()
        click.echo(click.style(neutralise_text(f"[{page + 1}/{len(pages)}] {pages[page].title}"), bold=True))
        say()
        if sys.stdout.isatty():  # a person reading: Markdown rendered; a pipe or a file gets the Markdown itself
            from runbook.render import terminal_markdown

            click.echo(terminal_markdown(pages[page].body))
        else:
            say(pages[page].body)
        last = page == len(pages) - 1
        choice = click.prompt(f"\n{'[f]inish' if last else '[n]ext'} [p]revious [q]uit",
                              default="f" if last else "n", type=click.Choice(["n", "p", "q", "f"]), show_choices=False)
        if choice == "q":
            say(f"Progress kept: `runbook onboard {topic}` resumes at page {page + 1}.")
            return
        if choice == "p":
            page = max(page - 1, 0)
        elif last:
            record, problem = onboarding.complete(kb, who, topic, pages, author)
            say(f"Completed the {topic} walkthrough: {record}")
            if problem:
                say(f"{'note' if problem.startswith('committed as') else 'warning'}: {problem}", err=True)
            return
        else:
            page += 1
