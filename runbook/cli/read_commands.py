"""Commands that read the KB: search (the paste-an-error path, kept lean), list, show."""

from __future__ import annotations

import sys

import click

from kb.store.knowledge_base import KnowledgeBase
from kb.parse.words import plural
from runbook.cli.base import Context, cli, dump_json, fail, guarded, neutralise_text, say, say_long
from runbook.cli.completion import complete_record
from runbook.cli.table import print_table

LIST_KINDS = ("reports", "errors", "checklists", "runbooks")

@cli.command()
@click.argument("query", required=False)
@click.option("-k", "limit", type=click.IntRange(1, 100), default=3, show_default=True, help="How many results.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, best first.")
@click.pass_obj
@guarded
def search(context: Context, query: str | None, limit: int, as_json: bool) -> None:
    """Find the known fix for an error: QUERY, or stdin when QUERY is '-' or stdin is a pipe.

    \b
    runbook search "ECONNREFUSED 127.0.0.1:5432"
    docker logs app 2>&1 | runbook search
    """
    from runbook.cli.plain_search import SearchRequest, answer  # its body, shared with the click-free path

    if query is None or query == "-":
        if query is None and sys.stdin.isatty():
            raise click.UsageError("give the error as QUERY, or pipe it in (runbook search - < error.log)")
        query = sys.stdin.read()
    if not query.strip():
        fail("the query is empty: paste an error message or a log", 2)
    code = answer(SearchRequest(context.kb_option, query, limit, as_json), kb=context.kb_without_retry())
    if code:
        sys.exit(code)


@cli.command(name="list")
@click.argument("kind", required=False, default="reports", type=click.Choice(LIST_KINDS))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
@guarded
def list_(context: Context, kind: str, as_json: bool) -> None:
    """List the KB's reports, errors, checklists, or runbooks (everything `run` walks, with its last run)."""
    from kb.store import queries

    if kind == "runbooks":
        _list_runbooks(context.kb(), as_json)
        return
    store = context.kb().store
    rows = {"reports": queries.list_reports, "errors": queries.list_errors,
            "checklists": queries.list_checklists}[kind](store)
    if as_json:
        click.echo(dump_json(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        say(f"no {kind} in {context.kb().root} (add some with: runbook ingest PATH)")
        return
    columns = {"reports": ("ref", "title", "errors", "checklists", "commands", "path"),
               "errors": ("ref", "message", "report"),
               "checklists": ("ref", "title", "kind", "phase", "items", "report")}[kind]
    print_table(rows, columns)


def _list_runbooks(kb: KnowledgeBase, as_json: bool) -> None:
    """The runnable catalogue (kb/catalogue.py): checklists, procedures, decision trees, hand-written runbooks."""
    from kb.runs.catalogue import runnables

    rows = runnables(kb)
    if as_json:
        click.echo(dump_json(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        say(f"no runbooks in {kb.root} (write one with `runbook new NAME`, or ingest reports)")
        return
    lines = []
    for row in rows:
        last = row["last_run"]
        title = neutralise_text(" ".join(row["title"].split()))
        lines.append((row["ref"], row["kind"], f"{plural(row['steps'], 'step')}, {plural(row['commands'], 'cmd')}",
                      f"{last['outcome']} {last['date'][:10]}" if last else "never",
                      (title[:49] + "…" if len(title) > 50 else title) + (f"  [{row['problem']}]" if row["problem"] else ""),
                      row["report"]))
    header = ("REF", "KIND", "STEPS", "LAST RUN", "TITLE", "SOURCE")
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(4)]
    say_long("\n".join("  ".join([*(cell.ljust(width) for cell, width in zip(line, widths)), line[4], f"({line[5]})"])
                       for line in [header, *lines]))


@cli.command()
@click.argument("ref", shell_complete=complete_record)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--diff", "with_diff", is_flag=True, help="For an error: also print the diffs of its fix commits.")
@click.option("--print", "print_which", is_flag=False, flag_value="1", default=None, metavar="[N|all]",
              help="Print only its Nth command (default the first; `all`: every one, a line each), exactly, for "
                   "the shell line: eval \"$(runbook show e3 --print)\", or zsh's print -z.")
@click.pass_obj
@guarded
def show(context: Context, ref: str, as_json: bool, with_diff: bool, print_which: str | None) -> None:
    """Show a report (r12 or its path), an error (e34), a checklist (c5) or a flowchart (f6)."""
    from kb.store import queries
    from runbook.render import render_record

    kind, record = queries.get(context.kb().store, ref)
    if kind == "flowchart" and record["kind"] != "diagram":
        record["steps"] = _tree_steps(context.kb(), record["ref"])
    if print_which is not None:
        _print_commands(kind, record, print_which)
        return
    if with_diff:
        if kind != "error":
            fail("--diff goes with an error id (e34)", 2)
        if not record.get("repo_commits"):
            fail(f"{record['ref']} has no commits from an ingested repository (runbook ingest --repo PATH)")
        from kb.repo_commits import diff

        say_long("\n".join(diff(commit["sha"], commit["repo"]) for commit in record["repo_commits"]))
        return
    if as_json:
        click.echo(dump_json(record, ensure_ascii=False, indent=2))
    else:
        say_long(render_record(kind, record))


def _print_commands(kind: str, record: dict, which: str) -> None:
    """navi's --print: the chosen command alone on stdout (for `eval`, `print -z`, a clipboard); how many
    there are goes to stderr, so a pipe gets the command only."""
    from runbook.record_commands import record_commands

    commands = record_commands(kind, record)
    if not commands:
        fail(f"{record['ref']} has no command to print")
    if which.strip().lower() == "all":
        say("\n".join(commands))
        return
    if not which.strip().isdigit() or not 1 <= int(which) <= len(commands):
        fail(f"--print {which}: {record['ref']} has {len(commands)} command{'s' * (len(commands) != 1)} "
             f"(give 1 to {len(commands)}, or all)", 2)
    say(commands[int(which) - 1])
    if len(commands) > 1 and sys.stderr.isatty():
        say(f"(command {which} of {len(commands)}: --print N picks another, --print all prints them all)", err=True)


def _tree_steps(kb: KnowledgeBase, ref: str) -> list[dict]:
    """A decision tree's steps as `run` walks them: title, commands, and where each answer leads."""
    from kb.runs import runbooks

    tree = runbooks.load(kb, ref)
    return [{"title": step.title, "node": step.node, "choices": dict(step.choices),
             "commands": [{"command": c.command, "expected": c.expected, "note": c.note} for c in step.commands]}
            for step in tree.steps]
