"""The first screen: opening the KB, setting up the default one with visible progress, or saying what is wrong."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static


class StartupScreen(Screen):
    BINDINGS = [Binding("q,escape", "app.quit", "Quit", id="startup.quit", tooltip="Leave runbook")]

    def compose(self) -> ComposeResult:
        with Middle():
            with Center():
                yield Static("Opening the knowledge base…", id="startup-status")
            with Center():
                yield ProgressBar(id="startup-progress", show_eta=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False

    def show_progress(self, done: int, total: int) -> None:
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=total, progress=done)
        self.query_one("#startup-status", Static).update(
            f"Setting up the default KB with the bundled sample reports… ({done}/{total})")

    def show_problem(self, message: str) -> None:
        self.query_one(ProgressBar).display = False
        status = self.query_one("#startup-status", Static)
        status.add_class("problem")
        status.update(message)
