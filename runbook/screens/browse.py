"""A table of records beside a Markdown detail pane; the highlighted row loads in a worker.

Incidents and Runbooks are both this shape; each says what its rows are and how one renders.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Markdown


class BrowseScreen(Screen):
    TABLE_ID = "rows"
    DETAIL_ID = "detail"

    def __init__(self) -> None:
        super().__init__()
        self.current: dict | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="browse-body"):
            yield DataTable(id=self.TABLE_ID, cursor_type="row", zebra_stripes=True)
            with VerticalScroll(classes="browse-detail"):
                yield Markdown(id=self.DETAIL_ID)
        yield Footer()

    @property
    def table(self) -> DataTable:
        return self.query_one(DataTable)

    @property
    def detail(self) -> Markdown:
        return self.query_one(f"#{self.DETAIL_ID}", Markdown)

    def load_record(self, key: str) -> dict:
        """Read one record (runs in a worker thread)."""
        raise NotImplementedError

    def render_record(self, record: dict) -> str:
        raise NotImplementedError

    @on(DataTable.RowHighlighted)
    def _row(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._load(event.row_key.value)

    @work(thread=True, exclusive=True, group="browse")
    def _load(self, key: str) -> None:
        from kb.knowledge_base import KBError

        try:
            record = self.load_record(key)
        except KBError as exc:  # a broken runbook file, say: say so in the pane, keep the app
            self.current = None
            self.app.call_from_thread(self.detail.update, f"## Cannot open this\n\n{exc}")
            return
        self.app.call_from_thread(self._show, record)

    def _show(self, record: dict) -> None:
        self.current = record
        self.detail.update(self.render_record(record))
        self.query_one(".browse-detail").scroll_home(animate=False)
