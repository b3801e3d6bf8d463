"""Commands that walk runbooks: run, resume, history, new, edit."""

from __future__ import annotations

import sys

import click

from kb.store.knowledge_base import KnowledgeBase
from runbook.cli.base import Context, cli, dump_json, fail, guarded, neutralise_text, say, say_long
from runbook.cli.completion import complete_runbook, complete_runbook_file

def _operator(kb: KnowledgeBase, option: str | None) -> tuple[str, tuple[str, str] | None]:
    """--operator, else RUNBOOK_OPERATOR or `operator` in the config file, else the KB's git identity."""
    from runbook.cli.identity import operator_for
    from runbook.config import value

    return operator_for(kb, option or value("operator"))


def _ask_variables(runbook, given: dict[str, str], only_secret: bool = False,
                   unattended: bool = False) -> tuple[dict[str, str], set[str]]:
    """Every variable's value: given with --var, else asked (its default offered); never empty.

    Unattended (--yes), nothing is asked: a variable takes its default or the run does not start."""
    from kb.parse.variables import find_variables

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
@click.argument("name", shell_complete=complete_runbook)
@click.option("--no-tui", is_flag=True, help="A plain line-by-line prompt instead of the TUI (for SSH and scripts).")
@click.option("--dry-run", is_flag=True, help="Show every step and the exact commands; run nothing.")
@click.option("--json", "as_json", is_flag=True, help="With --dry-run: print the steps and commands as JSON.")
@click.option("--yes", is_flag=True, help="Run commands without asking: only a runbook you trusted on this machine (runbook trust NAME), unchanged since.")
@click.option("--from", "from_step", type=int, default=1, show_default=True, help="Start at this step number.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="A variable's value (repeatable).")
@click.option("--operator", help="Who runs it, as 'Name <email>' (default: your git identity).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds before a command is killed (default: RUNBOOK_TIMEOUT or `timeout` in the config file, "
                   "else 300).")
@click.option("--push", is_flag=True, help="Push the run record to the KB's remote.")
@click.option("--on", "target", metavar="USER@HOST", help="Run every command on this host, through your ssh.")
@click.pass_obj
@guarded
def run(context: Context, name: str, no_tui: bool, dry_run: bool, as_json: bool, yes: bool, from_step: int,
        variables: tuple[str, ...], operator: str | None, timeout: float | None, push: bool, target: str | None) -> None:
    """Walk a runbook or checklist (c5, f2, a file in runbooks/, or a checklist title) step by step."""
    from kb.runs import runbooks
    from runbook.config import value

    if as_json and not dry_run:
        raise click.UsageError("--json goes with --dry-run (a run itself is recorded in runs/; see runbook history)")
    timeout = float(value("timeout", timeout))
    kb = context.kb()
    runbook = runbooks.load(kb, name)
    given = _parse_vars(variables)
    if not dry_run:  # a dry run writes nothing: it reads a read-only KB or one mid-merge as well as any
        from kb.store.write_guard import require_writable

        require_writable(kb, "run")  # before any question (trust included): read-only, or git mid-merge/rebase/detached
    if yes:  # only what this operator trusted, on this machine, in exactly this content (kb/runs/trust.py)
        from kb.runs.trust import verdict

        trusted = verdict(kb, runbook)
        if not trusted.allowed:
            fail(f"--yes refused: {trusted.reason}", 2)
        _refuse_terminal_steps(runbook)
    if dry_run:
        from kb.runs.trust import verdict
        from runbook.render import dry_run_json, render_dry_run

        found = verdict(kb, runbook)
        if as_json:
            click.echo(dump_json(dry_run_json(runbook, given, trusted=found.allowed, trust=found.reason)))
        else:
            say_long(render_dry_run(runbook, given, trust=_trust_line(runbook, found)))
        return
    who, author = _operator(kb, operator)
    values, secrets = _ask_variables(runbook, given, unattended=yes)
    from kb.runs.walk import RunWalk

    remote = _connect(target, unattended=yes)
    try:
        walk = RunWalk.start(kb, runbook, who, values, secrets, from_step=from_step, timeout=timeout, remote=remote)
        code = _walk(walk, no_tui, yes, author, push)
    finally:
        if remote is not None:
            remote.close()
    sys.exit(code)


def _refuse_terminal_steps(runbook) -> None:
    """--yes: nobody will be at the terminal, so a command that asks or runs until stopped refuses the run now."""
    from kb.runs.terminal import unattended_problem

    problem = unattended_problem(runbook.steps)
    if problem:
        fail(f"--yes refused: {problem} (nothing was run)", 2)


def _connect(target: str | None, unattended: bool):
    """--on user@host: one ssh connection for the whole run, opened here (a host key or password asked once)."""
    if not target:
        return None
    from kb.runs.remote import SshTarget

    remote = SshTarget.parse(target)
    if not unattended:
        click.echo(f"Connecting to {target} with ssh (every step runs there)…", err=True)
    remote.connect(unattended=unattended)
    return remote


def _trust_line(runbook, found) -> str:
    """Where trust stands, for the dry run: the author's front matter is shown, never taken as a decision."""
    if not found.allowed:
        return "--yes refuses it: " + found.reason
    said = "; its front matter says `trusted: true` (the author's suggestion)" if runbook.author_trusted else ""
    return "--yes runs it unasked: " + found.reason + said


def _walk(walk, no_tui: bool, yes: bool, author, push: bool) -> int:
    if no_tui or not sys.stdin.isatty():
        from runbook.headless import HeadlessRun

        return HeadlessRun(walk, yes).walk_all(author, push)
    from runbook.app import RunbookApp

    app = RunbookApp(walk.kb, run_walk=walk, run_options={"yes": yes, "author": author, "push": push})
    app.run()
    return app.return_code or 0


@cli.command()
@click.argument("run_id", required=False)
@click.option("--no-tui", is_flag=True, help="A plain line-by-line prompt instead of the TUI.")
@click.option("--from", "from_step", type=int, default=None, help="Resume at this step number.")
@click.option("--operator", help="Who runs it, as 'Name <email>'.")
@click.option("--push", is_flag=True, help="Push the run record to the KB's remote.")
@click.option("--json", "as_json", is_flag=True, help="Without RUN_ID: list the interrupted runs as JSON.")
@click.pass_obj
@guarded
def resume(context: Context, run_id: str | None, no_tui: bool, from_step: int | None, operator: str | None,
           push: bool, as_json: bool) -> None:
    """Resume an interrupted run (a crash, kill -9, a closed terminal); without RUN_ID, list them."""
    from kb.runs import runbooks
    from kb.runs.records import RunStore
    from kb.runs.walk import RunWalk

    kb = context.kb()
    store = RunStore(kb)
    try:
        if run_id is None:
            runs = store.interrupted()
            if as_json:
                click.echo(dump_json([_interrupted_json(state) for state in runs]))
                return
            if not runs:
                click.echo("no interrupted runs")
                return
            for state in runs:
                done = sum(1 for s in state.steps if s.status != "pending")
                click.echo(neutralise_text(f"{state.id}  {state.title}  step {state.current + 1}/{len(state.steps)} "
                           f"({done} recorded)  started {state.started} by {state.operator}"))
            return
        if as_json:
            raise click.UsageError("--json lists the interrupted runs: give it without RUN_ID")
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
    from kb.store.write_guard import require_writable

    require_writable(kb, "resume")
    secrets, _ = _ask_variables(runbook, {}, only_secret=True)
    _, author = _operator(kb, operator or (state.operator if "<" in state.operator else None))
    remote = _connect(state.target or None, unattended=False)  # it ran on that host: it goes on there
    try:
        walk = RunWalk.resume(kb, runbook, state, secrets, from_step=from_step, remote=remote)
        say(f"Resuming {state.title} at step {walk.run.current + 1}/{len(runbook.steps)}"
            + (f" on {state.target}" if state.target else ""))
        code = _walk(walk, no_tui, False, author, push)
    finally:
        if remote is not None:
            remote.close()
    sys.exit(code)


def _interrupted_json(state) -> dict:
    return {"id": state.id, "runbook": state.runbook, "title": state.title, "source": state.source,
            "step": state.current + 1, "steps": len(state.steps),
            "recorded": sum(1 for s in state.steps if s.status != "pending"), "started": state.started,
            "operator": state.operator, "resume": f"runbook resume {state.id}"}


@cli.command()
@click.argument("name", required=False, shell_complete=complete_runbook)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@guarded
def history(context: Context, name: str | None, as_json: bool) -> None:
    """Past runs (of NAME, or all) with their outcomes, from the KB's git history."""
    from kb.runs.records import history as run_history

    kb = context.kb()
    rows = run_history(kb, name)
    if name and not rows and not _is_runbook(kb, name):  # a typo must not read as "never run"
        fail(f"no runbook {name} and no recorded runs of it (see: runbook list runbooks, runbook history)")
    if as_json:
        click.echo(dump_json(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no recorded runs" + (f" of {name}" if name else ""))
        return
    say_long("\n".join(f"{row['date']}  {row['title']} [{row['runbook']}]  {row['outcome']}  "
                       f"by {row['operator']}  ({row['commit']}) {row['record']}" for row in rows))


def _is_runbook(kb: KnowledgeBase, name: str) -> bool:
    """NAME names something runnable (even one that does not load now: a broken include, a diagram)."""
    from kb.runs import runbooks
    from kb.store.knowledge_base import KBError

    try:
        runbooks.load(kb, name)
    except runbooks.NoSuchRunbook:
        return False
    except KBError:
        return True
    return True


@cli.command()
@click.argument("name")
@click.pass_obj
@guarded
def new(context: Context, name: str) -> None:
    """Scaffold a hand-written runbook in the KB's runbooks/ folder (committed, so teammates get it)."""
    from kb.runs.records import git_identity
    from kb.runs.runbooks import scaffold
    from kb.store.knowledge_base import KBError

    kb = context.kb()
    path = scaffold(kb, name)
    try:  # its runs are committed; the runbook they ran must be in git too
        kb.commit([path], f"runbook: new {name}", author=git_identity(kb))
    except KBError as exc:
        click.echo(f"warning: {path} is written but not committed: {exc}", err=True)
    click.echo(f"Created {path}: edit it, then `runbook run {path.split('/')[-1].removesuffix('.md')}`")


@cli.command()
@click.argument("name", shell_complete=complete_runbook_file)
@click.pass_obj
@guarded
def edit(context: Context, name: str) -> None:
    """Open a runbook of runbooks/ in $VISUAL or $EDITOR; then check it and commit it.

    A runbook that no longer reads (no steps, a bad include) is left as you wrote it, uncommitted, with a
    one-line error: fix it with `runbook edit NAME` again.
    """
    from runbook.editing import edit_runbook

    outcome = edit_runbook(context.kb(), name)
    if outcome.problem:
        fail(outcome.message)
    say(outcome.message)
