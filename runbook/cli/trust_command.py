"""`runbook trust`: the operator reads what a runbook would run, then trusts that exact content here.

Thin over kb.runs.trust: trust lives in the user's state directory, never in the KB."""

from __future__ import annotations

import sys

import click

from runbook.cli.base import Context, cli, dump_json, fail, guarded, say


@cli.command()
@click.argument("name", required=False)
@click.option("--list", "as_list", is_flag=True, help="The runbooks trusted on this machine, and whether they changed.")
@click.option("--revoke", metavar="NAME", help="Forget the trust in NAME: --yes refuses it again.")
@click.option("--yes", is_flag=True, help="Record the trust without asking (what it trusts is still printed).")
@click.option("--json", "as_json", is_flag=True, help="With --list: JSON.")
@click.pass_obj
@guarded
def trust(context: Context, name: str | None, as_list: bool, revoke: str | None, yes: bool, as_json: bool) -> None:
    """Show every command a runbook in runbooks/ would run (includes expanded), then trust that exact
    content on this machine, so `runbook run NAME --yes` may run it unasked until it changes."""
    from kb.runs import trust as trust_store

    kb = context.kb()
    if sum(bool(x) for x in (name, as_list, revoke)) != 1:
        raise click.UsageError("give a runbook NAME, or --list, or --revoke NAME")
    if as_list:
        _list(kb, as_json)
        return
    if revoke:
        entry = trust_store.revoke(kb, revoke)
        if entry is None:
            fail(f"{revoke} is not trusted on this machine (see: runbook trust --list)")
        say(f"revoked: {trust_store.name_of(entry.runbook)} ({entry.runbook}): "
            "--yes refuses it until you trust it again")
        return
    _trust(kb, name, yes)


def _trust(kb, name: str, yes: bool) -> None:
    from kb.runs import runbooks
    from kb.runs import trust as trust_store
    from runbook.render import render_dry_run

    runbook = runbooks.load(kb, name)
    why_not = trust_store.refusal(runbook)
    if why_not:
        fail(why_not, 2)
    short = trust_store.name_of(runbook.files[0][0])
    lines = [f"Trust on this machine: {runbook.title}  ({runbook.files[0][0]})"]
    for index, (path, digest) in enumerate(runbook.files):
        lines.append(f"  {path}  sha256 {digest[:16]}{'  (included)' if index else ''}")
    if runbook.author_trusted:
        lines.append("  its front matter says `trusted: true`: the author's suggestion; the decision is yours")
    lines += ["", f"What `runbook run {short} --yes` would run, unasked, in this order (placeholders take "
                  "--var values or their defaults):", render_dry_run(runbook, {}, header=False)]
    say("\n".join(lines))
    current = trust_store.verdict(kb, runbook)
    if current.allowed:
        say(f"\nAlready trusted, unchanged ({current.reason}).")
        return
    if current.changed:
        say(f"\nChanged since you trusted it: {', '.join(current.changed)}")
    commands = len(runbook.commands())
    if not yes:
        try:
            agreed = click.confirm(f"\nTrust exactly this content ({commands} command{'s' * (commands != 1)}, "
                                   f"{len(runbook.files)} file{'s' * (len(runbook.files) != 1)})?", default=False)
        except click.Abort:
            agreed = False
        if not agreed:
            fail("not trusted: nothing was recorded")
    entry = trust_store.trust(kb, runbook)
    say(f"Trusted {short} on this machine ({len(entry.files)} file{'s' * (len(entry.files) != 1)}, "
        f"{entry.commands} commands): `runbook run {short} --no-tui --yes` runs it unasked until it changes.")


def _list(kb, as_json: bool) -> None:
    from kb.runs import trust as trust_store

    rows = [{"runbook": trust_store.name_of(entry.runbook), "path": entry.runbook, "title": entry.title,
             "state": state, "trusted_at": entry.trusted_at, "files": entry.files, "commands": entry.commands}
            for entry, state in trust_store.status(kb)]
    if as_json:
        click.echo(dump_json(rows))
        return
    if not rows:
        say("nothing is trusted in this KB on this machine (runbook trust NAME reviews and trusts one)")
        return
    for row in rows:
        say(f"{row['runbook']}  {row['state']}  trusted {row['trusted_at'][:10]}  "
            f"{len(row['files'])} file{'s' * (len(row['files']) != 1)}, {row['commands']} commands  {row['title']}")
    say(f"(kept in {trust_store.state_file(kb)}, never in the KB)", err=True)
    sys.stdout.flush()
