"""`python -m runbook.cli`: the same as the `runbook` command."""

from runbook.cli import main

main()
