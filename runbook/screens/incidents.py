"""Incidents: browse reports by date, project or platform; see one's timeline, errors and checklists."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Markdown

from kb import queries
from kb.escapes import neutralise
from runbook.markdown_views import report_markdown

SORTS = ("date", "project", "platform")


class IncidentsScreen(Screen):
    BINDINGS = [
        Binding("s", "cycle_sort", "Sort", id="incidents.sort", tooltip="Sort by date, project or platform"),
        Binding("ctrl+o", "open_report", "Open report", id="incidents.open", tooltip="Read the whole source report"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.reports: list[dict] = []
        self.sort = "date"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="incidents-body"):
            yield DataTable(id="reports", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="incident-scroll"):
                yield Markdown(id="incident-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Date", "Project", "Platform", "Report", "Errors")
        self.reports = queries.list_reports(self.app.kb.store)
        if not self.reports:
            self.query_one("#incident-detail", Markdown).update(
                "## No reports yet\n\nIngest some with `runbook ingest PATH`.")
        self._fill()
        table.focus()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        key = {"date": lambda r: (r["date"] or "", r["title"]), "project": lambda r: (r["project"] or "~", r["title"]),
               "platform": lambda r: (r["platform"] or "~", r["title"])}[self.sort]
        ordered = sorted(self.reports, key=key, reverse=self.sort == "date")
        for report in ordered:
            table.add_row(neutralise(report["date"] or "")[:10], neutralise(report["project"] or "")[:24],
                          neutralise(report["platform"] or "")[:20], neutralise(report["title"])[:48],
                          str(report["errors"]), key=str(report["id"]))
        self.sub_title = f"{len(self.reports)} reports, by {self.sort}"

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._fill()

    @on(DataTable.RowHighlighted)
    def _row(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.load_report(int(event.row_key.value))

    @work(thread=True, exclusive=True, group="incident")
    def load_report(self, report_id: int) -> None:
        report = queries.get_report(self.app.kb.store, report_id)
        self.app.call_from_thread(self._show, report)

    def _show(self, report: dict) -> None:
        self.current = report
        self.query_one("#incident-detail", Markdown).update(report_markdown(report))
        self.query_one("#incident-scroll").scroll_home(animate=False)

    def action_open_report(self) -> None:
        report = getattr(self, "current", None)
        if report is not None:
            from runbook.screens.report import ReportScreen

            self.app.push_screen(ReportScreen(report["path"]))
