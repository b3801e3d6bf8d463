"""Runbooks: the checklists and procedures of the KB, those with commands first."""

from __future__ import annotations

from textual.binding import Binding

from kb import queries
from kb.escapes import neutralise
from runbook.markdown_views import checklist_markdown
from runbook.screens.browse import BrowseScreen


class RunbooksScreen(BrowseScreen):
    TABLE_ID = "checklists"
    DETAIL_ID = "checklist-detail"
    BINDINGS = [
        Binding("enter,r", "start_run", "Start run", id="runbooks.run", tooltip="Walk this checklist step by step"),
    ]

    def on_mount(self) -> None:
        self.table.add_columns("Checklist", "Phase", "Steps", "Cmds", "Last run")
        rows = queries.list_checklists(self.app.kb.store)
        rows.sort(key=lambda row: (-row["commands"], -row["items"], row["title"]))
        for row in rows:
            self.table.add_row(neutralise(row["title"])[:46], row["phase"] or "", str(row["items"]),
                               str(row["commands"]), "never", key=str(row["id"]))
        self.sub_title = f"{len(rows)} checklists"
        if not rows:
            self.detail.update("## No checklists yet\n\nIngest reports with task lists.")
        self.table.focus()

    def load_record(self, record_id: int) -> dict:
        return queries.get_checklist(self.app.kb.store, record_id)

    def render_record(self, record: dict) -> str:
        return checklist_markdown(record)

    def action_start_run(self) -> None:
        if self.current is None:
            return
        self.notify(f"Runs are not built yet: walk it with `runbook show {self.current['ref']}` meanwhile.",
                    title="Start run", severity="warning")
