"""A source report, rendered: what the operator reads to see the whole story."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, MarkdownViewer

from kb.escapes import neutralise


class ReportScreen(Screen):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back", id="report.back", tooltip="Back to where you were")]

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        yield Header()
        source = self.app.kb.root / self.path
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as exc:
            text = f"# {self.path}\n\nThe report file cannot be read ({exc.strerror}). Run `runbook reindex`."
        yield MarkdownViewer(neutralise(text), show_table_of_contents=True, id="report-viewer")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.path
