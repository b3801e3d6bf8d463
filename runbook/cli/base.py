"""The `runbook` click group and what every command shares: the KB it opens, one-line errors, safe output.

Every import beyond click lives inside the command that needs it, so a command loads only what it
runs: `runbook search` reads SQLite with the standard library and never imports Textual, GitPython,
sqlite-utils, detect-secrets or the shell grammar (tests/test_boundary.py runs it and checks)."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable

import click

from kb.store.knowledge_base import KBError, KnowledgeBase
from kb.store.queries import NotFound
from runbook.config import ConfigError


def complete_directories(ctx, param, incomplete: str):
    """--kb completes directories (the shell's own file completion)."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="dir")]


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

            self._kb = open_kb(self.kb_option, on_setup=lambda msg: say(msg, err=True))
            self._kb.on_busy = lambda msg: say(msg, err=True)  # another process holds the write lock
            note = read_only_note(self._kb)
            if note:
                say(note, err=True)
        return self._kb


def read_only_note(kb: KnowledgeBase) -> str | None:
    """The note a command on a read-only KB starts with (kb.store.write_guard)."""
    reason = kb.read_only()
    if not reason:
        return None
    return f"note: {kb.root} is read-only ({reason}): opened for reading only (search, list, show, history)"


def _retry_run_records(kb: KnowledgeBase) -> None:
    """Records a previous run could not commit are committed now (cheap: one file check otherwise)."""
    if not (kb.derived_dir / "runs.sqlite").exists() or kb.read_only():
        return
    from kb.runs.records import git_identity, parse_operator, retry_pending

    def author_for(operator: str):
        return parse_operator(operator) if "<" in operator else git_identity(kb)

    for message in retry_pending(kb, author_for):
        say(message, err=True)


def say(text: str = "", err: bool = False, nl: bool = True) -> None:
    """Print a line that may hold anything from a KB (report and runbook text, file names, commit
    messages): its terminal escapes are neutralised first (kb.parse.escapes.neutralise, the one
    function every output path uses), so nothing a teammate wrote can drive the operator's terminal."""
    click.echo(neutralise_text(text), err=err, nl=nl)


def say_long(text: str) -> None:
    """`say` for output that may be long (show, list, history, a dry run): through the pager on a
    terminal when it does not fit (runbook/pager.py), printed as it is anywhere else."""
    from runbook.pager import show

    show(neutralise_text(text))


def fail(message: str, code: int = 1) -> None:
    say(f"error: {message}", err=True)
    sys.exit(code)


def guarded(func: Callable) -> Callable:
    """Operator-facing errors become one line on stderr and a non-zero exit, never a traceback."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (KBError, NotFound, ConfigError) as exc:
            fail(str(exc))
        except BrokenPipeError:  # `runbook list | head`: the reader left, nothing to say
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except OSError as exc:
            fail(f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}".lstrip(": "))
        except sqlite3.Error as exc:  # a full disk, a read-only KB, a file another process holds: one line
            context = next((arg for arg in args if isinstance(arg, Context)), None)
            kb = context._kb if context is not None else None
            if "readonly" in str(exc) or (kb is not None and kb.read_only()):
                fail(f"the KB is read-only ({exc}): this command needs to write to it; search, list, show and "
                     "history still work")
            fail(f"the KB's database could not be used ({exc}); if it persists, rebuild it with: runbook reindex")

    return wrapper


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--kb", "kb_option", metavar="PATH", envvar="RUNBOOK_KB", shell_complete=complete_directories,
              help="The KB directory (default: $RUNBOOK_KB, else `kb` in the config file, else a KB in your user "
                   "data dir with the samples).")
@click.option("--no-color", "no_color", is_flag=True, help="No colour in any output, CLI or TUI (as NO_COLOR=1 does).")
@click.option("--no-pager", "no_pager", is_flag=True, help="Never page long output on a terminal.")
@click.version_option(package_name="runbook")
@click.pass_context
def cli(ctx: click.Context, kb_option: str | None, no_color: bool, no_pager: bool) -> None:
    """runbook: paste an error, get the fix that worked last time.

    Without a command, opens the interactive TUI on the current KB.
    """
    apply_output_flags(no_color, no_pager)
    if _no_color():
        ctx.color = False  # every click.echo/secho of this command (and its subcommand) strips styles
    ctx.obj = Context(kb_option)
    if ctx.invoked_subcommand is None:
        from runbook.cli.plain_search import open_tui

        code = open_tui(kb_option)
        if code:
            sys.exit(code)


def apply_output_flags(no_color: bool, no_pager: bool) -> None:
    """--no-color and --no-pager, for this process (as the click-free paths apply them: plain_search)."""
    from runbook.cli.plain_search import GlobalOptions

    GlobalOptions(None, no_color, no_pager).apply()


def _no_color() -> bool:
    from runbook.pager import no_color

    return no_color()


def dump_json(data, **_: object) -> str:
    """JSON for the terminal (plain_search.dump_json: C0 and C1 controls escaped)."""
    from runbook.cli.plain_search import dump_json as plain_dump_json

    return plain_dump_json(data)


def neutralise_text(text: str) -> str:
    from kb.parse.escapes import neutralise

    return neutralise(text)


def main() -> None:
    cli(prog_name="runbook")
