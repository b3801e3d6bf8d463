"""Commands that write the KB: init, ingest (reports and git histories), reindex."""

from __future__ import annotations

import sys

import click

from kb.store.knowledge_base import KBError, KnowledgeBase
from kb.parse.words import plural
from runbook.cli.base import Context, cli, dump_json, fail, guarded, say

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
    say(f"{'KB already at' if existed else 'Created KB at'} {kb.root}")


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
                    say("", err=True)
            except KBError as exc:
                say(f"error: {exc}", err=True)
                failed = True
                continue
            for note in outcome.notes:
                say(f"note: {note}", err=True)
            if as_json:
                outcomes.append({"repo": str(repo), "summary": outcome.summary()})
            else:
                say(outcome.summary())
        if not paths:
            if as_json:
                click.echo(dump_json({"repos": outcomes}, ensure_ascii=False, indent=2))
            sys.exit(1 if failed else 0)
    from runbook.progress import Progress

    bar = Progress("ingesting")
    result = run_ingest(kb, paths, progress=bar.advance, on_total=bar.start, commit=not no_commit,
                        on_phase=bar.phase)
    bar.finish()
    for message in result.skipped:  # what a folder walk left out (a symlink out of it, a .git directory)
        say(f"skipped: {message}", err=True)
    for message in result.failed:
        say(f"error: {message}", err=True)
    for note in result.notes:  # e.g. a giant file read as sections only up to the parse bound
        say(f"note: {note}", err=True)
    if as_json:
        payload = {"ingested": result.ingested, "unchanged": result.unchanged, "failed": result.failed,
                   "skipped": result.skipped, "commit": result.commit, "redacted": result.redactions_json()}
        if outcomes:
            payload["repos"] = outcomes
        click.echo(dump_json(payload, ensure_ascii=False, indent=2))
    else:
        for line in result.redaction_lines():
            say(line)
        say(result.summary())
    if result.failed or failed:
        sys.exit(1)


def _check_secrets(paths: tuple[str, ...], as_json: bool) -> None:
    """`ingest --check`: the secrets ingest would redact, per file; nothing is written anywhere."""
    from kb.ingest import check

    if not paths:
        raise click.UsageError("--check takes report files or directories")
    result = check(paths)
    for message in result.skipped:
        say(f"skipped: {message}", err=True)
    for message in result.failed:
        say(f"error: {message}", err=True)
    if as_json:
        click.echo(dump_json({"checked": result.scanned, "failed": result.failed, "skipped": result.skipped,
                               "redacted": result.redactions_json()}, ensure_ascii=False, indent=2))
    else:
        for line in result.redaction_lines():
            say(line)
        say(result.summary())
    sys.exit(1 if result.redacted or result.failed else 0)


@cli.command()
@click.pass_obj
@guarded
def reindex(context: Context) -> None:
    """Rebuild the database and search index from the KB's Markdown sources."""
    from kb.ingest import rebuild
    from kb.store.knowledge_base import DamagedDatabase

    kb = context.kb_without_retry()
    try:
        kb.store
    except DamagedDatabase:
        kb.discard_database()
        say("the damaged database was removed and is rebuilt from the reports; "
                   "ingest git histories (--repo) again to restore their commits", err=True)
    from runbook.progress import Progress

    bar = Progress("reindexing")
    result = rebuild(kb, progress=bar.advance, on_total=bar.start, on_phase=bar.phase)
    bar.finish()
    for message in result.failed:
        say(f"error: {message}", err=True)
    for note in result.notes:
        say(f"note: {note}", err=True)
    say(f"reindexed {plural(len(result.ingested), 'report')}, failed {len(result.failed)}")
    if result.failed:
        sys.exit(1)
