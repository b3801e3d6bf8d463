"""Onboarding: pick a topic, then read its walkthrough page by page, answer its drills, walk its dry run.

Who is reading is the same operator runs record: the KB's git identity, else the name given in this
session (the run form asks for it, and so does a walkthrough started without one). Progress and drill
results are kept per operator; finishing commits the walkthrough record as them.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Markdown, OptionList
from textual.widgets.option_list import Option

from kb import onboarding
from kb.store.knowledge_base import KBError
from kb.parse.escapes import neutralise
from kb.parse.words import plural
from runbook.widgets.key_bar import KeyBarOrder

_INTRO = ("## Onboarding\n\nGuided walkthroughs of what the team has learned, per topic, from what the reports "
          "say about it: how it is set up here, what went wrong, the errors and their whole fixes, the procedures, "
          "the lessons, then drills and a dry run.\n\nPick a topic and press **Enter**.")


@dataclass
class TopicsLoaded(Message):
    topics: list[dict]
    problem: str = ""


class OnboardingScreen(KeyBarOrder, Screen):
    BINDINGS = [Binding("enter", "open", "Start", id="onboarding.start", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.topics: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="onboarding-body"):
            yield OptionList(id="topics")
            with VerticalScroll(id="topic-scroll"):
                yield Markdown("## Onboarding\n\nReading what the KB knows, per topic…", id="topic-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.load_topics()

    @work(thread=True, exclusive=True, group="onboarding-topics")
    def load_topics(self) -> None:
        """Reading every record's topics takes a moment on a big KB: never on the UI thread."""
        try:
            self.post_message(TopicsLoaded(onboarding.topics(self.app.kb)))
        except KBError as exc:
            self.post_message(TopicsLoaded([], str(exc)))

    def on_topics_loaded(self, message: TopicsLoaded) -> None:
        self.topics = message.topics
        topics = self.query_one(OptionList)
        topics.clear_options()
        topics.add_options([Option(f"{neutralise(t['topic'])[:20]}  {plural(t['reports'], 'report')} · "
                                   f"{plural(t['errors'], 'error')}", id=t["topic"]) for t in self.topics])
        detail = self.query_one(Markdown)
        if message.problem:
            detail.update(f"## Onboarding\n\n{neutralise(message.problem)}")
        elif not self.topics:
            detail.update("## Onboarding\n\nNo topics yet: ingest reports first.")
        else:
            detail.update(_INTRO)
            topics.highlighted = 0  # Enter opens the first topic straight away, no arrow key needed first

    def operator(self) -> tuple[str, tuple[str, str] | None]:
        from runbook.cli.identity import operator_for

        return operator_for(self.app.kb, given=getattr(self.app, "operator_name", None))

    def on_screen_resume(self) -> None:
        """Back from a walkthrough: its topic now says where the operator is (or that it is completed)."""
        index = self.query_one(OptionList).highlighted
        if index is not None and self.topics:
            self.describe(index)

    @on(OptionList.OptionHighlighted, "#topics")
    def _topic(self, event: OptionList.OptionHighlighted) -> None:
        self.describe(event.option_index)

    def describe(self, index: int) -> None:
        topic = self.topics[index]
        who, _ = self.operator()
        progress = onboarding.get_progress(self.app.kb, who, topic["topic"])
        state = ("completed" if progress["completed"] else
                 f"you are at page {progress['page'] + 1} of {progress['pages']}" if progress["pages"] else "not started")
        self.query_one(Markdown).update(
            f"## {neutralise(topic['title'])}\n\n{plural(topic['reports'], 'report')}, "
            f"{plural(topic['errors'], 'known error')}, {plural(topic['checklists'], 'procedure or checklist', 'procedures and checklists')}."
            f"\n\nWalkthrough for {neutralise(who)}: **{state}**. Press **Enter** to "
            f"{'continue' if progress['pages'] and not progress['completed'] else 'start'}.")

    @on(OptionList.OptionSelected, "#topics")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.start(self.topics[event.option_index]["topic"])

    def action_open(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and self.topics:
            self.start(self.topics[index]["topic"])

    def start(self, topic: str) -> None:
        """Without a git identity, ask who is reading first (as the run form does), once per session."""
        from kb.runs.records import git_identity

        if git_identity(self.app.kb) or getattr(self.app, "operator_name", None):
            self.open_topic(topic)
            return
        from runbook.screens.dialogs import AskFields, Field

        def answered(values: dict | None) -> None:
            if values is None:
                return
            self.app.operator_name = values["name"].strip() or None
            self.open_topic(topic)

        self.app.push_screen(AskFields("Who is reading? (this KB has no git identity)", [
            Field("name", "Your name", "", hint="Name <email>; empty: recorded as runbook <runbook@localhost>")]),
            answered)

    @work(thread=True, exclusive=True, group="onboarding")
    def open_topic(self, topic: str) -> None:
        who, author = self.operator()
        _, pages = onboarding.walkthrough_of(self.app.kb, topic, seed=who)
        self.app.call_from_thread(self.app.push_screen, WalkthroughScreen(topic, pages, who, author))


class WalkthroughScreen(KeyBarOrder, Screen):
    BINDINGS = [
        Binding("n,right,space", "next", "Next", id="walk.next", tooltip="Next page"),
        Binding("p,left", "previous", "Previous", id="walk.previous", tooltip="Previous page"),
        Binding("q,escape", "leave", "Leave", id="walk.leave", tooltip="Leave; your page is kept"),
        Binding("g", "judge(True)", "Got it", id="walk.got", tooltip="You got the drill right"),
        Binding("m", "judge(False)", "Missed", id="walk.missed", tooltip="You missed the drill"),
    ]

    def __init__(self, topic: str, pages: list[onboarding.Page], operator: str,
                 author: tuple[str, str] | None) -> None:
        super().__init__()
        self.topic = topic
        self.pages = pages
        self.operator = operator
        self.author = author
        self.page = 0
        self.revealed = False  # a drill's recorded fix is shown
        self.answer = ""
        self.judged: dict[str, str] = {}  # drill ref -> result, this session
        self.finishing = False  # the record is being committed: a second key press must not finish twice

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="walk-scroll"):
            yield Markdown(id="walk-page")
            yield Input(placeholder="What would you do? Type it, then Enter shows the recorded fix", id="drill-answer")
            yield Markdown(id="drill-reveal")
        yield Footer()

    def on_mount(self) -> None:
        progress = onboarding.get_progress(self.app.kb, self.operator, self.topic)
        self.page = 0 if progress["completed"] else min(progress["page"], len(self.pages) - 1)
        self.show()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "judge":  # only once a drill's fix is on screen
            return self.revealed and self.pages[self.page].kind == onboarding.DRILL
        return True

    def keys(self) -> dict[str, str]:
        """action -> the key the footer shows for it now (focus matters: in the answer box `q` types a q,
        so the footer offers `esc`), worked out as the footer does, so page and footer never disagree."""
        out: dict[str, str] = {}
        for _, binding, enabled, _ in self.active_bindings.values():
            if binding.show and enabled and binding.action not in out:
                out[binding.action] = self.app.get_key_display(binding)
        return out

    def hint(self) -> str:
        keys = self.keys()
        last = self.page == len(self.pages) - 1
        words = {"next": "finish the walkthrough" if last else "next page", "previous": "previous", "leave": "leave"}
        return " · ".join(f"{keys[action]}: {word}" for action, word in words.items() if action in keys)

    def show(self) -> None:
        onboarding.save_progress(self.app.kb, self.operator, self.topic, self.page, len(self.pages))
        page = self.pages[self.page]
        self.revealed, self.answer = False, ""
        drill = page.kind == onboarding.DRILL
        answer = self.query_one("#drill-answer", Input)
        answer.display = drill
        answer.disabled = not drill
        answer.value = ""
        self.query_one("#drill-reveal", Markdown).display = False
        self.sub_title = f"{self.topic}: page {self.page + 1} of {len(self.pages)}"
        self.query_one("#walk-scroll").scroll_home(animate=False)
        (answer if drill else self.query_one("#walk-scroll")).focus()
        self.refresh_bindings()
        self.call_after_refresh(self.paint)

    def on_descendant_focus(self) -> None:
        self.call_after_refresh(self.paint)  # the keys on offer changed: say the ones the footer now shows

    def paint(self) -> None:
        """The page's text with its key hint, once focus has settled (the hint depends on it)."""
        page = self.pages[self.page]
        body = f"# {neutralise(page.title)}\n\n{neutralise(page.body)}"
        if page.kind != onboarding.DRILL:
            body += f"\n\n---\n\n*{self.hint()}*"
        elif not self.revealed:
            body += f"\n\n---\n\n*enter: show the recorded fix · {self.hint()}*"
        self.query_one("#walk-page", Markdown).update(body)
        if page.kind == onboarding.DRILL and self.revealed:
            self.paint_reveal()

    def paint_reveal(self) -> None:
        from kb.onboarding.drills import shared_words

        page = self.pages[self.page]
        words = shared_words(self.answer, f"{page.drill.cause}\n{page.drill.fix}") if self.answer.strip() else []
        shared = f"\n\nYour answer and the recorded fix share: {neutralise(', '.join(words))}." if words else ""
        keys = self.keys()
        reveal = self.query_one("#drill-reveal", Markdown)
        reveal.update(f"{neutralise(page.answer)}{shared}\n\n---\n\n*Did you get it? "
                      f"{keys.get('judge(True)', 'g')}: got it · {keys.get('judge(False)', 'm')}: missed · "
                      f"then {self.hint()}*")
        reveal.display = True

    @on(Input.Submitted, "#drill-answer")
    def _answered(self, event: Input.Submitted) -> None:
        event.stop()
        self.answer = event.value
        self.revealed = True
        event.input.disabled = True  # answered: the keys are for the page again (g, m, n, p, q)
        self.query_one("#walk-scroll").focus()
        self.refresh_bindings()
        self.call_after_refresh(self.paint)

    def action_judge(self, got: bool) -> None:
        page = self.pages[self.page]
        if not self.revealed or page.drill is None:
            return
        result = onboarding.GOT_IT if got else onboarding.MISSED
        onboarding.record_practice(self.app.kb, self.operator, self.topic, "drill", page.drill.ref, page.drill.title,
                                   result, self.answer)
        self.judged[page.drill.ref] = result
        self.notify(f"Drill {page.drill.ref}: {result}", title="Onboarding")

    def action_next(self) -> None:
        if self.finishing:
            return
        page = self.pages[self.page]
        if page.kind == onboarding.DRY_RUN and page.procedure is not None:
            onboarding.record_practice(self.app.kb, self.operator, self.topic, "dry-run", page.procedure.ref,
                                       page.procedure.title, onboarding.WALKED)
        if self.page < len(self.pages) - 1:
            self.page += 1
            self.show()
        else:
            self.finishing = True
            self.finish()

    def action_previous(self) -> None:
        if self.page > 0 and not self.finishing:
            self.page -= 1
            self.show()

    def action_leave(self) -> None:
        if not self.finishing:
            self.app.pop_screen()

    @work(thread=True, exclusive=True, group="walk-finish")
    def finish(self) -> None:
        record, problem = onboarding.complete(self.app.kb, self.operator, self.topic, self.pages, self.author)
        recorded = not problem or problem.startswith("committed as")  # the fallback identity is a note
        message = f"Completed {self.topic} as {self.operator}: recorded in {record}" + (f"; {problem}" if problem else "")
        self.app.call_from_thread(self.notify, neutralise(message), title="Onboarding",
                                  severity="information" if recorded else "warning")
        self.app.call_from_thread(self._close)

    def _close(self) -> None:
        if self.app.screen is self:  # still the screen on show: never pop another one
            self.app.pop_screen()
