"""The Textual application. A first screen for now: what the KB holds and how to use it."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from kb.knowledge_base import KnowledgeBase


class RunbookApp(App):
    """runbook's TUI."""

    CSS_PATH = Path(__file__).parent / "styles" / "app.tcss"
    TITLE = "runbook"
    BINDINGS = [Binding("q", "quit", "Quit", id="quit", tooltip="Leave runbook")]

    def __init__(self, kb: KnowledgeBase) -> None:
        super().__init__()
        self.kb = kb

    def compose(self) -> ComposeResult:
        yield Header()
        counts = self.kb.store.counts()
        yield Static(
            f"[b]KB[/b] {self.kb.root}\n\n"
            f"{counts['reports']} reports, {counts['errors']} known errors, {counts['checklists']} checklists, "
            f"{counts['commands']} commands.\n\n"
            "Search from the shell meanwhile: [b]runbook search 'the error line'[/b]",
            id="summary",
        )
        yield Footer()
