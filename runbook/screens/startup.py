"""The first screen: opening the KB, setting up the default one with visible progress, or saying what is wrong."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static

from runbook.widgets.key_bar import KeyBarOrder


class StartupScreen(KeyBarOrder, Screen):
    # q leaves as ctrl+q does; the key bar shows ctrl+q once, not "q Quit ^q Quit"
    BINDINGS = [Binding("q,escape", "leave", "Quit", id="startup.quit", show=False, tooltip="Leave runbook")]

    def __init__(self) -> None:
        super().__init__()
        self.problem: str | None = None

    def compose(self) -> ComposeResult:
        with Middle(id="startup-middle"):
            with Center():
                yield Static("Opening the knowledge base…", id="startup-status")

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
        else:  # mounted when there is progress to show: an empty row would render its own name
            bar = ProgressBar(id="startup-progress", show_eta=False)
            self.query_one("#startup-middle").mount(Center(bar, id="startup-progress-row"))
        bar.update(total=total, progress=done)
        self.query_one("#startup-status", Static).update(
            f"Setting up the default KB with the bundled sample reports… ({done}/{total})")

    def action_leave(self) -> None:
        """Leaving because the KB cannot be opened is a failure: the shell sees exit code 1."""
        self.app.exit(return_code=1 if self.problem else 0)

    def show_problem(self, message: str) -> None:
        self.problem = message
        for bar in self.query(ProgressBar):
            bar.display = False
        status = self.query_one("#startup-status", Static)
        status.add_class("problem")
        status.update(message)
