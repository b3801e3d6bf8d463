"""Command palette provider: type an error, jump to its known fix; type a runbook's or a decision
tree's title, jump to it on the Runbooks screen."""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from kb.parse.escapes import neutralise
from kb.parse.words import plural

SCREENS = (("Search", "search", "Paste an error, get the known fix"),
           ("Incidents", "incidents", "Browse reports by date, project, platform"),
           ("Runbooks", "runbooks", "Runbooks, checklists, procedures, decision trees"),
           ("Onboarding", "onboarding", "What the KB knows, per topic"))


class KBCommands(Provider):
    """Searches the KB's errors and its runnable catalogue; selecting one opens it."""

    async def startup(self) -> None:
        self.catalogue: list[dict] = []
        kb = getattr(self.app, "kb", None)
        if kb is not None:
            from kb.runs.catalogue import runnables

            try:
                self.catalogue = await asyncio.to_thread(runnables, kb, False)
            except Exception:  # the palette still finds errors and screens
                self.catalogue = []

    async def discover(self) -> Hits:
        for title, mode, help_text in SCREENS:
            yield DiscoveryHit(f"Go to {title}", partial(self.app.switch_mode, mode), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, mode, help_text in SCREENS:
            score = matcher.match(f"Go to {title}")
            if score > 0:
                yield Hit(score, matcher.highlight(f"Go to {title}"), partial(self.app.switch_mode, mode), help=help_text)
        for row in getattr(self, "catalogue", []):
            label = f"Run {' '.join(row['title'].split())}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(neutralise(label)), partial(self.app.open_runbook, row["ref"]),
                          help=neutralise(f"{row['kind']} · {row['ref']} · {plural(row['steps'], 'step')} · {row['report']}"))
        searcher = getattr(self.app, "searcher", None)
        if searcher is None or len(query.strip()) < 3:
            return
        outcome = await asyncio.to_thread(searcher.search, query, 5)
        for result in outcome.results:
            title = neutralise(result.title)
            yield Hit(min(result.score, 1.0), f"Fix: {title}", partial(self.app.open_error_search, query),
                      help=neutralise(result.message)[:100])
