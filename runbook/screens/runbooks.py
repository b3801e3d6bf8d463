"""Runbooks: the checklists and procedures of the KB, those with commands first."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Markdown

from kb import queries
from kb.escapes import neutralise
from runbook.markdown_views import checklist_markdown


class RunbooksScreen(Screen):
    BINDINGS = [
        Binding("enter,r", "start_run", "Start run", id="runbooks.run", tooltip="Walk this checklist step by step"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.current: dict | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="runbooks-body"):
            yield DataTable(id="checklists", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="checklist-scroll"):
                yield Markdown(id="checklist-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Checklist", "Phase", "Steps", "Cmds", "Last run")
        rows = queries.list_checklists(self.app.kb.store)
        rows.sort(key=lambda row: (-row["commands"], -row["items"], row["title"]))
        for row in rows:
            table.add_row(neutralise(row["title"])[:46], row["phase"] or "", str(row["items"]), str(row["commands"]),
                          "never", key=str(row["id"]))
        self.sub_title = f"{len(rows)} checklists"
        if not rows:
            self.query_one("#checklist-detail", Markdown).update("## No checklists yet\n\nIngest reports with task lists.")
        table.focus()

    @on(DataTable.RowHighlighted)
    def _row(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.load(int(event.row_key.value))

    @work(thread=True, exclusive=True, group="checklist")
    def load(self, checklist_id: int) -> None:
        checklist = queries.get_checklist(self.app.kb.store, checklist_id)
        self.app.call_from_thread(self._show, checklist)

    def _show(self, checklist: dict) -> None:
        self.current = checklist
        self.query_one("#checklist-detail", Markdown).update(checklist_markdown(checklist))

    def action_start_run(self) -> None:
        if self.current is None:
            return
        self.notify(f"Runs are not built yet: walk it with `runbook show {self.current['ref']}` meanwhile.",
                    title="Start run", severity="warning")
