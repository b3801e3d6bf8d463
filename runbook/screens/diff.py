"""A commit's diff, one key away from the error it fixed."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, RichLog

from kb.parse.escapes import neutralise
from kb.store.knowledge_base import KBError
from runbook.widgets.key_bar import KeyBarOrder


class DiffScreen(KeyBarOrder, Screen):
    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back", id="diff.back", tooltip="Back to the error")]

    def __init__(self, sha: str, repo: str) -> None:
        super().__init__()
        self.sha = sha
        self.repo = repo

    def compose(self) -> ComposeResult:
        yield Header()
        yield RichLog(id="diff-log", wrap=False, markup=False, highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.sha[:12]} in {self.repo}"
        self.load()

    @work(thread=True, exclusive=True, group="diff")
    def load(self) -> None:
        from rich.text import Text

        from kb.repo_commits import diff

        try:
            text = diff(self.sha, self.repo)
        except KBError as exc:
            text = str(exc)
        log = self.query_one(RichLog)
        for line in neutralise(text).splitlines():
            style = "green" if line.startswith("+") and not line.startswith("+++") else \
                "red" if line.startswith("-") and not line.startswith("---") else \
                "bold" if line.startswith(("commit ", "diff --git")) else ""
            self.app.call_from_thread(log.write, Text(line, style=style))
