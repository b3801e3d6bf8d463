"""A source report, rendered: what the operator reads to see the whole story."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, MarkdownViewer

from kb.parse.escapes import neutralise
from runbook.widgets.key_bar import KeyBarOrder


class ReportScreen(KeyBarOrder, Screen):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back", id="report.back", tooltip="Back to where you were")]

    def __init__(self, path: str, line: int = 0) -> None:
        super().__init__()
        self.path = path
        self.line = line  # 1-based line to open at (an error or passage), 0 for the top

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
        self.sub_title = self.path + (f" · line {self.line}" if self.line else "")
        if self.line:
            self._tries = 0
            self.set_timer(0.05, self._scroll_to_line)

    def _scroll_to_line(self) -> None:
        """Scroll to the block holding the line, once the document has been rendered."""
        blocks = list(self.query_one("#report-viewer", MarkdownViewer).document.children)
        target = None
        for block in blocks:
            start = getattr(block, "source_range", (0, 0))[0]
            if start <= self.line - 1:
                target = block
        if target is None:
            self._tries += 1
            if self._tries < 40:
                self.set_timer(0.05, self._scroll_to_line)
            return
        target.scroll_visible(top=True, animate=False)
