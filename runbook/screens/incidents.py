"""Incidents: browse reports by date, project or platform; see one's timeline, errors and checklists."""

from __future__ import annotations

from textual.binding import Binding

from kb import queries
from kb.escapes import neutralise
from runbook.markdown_views import report_markdown
from runbook.screens.browse import BrowseScreen

SORTS = ("date", "project", "platform")


class IncidentsScreen(BrowseScreen):
    TABLE_ID = "reports"
    DETAIL_ID = "incident-detail"
    BINDINGS = [
        Binding("s", "cycle_sort", "Sort", id="incidents.sort", tooltip="Sort by date, project or platform"),
        Binding("ctrl+o", "open_report", "Open report", id="incidents.open", tooltip="Read the whole source report"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.reports: list[dict] = []
        self.sort = "date"

    def on_mount(self) -> None:
        self.table.add_columns("Date", "Project", "Platform", "Report", "Errors")
        self.reports = queries.list_reports(self.app.kb.store)
        if not self.reports:
            self.detail.update("## No reports yet\n\nIngest some with `runbook ingest PATH`.")
        self._fill()
        self.table.focus()

    def load_record(self, key: str) -> dict:
        return queries.get_report(self.app.kb.store, int(key))

    def render_record(self, record: dict) -> str:
        return report_markdown(record)

    def _fill(self) -> None:
        self.table.clear()
        key = {"date": lambda r: (r["date"] or "", r["title"]), "project": lambda r: (r["project"] or "~", r["title"]),
               "platform": lambda r: (r["platform"] or "~", r["title"])}[self.sort]
        for report in sorted(self.reports, key=key, reverse=self.sort == "date"):
            self.table.add_row(neutralise(report["date"] or "")[:10], neutralise(report["project"] or "")[:24],
                               neutralise(report["platform"] or "")[:20], neutralise(report["title"])[:48],
                               str(report["errors"]), key=str(report["id"]))
        self.sub_title = f"{len(self.reports)} reports, by {self.sort}"

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._fill()

    def action_open_report(self) -> None:
        if self.current is not None:
            from runbook.screens.report import ReportScreen

            self.app.push_screen(ReportScreen(self.current["path"]))
