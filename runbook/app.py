"""The Textual application: opens the KB in a worker, then the search screen.

Screens are modes (F2-F5) created on first use; every blocking call (opening or
setting up the KB, building the index, searching, loading records) runs in a
thread worker that posts a message back.
"""

from __future__ import annotations

from pathlib import Path

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import get_current_worker

from runbook.commands import KBCommands
from runbook.messages import KBProblem, KBReady, SetupProgress
from runbook.screens.startup import StartupScreen

if TYPE_CHECKING:
    from kb.store.knowledge_base import KnowledgeBase


# Screens are imported when first shown: the first paint waits only for Textual and the startup screen.
def _search_screen() -> Screen:
    from runbook.screens.search import SearchScreen

    return SearchScreen()


def _incidents_screen() -> Screen:
    from runbook.screens.incidents import IncidentsScreen

    return IncidentsScreen()


def _runbooks_screen() -> Screen:
    from runbook.screens.runbooks import RunbooksScreen

    return RunbooksScreen()


def _onboarding_screen() -> Screen:
    from runbook.screens.onboarding import OnboardingScreen

    return OnboardingScreen()


def _init_without_empty_no_color(init) -> None:
    """Textual turns colour off for NO_COLOR set to anything; no-color.org says an empty value does not
    count, so it is hidden from App.__init__ (set and non-empty, or --no-color, does turn colour off)."""
    import os

    if os.environ.get("NO_COLOR") != "":
        init()
        return
    del os.environ["NO_COLOR"]
    try:
        init()
    finally:
        os.environ["NO_COLOR"] = ""


class RunbookApp(App[str | None]):
    """runbook's TUI."""

    CSS_PATH = Path(__file__).parent / "styles" / "app.tcss"
    TITLE = "runbook"
    MODES = {"search": _search_screen, "incidents": _incidents_screen, "runbooks": _runbooks_screen,
             "onboarding": _onboarding_screen}
    COMMANDS = App.COMMANDS | {KBCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]  # a 24-row terminal: the search screen makes room
    BINDINGS = [
        Binding("f2", "go('search')", "Search", id="app.search", tooltip="Paste an error, get the known fix"),
        Binding("f3", "go('incidents')", "Incidents", id="app.incidents", tooltip="Browse the reports"),
        Binding("f4", "go('runbooks')", "Runbooks", id="app.runbooks", tooltip="Runbooks, checklists, procedures, decision trees"),
        Binding("f5", "go('onboarding')", "Onboard", id="app.onboarding", tooltip="What the KB knows, per topic"),
        Binding("f1,question_mark", "help", "Help", id="app.help", tooltip="List the keys"),
        Binding("ctrl+t", "change_theme", "Theme", id="app.theme", show=False, tooltip="Switch the colour theme"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave runbook"),
    ]

    def __init__(self, kb: "KnowledgeBase | None" = None, kb_option: str | None = None, run_walk=None,
                 run_options: dict | None = None) -> None:
        _init_without_empty_no_color(super().__init__)
        self.kb = kb
        self.kb_option = kb_option
        self.searcher = None  # opened by the search screen after its first paint (SearcherReady)
        self.kb_open = False  # KBReady handled: the screens can be shown
        self.kb_counts: dict[str, int] | None = None  # counted when the KB opened (off the UI thread)
        self.run_walk = run_walk  # `runbook run NAME`: open straight on this run
        self.run_options = run_options or {}
        self.last_run_outcome: str | None = None
        self.operator_name: str | None = None  # given in the run form when the KB has no git identity
        self.configured_theme = self._configured_theme()  # checked now: a bad name is one line, before the TUI

    def _configured_theme(self) -> str | None:
        """The theme from RUNBOOK_THEME or the config file; a name Textual lacks is a one-line ConfigError."""
        from runbook.config import check_theme, setting

        theme = setting("theme")
        if theme.source == "default":
            return None
        check_theme(theme, self.available_themes)
        return str(theme.value)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F2-F5 lead nowhere until the KB is open, nor to the screen you are on: hidden from the key bar
        then (F1 lists them all)."""
        if action == "go" and (not self.kb_open or (parameters and parameters[0] == self.current_mode)):
            return False
        return True

    def on_mount(self) -> None:
        if self.configured_theme:
            self.theme = self.configured_theme
        self.push_screen(StartupScreen())
        # after the first frame: the worker's imports (Whoosh, SQLite, the search screen) hold the GIL
        # for a while, and the operator should see runbook at once, not a blank terminal
        self.call_after_refresh(self.open_kb)

    @work(thread=True, exclusive=True, group="kb")
    def open_kb(self) -> None:
        from kb.store.knowledge_base import KBError
        from runbook.session import open_kb

        try:
            kb = self.kb or open_kb(self.kb_option, progress=lambda done, total: self.post_message(
                SetupProgress(done, total)))
            kb.require()
            counts = kb.store.counts()  # the search screen's status line (tens of ms on a large KB)
        except (KBError, OSError) as exc:
            self.post_message(KBProblem(f"{exc}\n\nCreate a KB with `runbook init PATH`, or run runbook "
                                        "without --kb to use the default one. Press q to quit."))
            return
        # imported here, not on the UI thread when it is shown; the search index (Whoosh, rapidfuzz and
        # the Searcher, about 0.1 s) is opened by the search screen once it is on screen
        import runbook.screens.search  # noqa: F401

        if not get_current_worker().is_cancelled:  # the app is closing: nobody to tell
            self.post_message(KBReady(kb, counts))

    @on(SetupProgress)
    def _setup_progress(self, message: SetupProgress) -> None:
        if isinstance(self.screen, StartupScreen):
            self.screen.show_progress(message.done, message.total)

    @on(KBProblem)
    def _kb_problem(self, message: KBProblem) -> None:
        if isinstance(self.screen, StartupScreen):
            self.screen.show_problem(message.message)

    @on(KBReady)
    def _kb_ready(self, message: KBReady) -> None:
        self.kb = message.kb
        self.kb_counts = message.counts
        self.kb_open = True
        self.sub_title = str(self.kb.root).replace(str(Path.home()), "~", 1)
        if self.kb.read_only():  # looked at by kb.require() in the worker: no file system call here
            self.sub_title += " (read-only)"
            self.notify(f"{self.kb.root} is read-only ({self.kb.read_only()}): search and browse work; ingest and "
                        "runs need write access.", title="Read-only KB", timeout=8)
        self.switch_mode("search")
        if self.run_walk is not None:
            from runbook.screens.run import RunScreen

            self.push_screen(RunScreen(self.run_walk, exit_when_done=True, **self.run_options))
        else:
            self.check_interrupted_runs()

    @work(thread=True, group="kb")
    def check_interrupted_runs(self) -> None:
        if not (self.kb.derived_dir / "runs.sqlite").exists() or self.kb.read_only():  # it could not resume them
            return
        from kb.runs.records import RunStore

        store = RunStore(self.kb)
        try:
            count = len(store.interrupted())
        finally:
            store.close()
        if count:
            self.call_from_thread(self.notify, f"{count} interrupted run(s): F4, then shift+r resumes.",
                                  title="Resume", timeout=8)

    def action_go(self, mode: str) -> None:
        if self.kb_open:
            self.switch_mode(mode)

    def action_help(self) -> None:
        from runbook.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def open_error_search(self, query: str) -> None:
        """From the command palette: show the search screen with this query."""
        self.switch_mode("search")
        screen = self.screen
        if hasattr(screen, "search_for"):
            screen.search_for(query)

    def open_runbook(self, ref: str) -> None:
        """From the command palette: the Runbooks screen with this runbook highlighted."""
        self.switch_mode("runbooks")
        self.call_after_refresh(lambda: hasattr(self.screen, "select") and self.screen.select(ref))

    def on_unmount(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
