"""Runbooks: hand-written runbooks and the KB's checklists, most used first, with their last run.

Enter starts a run (after the variables form); shift+r resumes an interrupted one.
"""

from __future__ import annotations

from collections import Counter

from textual import on, work
from textual.binding import Binding
from textual.widgets import DataTable

from kb import queries, runbooks
from kb.escapes import neutralise
from kb.knowledge_base import KBError
from runbook.markdown_views import checklist_markdown
from runbook.screens.browse import BrowseScreen
from runbook.screens.dialogs import AskFields


class RunbooksScreen(BrowseScreen):
    TABLE_ID = "checklists"
    DETAIL_ID = "checklist-detail"
    BINDINGS = [
        Binding("r", "start_run", "Start run", id="runbooks.run", tooltip="Walk this runbook step by step"),
        Binding("R", "resume", "Resume", id="runbooks.resume", tooltip="Resume an interrupted run"),
    ]

    def on_mount(self) -> None:
        self.table.add_columns("Runbook", "Phase", "Steps", "Cmds", "Last run")
        stats = self._run_stats()
        rows = []
        for path in sorted(self.app.kb.runbooks_dir.glob("*.md")):
            rows.append({"key": f"file:{path.stem}", "name": path.stem, "title": path.stem, "phase": "runbook",
                         "items": "", "commands": 0})
        for row in queries.list_checklists(self.app.kb.store):
            rows.append({"key": f"c{row['id']}", "name": f"c{row['id']}", "title": row["title"],
                         "phase": row["phase"] or "", "items": row["items"], "commands": row["commands"]})
        rows.sort(key=lambda r: (-stats.get(r["name"], (0, ""))[0], -r["commands"], r["title"]))
        for row in rows:
            runs, last = stats.get(row["name"], (0, "never"))
            self.table.add_row(neutralise(row["title"])[:46], row["phase"], str(row["items"]), str(row["commands"]),
                               f"{last} ({runs})" if runs else "never", key=row["key"])
        self.sub_title = f"{len(rows)} runbooks and checklists"
        if not rows:
            self.detail.update("## No runbooks yet\n\nWrite one with `runbook new NAME`, or ingest reports with task lists.")
        self.table.focus()

    def _run_stats(self) -> dict[str, tuple[int, str]]:
        """runbook name -> (number of runs, last outcome)."""
        if not (self.app.kb.derived_dir / "runs.sqlite").exists():
            return {}
        from kb.runs import RunStore

        store = RunStore(self.app.kb)
        try:
            rows = list(store.db.query("select runbook, outcome from runs order by started"))
        finally:
            store.close()
        counts = Counter(row["runbook"] for row in rows)
        last = {row["runbook"]: row["outcome"] or "interrupted" for row in rows}
        return {name: (counts[name], last[name]) for name in counts}

    def load_record(self, key: str) -> dict:
        if key.startswith("file:"):
            runbook = runbooks.load(self.app.kb, key[5:])
            return {"ref": runbook.name, "title": runbook.title, "kind": "runbook", "phase": "",
                    "report": {"path": runbook.source},
                    "items": [{"text": step.title, "checked": False,
                               "commands": [{"command": c.command, "expected": c.expected} for c in step.commands]}
                              for step in runbook.steps]}
        return queries.get_checklist(self.app.kb.store, int(key[1:]))

    def render_record(self, record: dict) -> str:
        return checklist_markdown(record) + "\n\n*Enter starts a run: each command is shown and confirmed first.*"

    # -- runs ----------------------------------------------------------------------------------------
    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (the table takes the key itself) starts a run of it."""
        if self.current is not None and event.row_key.value == self._key_of(self.current):
            self.action_start_run()

    @staticmethod
    def _key_of(record: dict) -> str:
        return record["ref"] if record["ref"].startswith("c") and record["ref"][1:].isdigit() else f"file:{record['ref']}"

    def action_start_run(self) -> None:
        if self.current is None:
            return
        try:
            runbook = runbooks.load(self.app.kb, self.current["ref"])
        except KBError as exc:
            self.notify(str(exc), severity="error")
            return
        from kb.variables import find_variables

        variables = find_variables(runbook.commands(), runbook.variables)
        if not variables:
            self._start(runbook, {}, set())
            return
        fields = [(v.name, f"{v.name}{' (secret)' if v.secret else ''}", v.default, v.secret) for v in variables]
        secrets = {v.name for v in variables if v.secret}
        self.app.push_screen(AskFields(f"Variables for {runbook.title}", fields),
                             lambda values: values is not None and self._start(runbook, values, secrets))

    def _start(self, runbook, values: dict, secrets: set) -> None:
        from kb.walk import RunWalk
        from runbook.cli_identity import operator_for
        from runbook.screens.run import RunScreen

        who, author = operator_for(self.app.kb)
        walk = RunWalk.start(self.app.kb, runbook, who, values, secrets)
        self.app.push_screen(RunScreen(walk, author=author))

    def action_resume(self) -> None:
        from kb.runs import RunStore

        store = RunStore(self.app.kb)
        try:
            runs = store.interrupted()
        finally:
            store.close()
        if not runs:
            self.notify("No interrupted runs.")
            return
        self.resume(runs[-1])

    @work(group="resume")
    async def resume(self, state) -> None:
        from kb.walk import RunWalk
        from runbook.cli_identity import operator_for
        from runbook.screens.run import RunScreen

        runbook = runbooks.load(self.app.kb, state.runbook)
        values = {}
        if state.secret_names:
            values = await self.app.push_screen_wait(AskFields(
                f"Resume {state.title}: secrets are never stored, type them again",
                [(name, name, "", True) for name in state.secret_names])) or {}
        _, author = operator_for(self.app.kb, state.operator if "<" in state.operator else None)
        walk = RunWalk.resume(self.app.kb, runbook, state, values)
        self.notify(f"Resuming {state.title} at step {walk.run.current + 1}")
        self.app.push_screen(RunScreen(walk, author=author))
