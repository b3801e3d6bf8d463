"""`runbook [--kb PATH] search [-k N] [--json] QUERY` without click: the same answer, the same output,
the same exit codes and one-line errors as the click command (read_commands.search), which it shares
its body with (`answer`). Only that plain shape is taken here; any other command line returns None
from `parse` and click handles it, so help, usage errors and stdin reading stay click's."""

from __future__ import annotations

import sys

import kb  # noqa: F401  (first: kb/parse/lean_imports.py loads dataclasses without inspect)
from dataclasses import dataclass

from runbook.cli.search_client import echo

MAX_RESULTS = 100  # the click option's range is 1..100


@dataclass
class SearchRequest:
    """The plain `search` command line: which KB, the paste, how many answers, JSON or text."""

    kb_option: str | None
    query: str
    limit: int = 3
    as_json: bool = False


@dataclass
class GlobalOptions:
    """The group's own options, before the command: `--kb PATH`, `--no-color`, `--no-pager`."""

    kb_option: str | None = None
    no_color: bool = False
    no_pager: bool = False

    def apply(self) -> None:
        """For this process (the click group applies them here too): NO_COLOR reaches rich, Textual and what
        a run starts; --no-pager is runbook.pager's."""
        import os

        if self.no_color:
            os.environ["NO_COLOR"] = "1"
        if self.no_pager:
            from runbook.pager import disable

            disable()


def global_options(args: list[str]) -> tuple[GlobalOptions, list[str]] | None:
    """The group's options and the rest; None when something else comes first (click's to judge)."""
    options, rest = GlobalOptions(), list(args)
    while rest and rest[0].startswith("-"):
        arg = rest.pop(0)
        if arg == "--kb" and rest:
            options.kb_option = rest.pop(0)
        elif arg.startswith("--kb="):
            options.kb_option = arg.removeprefix("--kb=")
        elif arg == "--no-color":
            options.no_color = True
        elif arg == "--no-pager":
            options.no_pager = True
        else:
            return None
    return options, rest


def parse(args: list[str], stdin: str | None = None) -> SearchRequest | None:
    """The request, when args are the plain shape; None for anything else (click takes it).
    With stdin (the text piped in, read by the search server's client), `search -` and `search` without
    QUERY search it, as the click command does. The global --no-color / --no-pager it carries are
    applied to this process."""
    found = global_options(args)
    if found is None:
        return None
    options, rest = found
    if rest[:1] != ["search"]:
        return None
    request, rest = SearchRequest(options.kb_option, ""), rest[1:]
    query = None
    dash = False  # `-`: the query is stdin
    while rest:
        arg = rest.pop(0)
        if arg == "--json":
            request.as_json = True
        elif arg == "-k" and rest and rest[0].isdigit() and 1 <= int(rest[0]) <= MAX_RESULTS:
            request.limit = int(rest.pop(0))
        elif arg == "-" and stdin is not None and query is None and not dash:
            dash = True
        elif arg.startswith("-") or query is not None or dash:
            return None  # an option click knows better (-h, --help, -), or a second argument: its error
        else:
            query = arg
    if query is None and stdin is not None:
        query = stdin
    if query is None or not query.strip():
        return None  # stdin, or the empty-query error: click's
    request.query = query
    options.apply()
    return request


def tui_kb_option(args: list[str]) -> tuple[str | None] | None:
    """(the --kb value or None,) when args only hold the group's options, i.e. open the TUI; None otherwise.
    The --no-color / --no-pager it carries are applied to this process."""
    found = global_options(args)
    if found is None or found[1]:
        return None
    found[0].apply()
    return (found[0].kb_option,)


def open_tui(kb_option: str | None) -> int:
    """The TUI, as the click group opens it, with the same one-line errors. A KB that is not there is
    said on one line before the TUI starts (exit 1): a screen would hide it from a script and the shell.
    What the TUI returns for the shell line (a command chosen with ctrl+r: navi's --print) is printed
    after it closes."""
    def run() -> int:
        from runbook.session import check_kb_named

        check_kb_named(kb_option)
        from runbook.app import RunbookApp

        app = RunbookApp(kb_option=kb_option)
        chosen = app.run()
        if isinstance(chosen, str) and chosen:
            from kb.parse.escapes import neutralise

            echo(neutralise(chosen))
        return app.return_code or 0

    return _guarded(run)


def answer(request: SearchRequest, kb=None, may_start_server: bool = False) -> int:
    """Search and print; returns the exit code (0 found, 1 nothing found or an operator-facing error).
    With may_start_server (the plain `runbook search` process, which no server answered), a search
    server is started afterwards when RUNBOOK_SEARCH_SERVER allows it (runbook/cli/search_client.py)."""
    from kb.search.ranking import search as run_search
    from runbook.cli.search_client import deliver

    def run() -> int:
        nonlocal kb
        if kb is None:
            kb = open_for_search(request.kb_option)
        outcome = run_search(kb, request.query, k=request.limit)
        color = False
        if outcome.results and not request.as_json:
            from runbook.pager import colour_for

            color = colour_for(sys.stdout)
        code = deliver(*printed(request, outcome, color))
        if may_start_server:
            _maybe_start_server(kb)
        return code

    return _guarded(run)


def printed(request: SearchRequest, outcome, color: bool) -> tuple[list[tuple[str, str]], int]:
    """What a search prints, in order: ("out" | "err", line) and ("page", the answer, shown through the
    pager when long); and the exit code. The same for the in-process search and the search server."""
    from runbook.render import render_results

    events: list[tuple[str, str]] = []
    if outcome.truncated:
        events.append(("err", "note: the paste was over 1 MB; searched its first 1 MB"))
    if request.as_json:
        events.append(("out", dump_json([r.to_dict() for r in outcome.results])))
    elif outcome.results:
        events.append(("page", render_results(outcome.results, color=color)))
    if not outcome.results:
        events.append(("err" if request.as_json else "out", "no known fix for this error in the KB"))
        return events, 1
    return events, 0


def _maybe_start_server(kb) -> None:
    """Start the search server for the next searches: always with RUNBOOK_SEARCH_SERVER=on, for a KB of
    SERVE_FROM_REPORTS reports or more by default (`auto`), never with `off`."""
    from runbook.cli import search_client

    choice = search_client.policy()
    if choice == "off" or search_client.server_replied or kb.read_only():  # one runs (it declined this one)
        return
    if choice == "auto":
        reports = kb.store.conn.execute("select count(*) from reports").fetchone()[0]
        if reports < search_client.SERVE_FROM_REPORTS:
            return
    search_client.start_server(str(kb.root))


def _guarded(run) -> int:
    """What base.guarded does for a click command: operator-facing errors become one line on stderr and
    exit code 1, never a traceback; a reader that left (`| head`) ends it quietly."""
    from kb.store.knowledge_base import KBError
    from kb.store.queries import NotFound
    from runbook.config import ConfigError

    try:
        return run() or 0
    except (KBError, NotFound, ConfigError) as exc:
        echo(f"error: {exc}", err=True)
        return 1
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        detail = f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}".lstrip(": ")
        echo(f"error: {detail}", err=True)
        return 1


def open_for_search(kb_option: str | None):
    """The KB as the click group opens it for search (set up on first use, told when another process
    holds the write lock), without committing pending run records: search only reads."""
    from runbook.session import open_kb

    kb = open_kb(kb_option, on_setup=lambda message: echo(message, err=True))
    kb.on_busy = lambda message: echo(message, err=True)
    if kb.read_only():  # as base.read_only_note says it (click is not imported on this path)
        echo(f"note: {kb.root} is read-only ({kb.read_only()}): opened for reading only (search, list, show, history)",
             err=True)
    return kb


def dump_json(data) -> str:
    """JSON for the terminal: C0 controls are escaped by json; C1 ones (8-bit CSI, OSC) are escaped here too."""
    import json

    text = json.dumps(data, ensure_ascii=False, indent=2)
    return "".join(f"\\u{ord(c):04x}" if "\x7f" <= c <= "\x9f" else c for c in text) if any(
        "\x7f" <= c <= "\x9f" for c in text) else text
