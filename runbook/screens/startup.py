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
            yield Center(id="startup-progress-row")

    def on_mount(self) -> None:
        # The first frame is one line of text: the progress bar (only a first run's setup needs it) and
        # the key bar are built after it, so runbook shows at once and the KB opens sooner.
        self.call_after_refresh(self._mount_key_bar)

    async def _mount_key_bar(self) -> None:
        await self.mount(Footer())
        self.refresh_bindings()

    def show_progress(self, done: int, total: int) -> None:
        bars = self.query(ProgressBar)
        if bars:
            bar = bars.first()
        else:
            bar = ProgressBar(id="startup-progress", show_eta=False)
            self.query_one("#startup-progress-row").mount(bar)
        bar.update(total=total, progress=done)
        self.query_one("#startup-status", Static).update(
            f"Setting up the default KB with the bundled sample reports… ({done}/{total})")

    def show_problem(self, message: str) -> None:
        for bar in self.query(ProgressBar):
            bar.display = False
        status = self.query_one("#startup-status", Static)
        status.add_class("problem")
        status.update(message)
