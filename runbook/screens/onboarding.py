"""Onboarding: pick a topic, then read its walkthrough page by page; progress is kept per operator."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, OptionList
from textual.widgets.option_list import Option

from kb import onboarding
from kb.parse.escapes import neutralise
from kb.parse.words import plural
from runbook.widgets.key_bar import KeyBarOrder


class OnboardingScreen(KeyBarOrder, Screen):
    BINDINGS = [Binding("enter", "open", "Start", id="onboarding.start", show=False)]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="onboarding-body"):
            yield OptionList(id="topics")
            with VerticalScroll(id="topic-scroll"):
                yield Markdown(id="topic-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.topics = onboarding.topics(self.app.kb)
        topics = self.query_one(OptionList)
        topics.add_options([Option(f"{neutralise(t['topic'])[:20]}  {plural(t['reports'], 'report')} · "
                                   f"{plural(t['errors'], 'error')}", id=t["topic"]) for t in self.topics])
        self.query_one(Markdown).update(
            "## Onboarding\n\nGuided walkthroughs of what the team has learned, per topic: the system, what went "
            "wrong, the errors and their fixes, the lessons, the checklists, and a practice run.\n\n"
            "Pick a topic and press **Enter**." if self.topics else "## Onboarding\n\nNo topics yet: ingest reports first.")
        if self.topics:
            topics.highlighted = 0  # Enter opens the first topic straight away, no arrow key needed first
        topics.focus()

    def on_screen_resume(self) -> None:
        """Back from a walkthrough: its topic now says where the operator is (or that it is completed)."""
        index = self.query_one(OptionList).highlighted
        if index is not None:
            self.describe(index)

    @on(OptionList.OptionHighlighted, "#topics")
    def _topic(self, event: OptionList.OptionHighlighted) -> None:
        self.describe(event.option_index)

    def describe(self, index: int) -> None:
        topic = self.topics[index]
        from runbook.cli.identity import operator_for

        who, _ = operator_for(self.app.kb)
        progress = onboarding.get_progress(self.app.kb, who, topic["topic"])
        state = ("completed" if progress["completed"] else
                 f"you are at page {progress['page'] + 1} of {progress['pages']}" if progress["pages"] else "not started")
        self.query_one(Markdown).update(
            f"## {neutralise(topic['topic'])}\n\n{plural(topic['reports'], 'report')}, "
            f"{plural(topic['errors'], 'known error')}, {plural(topic['checklists'], 'checklist')}.\n\nWalkthrough: **{state}**. Press **Enter** to "
            f"{'continue' if progress['pages'] and not progress['completed'] else 'start'}.")

    @on(OptionList.OptionSelected, "#topics")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.open_topic(self.topics[event.option_index]["topic"])

    def action_open(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None:
            self.open_topic(self.topics[index]["topic"])

    @work(thread=True, exclusive=True, group="onboarding")
    def open_topic(self, topic: str) -> None:
        pages = onboarding.walkthrough(self.app.kb, topic)
        self.app.call_from_thread(self.app.push_screen, WalkthroughScreen(topic, pages))


class WalkthroughScreen(KeyBarOrder, Screen):
    BINDINGS = [
        Binding("n,right,space", "next", "Next", id="walk.next", tooltip="Next page"),
        Binding("p,left", "previous", "Previous", id="walk.previous", tooltip="Previous page"),
        Binding("escape,q", "leave", "Leave", id="walk.leave", tooltip="Leave; your page is kept"),
    ]

    def __init__(self, topic: str, pages: list[onboarding.Page]) -> None:
        super().__init__()
        self.topic = topic
        self.pages = pages
        self.operator: str = ""
        self.author: tuple[str, str] | None = None
        self.page = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="walk-scroll"):
            yield Markdown(id="walk-page")
        yield Footer()

    def on_mount(self) -> None:
        from runbook.cli.identity import operator_for

        self.operator, self.author = operator_for(self.app.kb)
        progress = onboarding.get_progress(self.app.kb, self.operator, self.topic)
        self.page = 0 if progress["completed"] else min(progress["page"], len(self.pages) - 1)
        self.show()

    def show(self) -> None:
        onboarding.save_progress(self.app.kb, self.operator, self.topic, self.page, len(self.pages))
        page = self.pages[self.page]
        last = self.page == len(self.pages) - 1
        footer = "\n\n---\n\n*" + ("n finishes the walkthrough" if last else "n: next page") + " · p: previous · q: leave*"
        self.query_one(Markdown).update(f"# {neutralise(page.title)}\n\n{neutralise(page.body)}{footer}")
        self.sub_title = f"{self.topic}: page {self.page + 1} of {len(self.pages)}"
        self.query_one("#walk-scroll").scroll_home(animate=False)

    def action_next(self) -> None:
        if self.page < len(self.pages) - 1:
            self.page += 1
            self.show()
        else:
            self.finish()

    def action_previous(self) -> None:
        if self.page > 0:
            self.page -= 1
            self.show()

    def action_leave(self) -> None:
        self.app.pop_screen()

    @work(thread=True, exclusive=True, group="walk-finish")
    def finish(self) -> None:
        record, problem = onboarding.complete(self.app.kb, self.operator, self.topic, self.pages, self.author)
        recorded = not problem or problem.startswith("committed as")  # the fallback identity is a note
        message = f"Completed {self.topic}: recorded in {record}" + (f"; {problem}" if problem else "")
        self.app.call_from_thread(self.notify, message, title="Onboarding",
                                  severity="information" if recorded else "warning")
        self.app.call_from_thread(self.app.pop_screen)
