"""runbook's library: incident reports in, known fixes out. Pure Python, no Textual.

Four rooms, and dependencies run one way (pyproject.toml's import-linter contract, checked by
tests/test_architecture.py):

    parse   Markdown text in, a ParsedReport out (errors, fixes, passages, checklists, commands).
    store   the KB directory: git, the SQLite records derived from the reports, the read API.
    search  the analyzer, the Whoosh index and the ranking that answers a pasted error.
    runs    runbooks and decision trees walked step by step, checks, the runner, run records.

`ingest` drives parse -> store -> index for report files, `repo_commits` does the same for a
code repository's fix commits, and `onboarding` builds walkthroughs on top of the rest.
"""

import kb.parse.lean_imports  # noqa: E402,F401  (dataclasses without inspect: start-up of `runbook search`)
