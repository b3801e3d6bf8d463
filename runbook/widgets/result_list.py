"""The list of search results: title, score and how often the error was seen."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kb.escapes import neutralise
from kb.search import Result


class ResultList(OptionList):
    """Search results; highlighting one shows its fix in the detail pane."""

    def show(self, results: list[Result]) -> None:
        self.clear_options()
        self.add_options([Option(_prompt(rank, result), id=str(rank)) for rank, result in enumerate(results)])
        if results:
            self.highlighted = 0


def _prompt(rank: int, result: Result) -> Text:
    text = Text()
    text.append(f"{rank + 1}. ", style="dim")
    text.append(neutralise(result.title)[:80], style="bold")
    text.append(f"  {result.score:.2f}", style="dim")
    if result.seen_in > 1:
        text.append(f"  seen in {result.seen_in} reports", style="italic")
    text.append("\n   ")
    text.append(neutralise(result.message.splitlines()[0] if result.message else "")[:90], style="dim")
    return text
