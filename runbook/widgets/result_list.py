"""The list of search results: title, confidence and how often the error was seen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kb.parse.escapes import neutralise

if TYPE_CHECKING:  # the search index is imported after the search screen's first paint
    from kb.search.ranking import Result


class ResultList(OptionList):
    """Search results; highlighting one shows its fix in the detail pane."""

    def show(self, results: list[Result]) -> None:
        self.clear_options()
        width = max((self.scrollable_content_region.width or 40) - 2, 20)
        self.add_options([Option(_prompt(rank, result, width), id=str(rank)) for rank, result in enumerate(results)])
        if results:
            self.highlighted = 0


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def _prompt(rank: int, result: Result, width: int) -> Text:
    """Two lines per result, each clipped to the list's width: title (confidence, as the CLI and the JSON
    give it; possible, tie, seen in) and message."""
    suffix = f"  {result.confidence:.2f}" + (" possible" if result.weak else "") + (
        " · tie" if getattr(result, "tied", False) else "") + (f" · seen in {result.seen_in}" if result.seen_in > 1 else "")
    head = f"{rank + 1}. "
    title = neutralise(result.title.splitlines()[0] if result.title else "")
    text = Text()
    text.append(head, style="dim")
    text.append(_clip(title, width - len(head) - len(suffix)), style="bold")
    text.append(suffix, style="dim italic")
    text.append("\n   ")
    text.append(_clip(neutralise(result.message.splitlines()[0] if result.message else ""), width - 3), style="dim")
    return text
