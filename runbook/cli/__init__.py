"""The `runbook` command: bare, it opens the TUI; subcommands script the KB.

The click group and its shared helpers are in base; the commands live where they group naturally:
kb_commands (init, ingest, reindex), read_commands (search, list, show), run_commands (run, resume,
history, new, edit), trust_command (trust), onboard_command (onboard), config_command (config). `cli`
(the group, with every command registered) is imported on first use: `runbook search "<error>"`, the command operators run in loops and scripts,
is answered by the search server when one runs (search_client: no import beyond the socket), else by
plain_search without importing click at all (about 40 ms of its start-up), and
bare `runbook [--kb PATH]` opens the TUI without it too; anything else about that command line (help, stdin, an unknown option, a usage error) goes to click.
"""

import sys

__all__ = ["cli", "main"]


COMPLETE_VAR = "_RUNBOOK_COMPLETE"  # click's shell completion: `eval "$(_RUNBOOK_COMPLETE=bash_source runbook)"`


def main() -> None:
    import os

    if os.environ.get(COMPLETE_VAR):  # shell completion is click's: never the TUI, never a plain search
        _register_commands()
        from runbook.cli.base import main as click_main

        click_main()
        return
    if "search" in sys.argv[1:]:  # the search server, when one runs, answers before anything is imported
        from runbook.cli.search_client import answer_by_server

        code = answer_by_server(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    from runbook.cli.plain_search import answer, open_tui, parse, tui_kb_option

    request = parse(sys.argv[1:])
    if request is not None:
        sys.exit(answer(request, may_start_server=True))
    tui = tui_kb_option(sys.argv[1:])
    if tui is not None:  # bare `runbook [--kb PATH]`: the TUI, its first paint not waiting for click
        sys.exit(open_tui(tui[0]))
    _register_commands()
    from runbook.cli.base import main as click_main

    click_main()


def _register_commands() -> None:
    from runbook.cli import (config_command, kb_commands, onboard_command, read_commands, run_commands,  # noqa: F401
                             server_command, trust_command)


def __getattr__(name: str):
    if name == "cli":
        _register_commands()
        from runbook.cli.base import cli

        return cli
    raise AttributeError(f"module 'runbook.cli' has no attribute {name!r}")
