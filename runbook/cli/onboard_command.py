"""`runbook onboard`: the walkthroughs that teach a newcomer what the team has learned, topic by topic.

On a terminal (stdin and stdout both), a walkthrough is read page by page with drills and a dry run,
progress kept per operator and completion recorded in git. Anywhere else (a pipe, a file, a script),
or with `--all`, the whole walkthrough is printed as Markdown and nothing is asked or recorded.
"""

from __future__ import annotations

import sys

import click

from kb.parse.words import plural
from runbook.cli.base import Context, cli, dump_json, guarded, neutralise_text, say


@cli.command()
@click.argument("topic", required=False)
@click.option("--all", "whole", is_flag=True, help="Print the whole walkthrough as Markdown, asking nothing.")
@click.option("--json", "as_json", is_flag=True, help="The topics, or a topic's walkthrough, as JSON.")
@click.option("--restart", is_flag=True, help="Start the walkthrough again from its first page, drills asked afresh.")
@click.option("--operator", help="Who is onboarding, as 'Name <email>' (default: your git identity).")
@click.option("--team", is_flag=True, help="Who has completed which walkthrough (from the KB's records).")
@click.pass_obj
@guarded
def onboard(context: Context, topic: str | None, whole: bool, as_json: bool, restart: bool, operator: str | None,
            team: bool) -> None:
    """Guided walkthrough of what the KB knows about TOPIC; without one, list the topics."""
    from kb import onboarding

    kb = context.kb()
    if team:
        _print_team(onboarding.team(kb), as_json)
        return
    if topic is None:
        _print_topics(onboarding.topics(kb), as_json)
        return
    from runbook.cli.identity import operator_for

    who, author = operator_for(kb, operator)
    walk, pages = onboarding.walkthrough_of(kb, topic, seed=who)
    if as_json:
        click.echo(dump_json(onboarding.as_json(walk, pages), ensure_ascii=False, indent=2))
        return
    if whole or not (sys.stdin.isatty() and sys.stdout.isatty()):
        click.echo(neutralise_text(onboarding.as_markdown(walk.title, pages)), nl=False)
        return
    from kb.store.write_guard import require_writable

    require_writable(kb, "onboard")  # the walk records progress, drills and its completion
    try:
        _walk(kb, walk, pages, who, author, restart)
    except click.exceptions.Abort:  # ctrl+d or ctrl+c at a prompt: leaving, with the page kept
        say(f"\nLeft the walkthrough; `runbook onboard {walk.topic}` resumes where you were.")


def _print_topics(rows: list[dict], as_json: bool) -> None:
    if as_json:
        click.echo(dump_json(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        say("no topics yet: ingest some reports first")
    for row in rows:
        extra = " (hand-written walkthrough)" if row["hand_written"] else ""
        say((f"{row['topic']:<16} {plural(row['reports'], 'report')}, "
                                   f"{plural(row['errors'], 'error')}, {plural(row['checklists'], 'checklist')}{extra}"))


def _print_team(rows: list[dict], as_json: bool) -> None:
    if as_json:
        click.echo(dump_json(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        say("no walkthrough completed yet")
    for row in rows:
        say((f"{row['operator']}  {row['topic']}  completed {row['completed'][:10]}  "
                                   f"drills {row['drills'] or 'none'}  dry run {row['dry_run'] or 'none'}  "
                                   f"({row['record']})"))


def _show(markdown: str) -> None:
    from runbook.render import terminal_markdown

    click.echo(terminal_markdown(markdown))


def _walk(kb, walk, pages, who: str, author, restart: bool) -> None:
    """Page by page on a terminal: drills asked, a dry run walked step by step, completion recorded."""
    from kb import onboarding

    topic = walk.topic
    if author is None:
        say(f"note: no git identity, so you are {who!r} here and completing is committed as "
                   "runbook <runbook@localhost>; --operator 'Name <email>' names you", err=True)
    progress = onboarding.get_progress(kb, who, topic)
    if restart:
        onboarding.forget_practice(kb, who, topic)
    page = 0 if restart or progress["completed"] else min(progress["page"], len(pages) - 1)
    if page:
        say(f"Resuming at page {page + 1} of {len(pages)}.")
    while True:
        onboarding.save_progress(kb, who, topic, page, len(pages))
        current = pages[page]
        click.echo()
        click.echo(click.style(neutralise_text(f"[{page + 1}/{len(pages)}] {current.title}"), bold=True))
        click.echo()
        if current.kind == onboarding.DRILL:
            _drill(kb, who, topic, current)
        elif current.kind == onboarding.DRY_RUN:
            _dry_run(kb, who, topic, current)
        else:
            _show(neutralise_text(current.body))
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
            say(f"Completed the {topic} walkthrough as {who}: {record}")
            if problem:
                say(f"{'note' if problem.startswith('committed as') else 'warning'}: {problem}", err=True)
            return
        else:
            page += 1


def _drill(kb, who: str, topic: str, page) -> None:
    from kb import onboarding
    from kb.onboarding.drills import shared_words

    _show(neutralise_text(page.body))
    answer = click.prompt("\nYour answer (one line; Enter to just read the fix)", default="", show_default=False)
    click.echo()
    _show(neutralise_text(page.answer))
    words = shared_words(answer, f"{page.drill.cause}\n{page.drill.fix}") if answer.strip() else []
    if words:
        say((f"\nYour answer and the recorded fix share: {', '.join(words)}"))
    got = click.prompt("\nDid you get it? [y]es [n]o", type=click.Choice(["y", "n"]), show_choices=False)
    result = onboarding.GOT_IT if got == "y" else onboarding.MISSED
    onboarding.record_practice(kb, who, topic, "drill", page.drill.ref, page.drill.title, result, answer)
    say(f"Recorded: {result}.")


def _dry_run(kb, who: str, topic: str, page) -> None:
    """The procedure one step at a time, each with its exact command and expected result; nothing runs."""
    from kb import onboarding
    from kb.onboarding.pages import dry_run_intro, step_lines

    procedure = page.procedure
    _show(neutralise_text(dry_run_intro(procedure)))
    steps = procedure.steps
    for number, step in enumerate(steps, start=1):
        click.echo(click.style(f"\nstep {number} of {len(steps)}", dim=True))
        _show(neutralise_text("\n".join(step_lines(step, number))))
        if number < len(steps):
            more = click.prompt("Enter: next step, s: skip to the end", default="", show_default=False)
            if more.strip().lower() == "s":
                break
    onboarding.record_practice(kb, who, topic, "dry-run", procedure.ref, procedure.title, onboarding.WALKED)
    say(f"\nDry run of {procedure.ref} done: nothing ran. `runbook run {procedure.ref}` does it for real, "
               "asking before every command.")
