"""Onboarding: the topics the KB knows (platforms and projects) and how much it knows of each."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, OptionList
from textual.widgets.option_list import Option

from kb.escapes import neutralise


class OnboardingScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="onboarding-body"):
            yield OptionList(id="topics")
            with VerticalScroll(id="topic-scroll"):
                yield Markdown(id="topic-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.topics = self.app.kb.store.rows(
            """select coalesce(nullif(platform, ''), 'other') as topic, count(*) as reports,
                      sum((select count(*) from errors e where e.report_id = r.id)) as errors
               from reports r group by topic order by errors desc""")
        topics = self.query_one(OptionList)
        topics.add_options([Option(f"{neutralise(t['topic'])[:30]}  ({t['reports']} reports, {t['errors']} errors)",
                                   id=str(i)) for i, t in enumerate(self.topics)])
        self.query_one(Markdown).update(
            "## Onboarding\n\nGuided walkthroughs of what the team has learned, per platform. "
            "Pick a topic to see what the KB knows of it.")
        topics.focus()

    @on(OptionList.OptionHighlighted)
    def _topic(self, event: OptionList.OptionHighlighted) -> None:
        topic = self.topics[event.option_index]
        reports = self.app.kb.store.rows(
            "select title, path from reports where coalesce(nullif(platform, ''), 'other') = ? order by date desc",
            [topic["topic"]])
        lines = [f"## {neutralise(topic['topic'])}", "", f"{topic['reports']} reports, {topic['errors']} known errors.",
                 "", "### Reports", ""] + [f"- {neutralise(r['title'])}" for r in reports]
        self.query_one(Markdown).update("\n".join(lines))
