"""Incidents: browse reports by date, project or platform; see one's timeline, errors and checklists."""

from __future__ import annotations

from textual.binding import Binding

from kb.store import queries
from kb.parse.escapes import neutralise
from kb.parse.words import plural
from runbook.markdown_views import report_markdown
from runbook.screens.browse import BrowseScreen, Column

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
        key = {"date": lambda r: (r["date"] or "", r["title"]), "project": lambda r: (r["project"] or "~", r["title"]),
               "platform": lambda r: (r["platform"] or "~", r["title"])}[self.sort]
        rows = sorted(self.reports, key=key, reverse=self.sort == "date")
        kept_first = {"date": ("date", "project", "platform"), "project": ("project", "date", "platform"),
                      "platform": ("platform", "date", "project")}[self.sort]
        columns = [
            Column("date", "Date", [neutralise(r["date"] or "")[:10] for r in rows], priority=kept_first.index("date")),
            Column("title", "Report", [_one_line(r["title"]) for r in rows], flexible=True, minimum=30),
            Column("errors", "Errors", [str(r["errors"]) for r in rows], priority=-1, justify="right"),
            Column("project", "Project", [short_name(r["project"]) for r in rows], cap=14,
                   priority=kept_first.index("project")),
            Column("platform", "Platform", [short_name(r["platform"]) for r in rows], cap=14,
                   priority=kept_first.index("platform")),
        ]
        self.show_rows(columns, [str(r["id"]) for r in rows], f"{plural(len(rows), 'report')}, by {self.sort}")

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._fill()

    def action_open_report(self) -> None:
        if self.current is not None:
            self.open_row(self.current["key"])

    def open_row(self, key: str) -> None:
        """Enter (or ctrl+o): the whole source report."""
        from runbook.screens.report import ReportScreen

        path = next((r["path"] for r in self.reports if str(r["id"]) == key), None)
        if path is not None:
            self.app.push_screen(ReportScreen(path))


def _one_line(text: str | None) -> str:
    return neutralise(" ".join((text or "").split()))


def short_name(text: str | None) -> str:
    """A project or platform as a column shows it: its name, without the versions in brackets after it."""
    name = _one_line(text)
    for mark in (" (", "（", "(", " - ", " · ", ", "):
        head = name.split(mark, 1)[0].strip()
        if head:
            name = head
    return name

