"""The `runbook` command: bare, it opens the TUI; subcommands script the KB.

Every import beyond click lives inside the command that needs it, so a command
loads only what it runs: `runbook search` reads SQLite with the standard library
and never imports Textual, GitPython, sqlite-utils, detect-secrets or bashlex
(tests/test_boundary.py runs it and checks).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import click

from kb.knowledge_base import KBError, KnowledgeBase
from kb.queries import NotFound
from kb.words import plural

LIST_KINDS = ("reports", "errors", "checklists", "runbooks")


class Context:
    def __init__(self, kb_option: str | None) -> None:
        self.kb_option = kb_option
        self._kb: KnowledgeBase | None = None

    def kb(self) -> KnowledgeBase:
        if self._kb is None:
            self._kb = self.kb_without_retry()
            _retry_run_records(self._kb)
        return self._kb

    def kb_without_retry(self) -> KnowledgeBase:
        """The KB, without committing pending run records: reindex must work on a damaged cache, and
        search only reads (no git, and none of the run-records machinery on its start-up path)."""
        if self._kb is None:
            from runbook.session import open_kb

            self._kb = open_kb(self.kb_option, on_setup=lambda msg: click.echo(msg, err=True))
            self._kb.on_busy = lambda msg: click.echo(msg, err=True)  # another process holds the write lock
        return self._kb


def _retry_run_records(kb: KnowledgeBase) -> None:
    """Records a previous run could not commit are committed now (cheap: one file check otherwise)."""
    if not (kb.derived_dir / "runs.sqlite").exists():
        return
    from kb.runs import git_identity, parse_operator, retry_pending

    def author_for(operator: str):
        return parse_operator(operator) if "<" in operator else git_identity(kb)

    for message in retry_pending(kb, author_for):
        click.echo(message, err=True)


def fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def guarded(func: Callable) -> Callable:
    """Operator-facing errors become one line on stderr and a non-zero exit, never a traceback."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (KBError, NotFound) as exc:
            fail(str(exc).strip("'\""))
        except BrokenPipeError:  # `runbook list | head`: the reader left, nothing to say
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except OSError as exc:
            fail(f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}".lstrip(": "))

    return wrapper


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--kb", "kb_option", metavar="PATH", envvar="RUNBOOK_KB",
              help="The KB directory (default: $RUNBOOK_KB, else a KB in your user data dir with the samples).")
@click.version_option(package_name="runbook")
@click.pass_context
def cli(ctx: click.Context, kb_option: str | None) -> None:
    """runbook: paste an error, get the fix that worked last time.

    Without a command, opens the interactive TUI on the current KB.
    """
    ctx.obj = Context(kb_option)
    if ctx.invoked_subcommand is None:
        _open_tui(ctx.obj)


@guarded
def _open_tui(context: Context) -> None:
    from runbook.app import RunbookApp

    RunbookApp(kb_option=context.kb_option).run()


@cli.command()
@click.argument("path", required=False, type=click.Path(file_okay=True, dir_okay=True))
@click.pass_obj
@guarded
def init(context: Context, path: str | None) -> None:
    """Create a KB (a git repository with reports/, runbooks/, runs/) at PATH."""
    from runbook.paths import resolve_kb_path

    target = path or str(resolve_kb_path(context.kb_option)[0])
    kb = KnowledgeBase(target)
    existed = kb.exists()
    kb = KnowledgeBase.init(target)
    click.echo(f"{'KB already at' if existed else 'Created KB at'} {kb.root}")


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--no-commit", is_flag=True, help="Copy and index the reports but do not commit them.")
@click.option("--check", "check_only", is_flag=True,
              help="Only report the secrets ingest would redact (one line per file); ingest nothing. Exits 1 if any.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON, with every redacted secret's line and kind.")
@click.option("--repo", "repos", multiple=True, type=click.Path(), metavar="PATH",
              help="Also read a project's git history: its fix commits are linked to the KB's errors.")
@click.option("--since", metavar="DATE", help="With --repo: only commits after DATE (e.g. 2025-01-01).")
@click.pass_obj
@guarded
def ingest(context: Context, paths: tuple[str, ...], no_commit: bool, check_only: bool, as_json: bool,
           repos: tuple[str, ...], since: str | None) -> None:
    """Ingest report files or directories (.md, .markdown, .txt, recursively), and git histories (--repo).

    Secrets (passwords, tokens, keys, credentials in URLs, private keys) are replaced by
    [REDACTED:<kind>] in the KB's copy; the original files are never modified.
    """
    from kb.ingest import ingest as run_ingest

    if not paths and not repos:
        raise click.UsageError("give report files or directories, or --repo PATH")
    if since is not None:
        from kb.repo_commits import check_since

        try:
            since = check_since(since)
        except KBError as exc:
            fail(str(exc), 2)
    if check_only:
        _check_secrets(paths, as_json)
        return
    kb = context.kb()
    failed = False
    outcomes: list[dict] = []
    if repos:
        from kb.repo_commits import ingest_repo

        for repo in repos:
            seen = {"n": 0}

            def tick(n: int) -> None:  # a big history shows its progress on a terminal
                seen["n"] += n
                if sys.stderr.isatty():
                    click.echo(f"\rreading {repo}: {seen['n']} commits", err=True, nl=False)

            try:
                outcome = ingest_repo(kb, repo, since=since, progress=tick)
                if seen["n"] and sys.stderr.isatty():
                    click.echo("", err=True)
            except KBError as exc:
                click.echo(f"error: {exc}", err=True)
                failed = True
                continue
            for note in outcome.notes:
                click.echo(f"note: {note}", err=True)
            if as_json:
                outcomes.append({"repo": str(repo), "summary": outcome.summary()})
            else:
                click.echo(outcome.summary())
        if not paths:
            if as_json:
                click.echo(dump_json({"repos": outcomes}, ensure_ascii=False, indent=2))
            sys.exit(1 if failed else 0)
    bar = _Progress()
    result = run_ingest(kb, paths, progress=bar.advance, on_total=bar.start, commit=not no_commit)
    bar.finish()
    for message in result.failed:
        click.echo(f"error: {message}", err=True)
    if as_json:
        payload = {"ingested": result.ingested, "unchanged": result.unchanged, "failed": result.failed,
                   "commit": result.commit, "redacted": result.redactions_json()}
        if outcomes:
            payload["repos"] = outcomes
        click.echo(dump_json(payload, ensure_ascii=False, indent=2))
    else:
        for line in result.redaction_lines():
            click.echo(line)
        click.echo(result.summary())
    if result.failed or failed:
        sys.exit(1)


def _check_secrets(paths: tuple[str, ...], as_json: bool) -> None:
    """`ingest --check`: the secrets ingest would redact, per file; nothing is written anywhere."""
    from kb.ingest import check

    if not paths:
        raise click.UsageError("--check takes report files or directories")
    result = check(paths)
    for message in result.failed:
        click.echo(f"error: {message}", err=True)
    if as_json:
        click.echo(dump_json({"checked": result.scanned, "failed": result.failed,
                               "redacted": result.redactions_json()}, ensure_ascii=False, indent=2))
    else:
        for line in result.redaction_lines():
            click.echo(line)
        click.echo(result.summary())
    sys.exit(1 if result.redacted or result.failed else 0)


class _Progress:
    """A click progress bar on a terminal when there are many files; silent otherwise."""

    def __init__(self) -> None:
        self.bar = None

    def start(self, total: int) -> None:
        if total >= 20 and sys.stderr.isatty():
            self.bar = click.progressbar(length=total, label="ingesting", file=sys.stderr)
            self.bar.__enter__()

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@cli.command()
@click.pass_obj
@guarded
def reindex(context: Context) -> None:
    """Rebuild the database and search index from the KB's Markdown sources."""
    from kb.ingest import rebuild
    from kb.knowledge_base import DamagedDatabase

    kb = context.kb_without_retry()
    try:
        kb.store
    except DamagedDatabase:
        kb.discard_database()
        click.echo("the damaged database was removed and is rebuilt from the reports; "
                   "ingest git histories (--repo) again to restore their commits", err=True)
    result = rebuild(kb)
    for message in result.failed:
        click.echo(f"error: {message}", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"reindexed {plural(len(result.ingested), 'report')}, failed {len(result.failed)}")
    if result.failed:
        sys.exit(1)


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
    from kb.search import search as run_search
    from runbook.render import render_results

    if query is None or query == "-":
        if query is None and sys.stdin.isatty():
            raise click.UsageError("give the error as QUERY, or pipe it in (runbook search - < error.log)")
        query = sys.stdin.read()
    if not query.strip():
        fail("the query is empty: paste an error message or a log", 2)
    outcome = run_search(context.kb_without_retry(), query, k=limit)
    if outcome.truncated:
        click.echo("note: the paste was over 1 MB; searched its first 1 MB", err=True)
    if as_json:
        click.echo(dump_json([r.to_dict() for r in outcome.results], ensure_ascii=False, indent=2))
    elif outcome.results:
        click.echo(render_results(outcome.results, color=sys.stdout.isatty()))
    if not outcome.results:
        click.echo("no known fix for this error in the KB", err=as_json)
        sys.exit(1)


@cli.command(name="list")
@click.argument("kind", required=False, default="reports", type=click.Choice(LIST_KINDS))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_obj
@guarded
def list_(context: Context, kind: str, as_json: bool) -> None:
    """List the KB's reports, errors, checklists, or runbooks (everything `run` walks, with its last run)."""
    from kb import queries

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
        click.echo(f"no {kind} in {context.kb().root} (add some with: runbook ingest PATH)")
        return
    columns = {"reports": ("ref", "title", "errors", "checklists", "commands", "path"),
               "errors": ("ref", "message", "report"),
               "checklists": ("ref", "title", "kind", "phase", "items", "report")}[kind]
    _table(rows, columns)


def _list_runbooks(kb: KnowledgeBase, as_json: bool) -> None:
    """The runnable catalogue (kb/catalogue.py): checklists, procedures, decision trees, hand-written runbooks."""
    from kb.catalogue import runnables

    rows = runnables(kb)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(f"no runbooks in {kb.root} (write one with `runbook new NAME`, or ingest reports)")
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
    for line in [header, *lines]:
        click.echo("  ".join([*(cell.ljust(width) for cell, width in zip(line, widths)), line[4], f"({line[5]})"]))


def _table(rows: list[dict], columns: tuple[str, ...]) -> None:
    """Rows under a header line, columns aligned by display width (a CJK character takes two cells)."""
    limits = {"title": 50, "message": 70}
    lines = [[column.upper() for column in columns]]
    for row in rows:
        cells = []
        for column in columns:
            value = neutralise_text(" ".join(str(row.get(column) if row.get(column) is not None else "").split()))
            limit = limits.get(column)
            if limit and _display_width(value) > limit:
                value = _cut(value, limit - 1) + "…"
            cells.append(value)
        lines.append(cells)
    widths = [max(_display_width(line[i]) for line in lines) for i in range(len(columns))]
    for line in lines:
        padded = [cell + " " * (width - _display_width(cell)) for cell, width in zip(line[:-1], widths)]
        click.echo("  ".join([*padded, line[-1]]))


def _char_width(ch: str) -> int:
    import unicodedata

    return 2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1


def _display_width(text: str) -> int:
    return sum(_char_width(ch) for ch in text)


def _cut(text: str, width: int) -> str:
    """The longest start of text that takes at most `width` cells."""
    used = 0
    for index, ch in enumerate(text):
        used += _char_width(ch)
        if used > width:
            return text[:index]
    return text


@cli.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--diff", "with_diff", is_flag=True, help="For an error: also print the diffs of its fix commits.")
@click.pass_obj
@guarded
def show(context: Context, ref: str, as_json: bool, with_diff: bool) -> None:
    """Show a report (r12 or its path), an error (e34), a checklist (c5) or a flowchart (f6)."""
    from kb import queries
    from runbook.render import render_record

    kind, record = queries.get(context.kb().store, ref)
    if kind == "flowchart" and record["kind"] != "diagram":
        record["steps"] = _tree_steps(context.kb(), record["ref"])
    if with_diff:
        if kind != "error":
            fail("--diff goes with an error id (e34)", 2)
        if not record.get("repo_commits"):
            fail(f"{record['ref']} has no commits from an ingested repository (runbook ingest --repo PATH)")
        from kb.repo_commits import diff

        for commit in record["repo_commits"]:
            click.echo(neutralise_text(diff(commit["sha"], commit["repo"])))
        return
    if as_json:
        click.echo(dump_json(record, ensure_ascii=False, indent=2))
    else:
        click.echo(neutralise_text(render_record(kind, record)))


def _tree_steps(kb: KnowledgeBase, ref: str) -> list[dict]:
    """A decision tree's steps as `run` walks them: title, commands, and where each answer leads."""
    from kb import runbooks

    tree = runbooks.load(kb, ref)
    return [{"title": step.title, "node": step.node, "choices": dict(step.choices),
             "commands": [{"command": c.command, "expected": c.expected} for c in step.commands]}
            for step in tree.steps]


# -- runs ---------------------------------------------------------------------------------------------

def _operator(kb: KnowledgeBase, option: str | None) -> tuple[str, tuple[str, str] | None]:
    from runbook.cli_identity import operator_for

    return operator_for(kb, option)


def _ask_variables(runbook, given: dict[str, str], only_secret: bool = False,
                   unattended: bool = False) -> tuple[dict[str, str], set[str]]:
    """Every variable's value: given with --var, else asked (its default offered); never empty.

    Unattended (--yes), nothing is asked: a variable takes its default or the run does not start."""
    from kb.variables import find_variables

    values: dict[str, str] = {}
    secrets: set[str] = set()
    for variable in find_variables(runbook.commands(), runbook.variables):
        if variable.secret:
            secrets.add(variable.name)
        if only_secret and not variable.secret:
            continue
        if variable.name in given:
            values[variable.name] = given[variable.name]
            continue
        if unattended:
            if not variable.default:
                fail(f"variable {variable.name} has no default and --yes asks nothing: "
                     f"give it with --var {variable.name}=VALUE", 2)
            values[variable.name] = variable.default
            continue
        try:
            values[variable.name] = click.prompt(f"{variable.name}{' (secret)' if variable.secret else ''}",
                                                 default=variable.default or None, hide_input=variable.secret,
                                                 show_default=not variable.secret, value_proc=_not_blank)
        except click.Abort:
            fail(f"input ended while asking for {variable.name}: give it with --var {variable.name}=VALUE "
                 "(nothing was run or recorded)", 2)
    return values, secrets


def _not_blank(text: str) -> str:
    if not text.strip():
        raise click.UsageError("a value is needed (an empty one would leave a hole in the command)")
    return text


def _parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--var")
        if not value.strip():
            raise click.BadParameter(f"{key} is empty: an empty value would leave a hole in the command",
                                     param_hint="--var")
        out[key] = value
    return out


@cli.command()
@click.argument("name")
@click.option("--no-tui", is_flag=True, help="A plain line-by-line prompt instead of the TUI (for SSH and scripts).")
@click.option("--dry-run", is_flag=True, help="Show every step and the exact commands; run nothing.")
@click.option("--yes", is_flag=True, help="Run commands without asking: only for runbooks marked `trusted: true`.")
@click.option("--from", "from_step", type=int, default=1, show_default=True, help="Start at this step number.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="A variable's value (repeatable).")
@click.option("--operator", help="Who runs it, as 'Name <email>' (default: your git identity).")
@click.option("--timeout", type=float, default=300, show_default=True, help="Seconds before a command is killed.")
@click.option("--push", is_flag=True, help="Push the run record to the KB's remote.")
@click.pass_obj
@guarded
def run(context: Context, name: str, no_tui: bool, dry_run: bool, yes: bool, from_step: int,
        variables: tuple[str, ...], operator: str | None, timeout: float, push: bool) -> None:
    """Walk a runbook or checklist (c5, f2, a file in runbooks/, or a checklist title) step by step."""
    from kb import runbooks

    kb = context.kb()
    runbook = runbooks.load(kb, name)
    given = _parse_vars(variables)
    if yes and not runbook.trusted:
        fail(f"--yes refused: {runbook.name} is not trusted (--yes runs commands unasked, so only runbooks whose "
             f"front matter says `trusted: true` take it)", 2)
    if dry_run:
        from runbook.render import render_dry_run

        click.echo(render_dry_run(runbook, given))
        return
    who, author = _operator(kb, operator)
    values, secrets = _ask_variables(runbook, given, unattended=yes)
    from kb.walk import RunWalk

    walk = RunWalk.start(kb, runbook, who, values, secrets, from_step=from_step, timeout=timeout)
    sys.exit(_walk(walk, no_tui, yes and runbook.trusted, author, push))


def _walk(walk, no_tui: bool, yes: bool, author, push: bool) -> int:
    if no_tui or not sys.stdin.isatty():
        from runbook.headless import HeadlessRun

        return HeadlessRun(walk, yes).walk_all(author, push)
    from runbook.app import RunbookApp

    app = RunbookApp(walk.kb, run_walk=walk, run_options={"yes": yes, "author": author, "push": push})
    app.run()
    return app.return_code or 0


def dump_json(data, **_: object) -> str:
    """JSON for the terminal: C0 controls are escaped by json; C1 ones (8-bit CSI, OSC) are escaped here too."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return "".join(f"\\u{ord(c):04x}" if "\x7f" <= c <= "\x9f" else c for c in text) if any(
        "\x7f" <= c <= "\x9f" for c in text) else text


def neutralise_text(text: str) -> str:
    from kb.escapes import neutralise

    return neutralise(text)


@cli.command()
@click.argument("run_id", required=False)
@click.option("--no-tui", is_flag=True, help="A plain line-by-line prompt instead of the TUI.")
@click.option("--from", "from_step", type=int, default=None, help="Resume at this step number.")
@click.option("--operator", help="Who runs it, as 'Name <email>'.")
@click.option("--push", is_flag=True, help="Push the run record to the KB's remote.")
@click.pass_obj
@guarded
def resume(context: Context, run_id: str | None, no_tui: bool, from_step: int | None, operator: str | None,
           push: bool) -> None:
    """Resume an interrupted run (a crash, kill -9, a closed terminal); without RUN_ID, list them."""
    from kb import runbooks
    from kb.runs import RunStore
    from kb.walk import RunWalk

    kb = context.kb()
    store = RunStore(kb)
    try:
        if run_id is None:
            runs = store.interrupted()
            if not runs:
                click.echo("no interrupted runs")
                return
            for state in runs:
                done = sum(1 for s in state.steps if s.status != "pending")
                click.echo(neutralise_text(f"{state.id}  {state.title}  step {state.current + 1}/{len(state.steps)} "
                           f"({done} recorded)  started {state.started} by {state.operator}"))
            return
        state = store.get(run_id)
    finally:
        store.close()
    if state.outcome is not None:
        fail(f"run {state.id} already ended ({state.outcome}); start a new one with: runbook run {state.runbook} "
             f"--from N")
    runbook = runbooks.load(kb, state.runbook)
    if len(runbook.steps) != len(state.steps):
        fail(f"runbook {state.runbook} changed since run {state.id} began ({len(state.steps)} -> "
             f"{len(runbook.steps)} steps); start a new run")
    secrets, _ = _ask_variables(runbook, {}, only_secret=True)
    _, author = _operator(kb, operator or (state.operator if "<" in state.operator else None))
    walk = RunWalk.resume(kb, runbook, state, secrets, from_step=from_step)
    click.echo(f"Resuming {state.title} at step {walk.run.current + 1}/{len(runbook.steps)}")
    sys.exit(_walk(walk, no_tui, False, author, push))


@cli.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@guarded
def history(context: Context, name: str | None, as_json: bool) -> None:
    """Past runs (of NAME, or all) with their outcomes, from the KB's git history."""
    from kb.runs import history as run_history

    rows = run_history(context.kb(), name)
    if as_json:
        click.echo(dump_json(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no recorded runs" + (f" of {name}" if name else ""))
        return
    for row in rows:
        click.echo(neutralise_text(f"{row['date']}  {row['title']} [{row['runbook']}]  {row['outcome']}  "
                                   f"by {row['operator']}  ({row['commit']}) {row['record']}"))


@cli.command()
@click.argument("name")
@click.pass_obj
@guarded
def new(context: Context, name: str) -> None:
    """Scaffold a hand-written runbook in the KB's runbooks/ folder."""
    from kb.runbooks import scaffold

    path = scaffold(context.kb(), name)
    click.echo(f"Created {path}: edit it, then `runbook run {path.split('/')[-1].removesuffix('.md')}`")


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
    from runbook.cli_identity import operator_for

    kb = context.kb()
    if topic is None:
        rows = onboarding.topics(kb)
        if as_json:
            click.echo(dump_json(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            click.echo("no topics yet: ingest some reports first")
        for row in rows:
            extra = " (hand-written walkthrough)" if row["hand_written"] else ""
            click.echo(neutralise_text(f"{row['topic']:<16} {plural(row['reports'], 'report')}, "
                       f"{plural(row['errors'], 'error')}, {plural(row['checklists'], 'checklist')}{extra}"))
        return
    pages = onboarding.walkthrough(kb, topic)
    who, author = operator_for(kb, operator)
    progress = onboarding.get_progress(kb, who, topic)
    page = 0 if restart or progress["completed"] else min(progress["page"], len(pages) - 1)
    if page:
        click.echo(f"Resuming at page {page + 1} of {len(pages)}.")
    while True:
        onboarding.save_progress(kb, who, topic, page, len(pages))
        click.echo()
        click.echo(click.style(neutralise_text(f"[{page + 1}/{len(pages)}] {pages[page].title}"), bold=True))
        click.echo()
        if sys.stdout.isatty():  # a person reading: Markdown rendered; a pipe or a file gets the Markdown itself
            from runbook.render import terminal_markdown

            click.echo(terminal_markdown(pages[page].body))
        else:
            click.echo(neutralise_text(pages[page].body))
        last = page == len(pages) - 1
        choice = click.prompt(f"\n{'[f]inish' if last else '[n]ext'} [p]revious [q]uit",
                              default="f" if last else "n", type=click.Choice(["n", "p", "q", "f"]), show_choices=False)
        if choice == "q":
            click.echo(f"Progress kept: `runbook onboard {topic}` resumes at page {page + 1}.")
            return
        if choice == "p":
            page = max(page - 1, 0)
        elif last:
            record, problem = onboarding.complete(kb, who, topic, pages, author)
            click.echo(f"Completed the {topic} walkthrough: {record}")
            if problem:
                click.echo(f"{'note' if problem.startswith('committed as') else 'warning'}: {problem}", err=True)
            return
        else:
            page += 1


def main() -> None:
    cli(prog_name="runbook")


if __name__ == "__main__":
    main()
