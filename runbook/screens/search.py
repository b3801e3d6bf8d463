"""The search screen: paste an error, see the known fix. Results update as you type, from a worker."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Markdown, OptionList, Static, TextArea
from textual.worker import get_current_worker

from kb.parse.escapes import neutralise
from kb.parse.words import plural
from runbook.markdown_views import error_markdown, fix_commands
from runbook.messages import SearcherReady, SearchFinished
from runbook.widgets.result_list import ResultList
from runbook.widgets.key_bar import KeyBarOrder

if TYPE_CHECKING:  # the search index reader and rapidfuzz are imported by load_searcher, after the first paint
    from kb.search.ranking import Result

PLACEHOLDER = "Paste an error message or a whole log here…"


class SearchScreen(KeyBarOrder, Screen):
    BINDINGS = [
        Binding("ctrl+g", "copy_command", "Copy", id="search.copy",
                tooltip="Copy a command of the selected fix to the clipboard (pick one when it has several)"),
        Binding("ctrl+o", "open_report", "Report", id="search.open",
                tooltip="Read the source report of the selected error"),
        Binding("ctrl+l", "clear", "Clear", id="search.clear", show=False, tooltip="Clear the paste area"),
        # priority: the paste area would take ctrl+d (delete right) and say nothing
        Binding("ctrl+d", "diff", "Diff", id="search.diff", priority=True, show=False,
                tooltip="Show the diff of the selected fix's commit"),
        Binding("escape", "focus_results", "Results", show=False, id="search.results"),
        Binding("ctrl+b", "copy_all_commands", "Copy all", id="search.copy_all", show=False,
                tooltip="Copy every command of the selected fix, one a line"),
        Binding("ctrl+r", "to_shell", "To shell", id="search.to_shell", show=False,
                tooltip="Leave runbook and print the selected fix's command for your shell line (navi's --print)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.results: list[Result] = []
        self._searching = False  # a search worker is running (not `_running`: Textual's own)
        self._typed_since: str | None = None  # the newest text, typed while it ran
        self._shown_query = ""  # the query whose results are on screen
        self.repo_commits: dict[str, list[dict]] = {}  # result ref -> fix commits from ingested repos
        self.copied: str | None = None  # the last command copied (the clipboard cannot be read back)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="search-body"):
            with Vertical(id="search-left"):
                yield TextArea(id="paste", placeholder=PLACEHOLDER, soft_wrap=True, show_line_numbers=False)
                yield Static(id="search-status")
                yield ResultList(id="results")
            with VerticalScroll(id="detail-scroll"):
                yield Markdown(id="detail")

    def on_mount(self) -> None:
        counts = self.app.kb_counts or self.app.kb.store.counts()  # counted off the UI thread on start-up
        status = self.query_one("#search-status", Static)
        if counts["reports"] == 0:
            status.update("This KB has no reports yet.")
        else:
            status.update(f"{plural(counts['errors'], 'known error')} in {plural(counts['reports'], 'report')}")
        self.query_one("#paste", TextArea).focus()
        # the key bar (a widget per binding, about 40 ms to build) follows the first frame
        self.call_after_refresh(self._mount_key_bar)
        # the paste area takes keys from the first frame; the help text (Markdown parsed into widgets)
        # and the search index follow it, and text typed meanwhile is searched once the index is open
        self.call_after_refresh(self._show_help, counts["reports"])
        if self.app.searcher is None:
            self.call_after_refresh(self.load_searcher)

    async def _mount_key_bar(self) -> None:
        await self.mount(Footer())
        self.refresh_bindings()  # the footer lists the keys when the bindings signal next fires

    def _show_help(self, reports: int) -> None:
        if self.results or self._shown_query:  # a search already answered: its detail stays
            return
        if reports == 0:
            self.query_one("#detail", Markdown).update(
                "## An empty knowledge base\n\nAdd incident reports from a shell, then come back:\n\n"
                f"```bash\nrunbook --kb {self.app.kb.root} ingest ~/postmortems/\n```")
        else:
            self.query_one("#detail", Markdown).update(
                "## Paste an error\n\nPaste what your terminal printed (one line or a whole traceback). "
                "The known fix appears here as you type.\n\n"
                "- **↑/↓** in the results picks another match\n- **ctrl+g** copies a command of the fix (pick one)\n"
                "- **ctrl+o** opens the source report\n- **F1** lists every key")

    @work(thread=True, exclusive=True, group="searcher")
    def load_searcher(self) -> None:
        """Open the search index off the UI thread (its segments, field statistics)."""
        from kb.search.ranking import Searcher

        try:
            searcher, problem = Searcher(self.app.kb), ""
        except Exception as exc:  # noqa: BLE001  (a damaged index must not take the app down)
            searcher, problem = None, f"{type(exc).__name__}: {exc}"
        if get_current_worker().is_cancelled:  # the app is closing: nobody to hand it to
            if searcher is not None:
                searcher.close()
            return
        self.post_message(SearcherReady(searcher, problem))

    @on(SearcherReady)
    def _searcher_ready(self, message: SearcherReady) -> None:
        if message.searcher is None:
            self.query_one("#search-status", Static).update(
                f"Search unavailable: {message.problem} (runbook reindex rebuilds the index)")
            return
        self.app.searcher = message.searcher
        if self._typed_since is not None and not self._searching:  # typed before the index was open
            self._start_search(self._typed_since)

    # -- search as you type ------------------------------------------------------------------------
    # Every change searches at once when no search is running; while one runs, only the newest text
    # waits, and it is searched as soon as the running one finishes. So a keystroke never waits for
    # a timer, a fast typist never queues a search per key, and the last query's results always land.
    @on(TextArea.Changed, "#paste")
    def _paste_changed(self) -> None:
        query = self.query_one("#paste", TextArea).text
        if not query.strip():
            self._typed_since = None
            self.results = []
            self._shown_query = query
            self.query_one(ResultList).show([])
            return
        if self._searching or self.app.searcher is None:  # searched when the running one (or the index) is done
            self._typed_since = query
            return
        self._start_search(query)

    def _start_search(self, query: str) -> None:
        self._searching, self._typed_since = True, None
        self.run_search(query)

    @work(thread=True, group="search")
    def run_search(self, query: str) -> None:
        worker = get_current_worker()
        start = time.perf_counter()
        try:
            outcome, problem = self.app.searcher.search(query, k=10), ""
        except Exception as exc:  # noqa: BLE001  (a damaged index must not take the app down)
            outcome, problem = None, f"{type(exc).__name__}: {exc}"
        if not worker.is_cancelled:  # the screen is going away: nobody to tell
            self.post_message(SearchFinished(query, outcome, time.perf_counter() - start, problem))

    @on(SearchFinished)
    def _search_finished(self, message: SearchFinished) -> None:
        self._searching = False
        if self._typed_since is not None:  # typed on while this one ran: search the newest text now
            self._start_search(self._typed_since)
        if message.query != self.query_one("#paste", TextArea).text:
            return  # a newer keystroke is already on its way
        if message.outcome is None:
            self.query_one("#search-status", Static).update(f"Search failed: {message.problem}")
            self._shown_query = message.query
            return
        self.results = message.outcome.results
        status = self.query_one("#search-status", Static)
        note = " (paste cut at 1 MB)" if message.outcome.truncated else ""
        tied = sum(1 for result in self.results if result.tied)
        note += f" · {tied} reports answer about equally" if tied > 1 else ""
        if self.results:
            if all(result.weak for result in self.results):
                status.update(f"No known fix; {plural(len(self.results), 'possible match', 'possible matches')}{note}")
            else:
                known = sum(1 for result in self.results if not result.weak)
                possible = len(self.results) - known
                more = f", {plural(possible, 'possible match', 'possible matches')}" if possible else ""
                status.update(f"{plural(known, 'known fix', 'known fixes')}{more}{note} · ↓ to pick, ctrl+g to copy")
        else:
            status.update(f"No known fix for this error in the KB{note}")
            self.query_one("#detail", Markdown).update(
                "## No known fix\n\nNothing in this KB matches. When you solve it, write it up and "
                "`runbook ingest` the report so the next person finds it.")
        self.query_one(ResultList).show(self.results)
        self._shown_query = message.query

    @on(ResultList.OptionHighlighted)
    def _show_detail(self, event: ResultList.OptionHighlighted) -> None:
        if event.option_index is not None and event.option_index < len(self.results):
            result = self.results[event.option_index]
            self.query_one("#detail", Markdown).update(error_markdown(result.to_dict()))
            self.query_one("#detail-scroll").scroll_home(animate=False)
            if result.id:
                self.load_commits(result)

    @work(thread=True, exclusive=True, group="search-commits")
    def load_commits(self, result: Result) -> None:
        """The fix commits of an ingested repository behind this error (author, date, files)."""
        from kb.store.queries import commits_for_error

        commits = commits_for_error(self.app.kb.store, result.id)
        self.repo_commits[result.ref] = commits
        if commits and self.selected is result:
            self.app.call_from_thread(self.query_one("#detail", Markdown).update,
                                      error_markdown({**result.to_dict(), "repo_commits": commits}))

    def action_diff(self) -> None:
        result = self.selected
        if result is None:
            self.notify("Paste an error first: ctrl+d shows the diff of the selected fix's commit.",
                        severity="warning")
            return
        if result.ref.startswith("commit:"):
            sha, repo = result.commits[0]["sha"], result.report["path"]
        else:
            commits = self.repo_commits.get(result.ref) or []
            if not commits:
                self.notify("No commit from an ingested repository for this error (runbook ingest --repo PATH).",
                            severity="warning")
                return
            sha, repo = commits[0]["sha"], commits[0]["repo"]
        from runbook.screens.diff import DiffScreen

        self.app.push_screen(DiffScreen(sha, repo))

    # -- actions -----------------------------------------------------------------------------------
    @property
    def selected(self) -> Result | None:
        index = self.query_one(ResultList).highlighted
        if index is None or index >= len(self.results):
            return None
        return self.results[index]

    def action_copy_command(self) -> None:
        result = self.selected
        commands = fix_commands(result.to_dict()) if result else []
        if not commands:
            self.notify("The selected fix has no command to copy.", severity="warning")
            return
        if len(commands) == 1:
            self._copy(commands[0])
            return
        self.app.push_screen(CommandPicker(commands), lambda chosen: self._copy(chosen) if chosen else None)

    def _copy(self, command: str) -> None:
        self.app.copy_to_clipboard(command)
        self.copied = command
        self.notify(f"Copied: {neutralise(command)}", title="Clipboard")

    def action_open_report(self) -> None:
        result = self.selected
        if result is None:
            self.notify("Pick a result first.", severity="warning")
            return
        if result.ref.startswith("commit:"):
            self.action_diff()
            return
        from runbook.screens.report import ReportScreen

        line = result.passages[0]["line"] if result.passages and result.kind == "passage" else 0
        self.app.push_screen(ReportScreen(result.report["path"], line or self._error_line(result)))

    def _error_line(self, result: Result) -> int:
        """Where the error is written up in its report, so the report opens there, not at its top."""
        if result.kind != "error" or not result.id:
            return 0
        rows = self.app.kb.store.rows("select line from errors where id = ?", [result.id])
        return int(rows[0]["line"] or 0) if rows else 0

    # -- every command of a fix, and a command for the shell line (issue 25) ---------------------------
    def _fix_commands(self) -> list[str]:
        from runbook.record_commands import error_commands

        result = self.selected
        return error_commands(result.to_dict()) if result else []

    def action_copy_all_commands(self) -> None:
        """Every command of the selected fix, one a line, on the clipboard."""
        commands = self._fix_commands()
        if not commands:
            self.notify("The selected fix has no command to copy.", severity="warning")
            return
        self.app.copy_to_clipboard("\n".join(commands))
        self.notify(f"Copied {plural(len(commands), 'command')} of the fix.", title="Clipboard")

    def action_to_shell(self) -> None:
        """Leave the TUI; runbook prints the fix's command on stdout for the shell line (navi's --print)."""
        from runbook.markdown_views import fix_command  # what ctrl+g copies first

        result = self.selected
        command = fix_command(result.to_dict()) if result else None
        command = command or next(iter(self._fix_commands()), None)
        if command is None:
            self.notify("The selected fix has no command for the shell.", severity="warning")
            return
        self.app.exit(result=command)

    @on(Markdown.TableOfContentsUpdated, "#detail")
    def _fix_in_view(self) -> None:
        """On a short terminal (80x24) the detail pane cannot show the title, message, cause and fix at
        once: the pane opens at the fix (the selected result above shows the title and message; the
        cause is a scroll up)."""
        if not self.has_class("-short") or self.selected is None:
            return

        def scroll() -> None:  # the document now on screen (a newer update may have replaced the one told)
            detail = self.query_one("#detail", Markdown)
            block = next((block_id for _, label, block_id in detail.table_of_contents if label.strip() == "Fix"),
                         None)
            headers = self.query(f"#detail #{block}") if block else []
            if headers:
                headers.first().scroll_visible(top=True, animate=False)

        self.call_after_refresh(scroll)

    def action_clear(self) -> None:
        self.query_one("#paste", TextArea).clear()
        self.query_one("#paste", TextArea).focus()

    def action_focus_results(self) -> None:
        self.query_one(ResultList).focus()

    def search_for(self, text: str) -> None:
        """Put text in the paste area (the command palette uses this)."""
        area = self.query_one("#paste", TextArea)
        area.load_text(text)
        area.focus()


class CommandPicker(ModalScreen[str | None]):
    """The commands of a fix, to pick the one to copy (its first is often a diagnostic, not the fix)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="picker.cancel")]
    DEFAULT_CSS = """
    CommandPicker { align: center middle; }
    CommandPicker > OptionList { width: 90%; max-height: 70%; border: round $accent; }
    """

    def __init__(self, commands: list[str]) -> None:
        super().__init__()
        self.commands = commands

    def compose(self) -> ComposeResult:
        picker = OptionList(*(neutralise(command) for command in self.commands), id="commands")
        picker.border_title = "Copy which command? (enter copies, esc cancels)"
        yield picker

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.commands[event.option_index])
