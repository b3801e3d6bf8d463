"""Runs: runbooks and decision trees walked step by step, and what happened recorded to git.

Entry points: kb.runs.runbooks.load (a runbook or tree from a report), kb.runs.walk.RunWalk (the
state machine the CLI and the TUI drive), kb.runs.records (run records, their store and commits).
expect checks a step's output, runner runs one confirmed command, catalogue lists what can be run.
May import every room below it: search (a failing step's output is looked up) and ingest.
"""
