"""The `runbook` command: bare, it opens the TUI; subcommands script the KB.

The click group and its shared helpers are in base; the commands live where they group naturally:
kb_commands (init, ingest, reindex), read_commands (search, list, show), run_commands (run, resume,
history, new), onboard_command (onboard). Importing this package registers them all.
"""

from runbook.cli import kb_commands, onboard_command, read_commands, run_commands  # noqa: F401 (registers)
from runbook.cli.base import cli, main

__all__ = ["cli", "main"]
