"""The keys, for the screen you are on and for the whole app."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Markdown


def key_name(key: str) -> str:
    """A key as a person writes it: `?` not `question_mark`, `esc` not `escape`, `shift+r` for `R`."""
    from textual.keys import format_key

    *modifiers, name = key.strip().split("+")
    if len(name) == 1 and name.isupper():
        modifiers.append("shift")
        name = name.lower()
    shown = {"enter": "enter", "space": "space", "tab": "tab"}.get(name) or format_key(name)
    return "+".join([*modifiers, shown])


def _keys_table(bindings) -> list[str]:
    rows = []
    for binding in bindings:
        if not binding.description:
            continue
        keys = ", ".join(key_name(key) for key in binding.key.split(","))
        rows.append(f"| `{keys}` | {binding.description} | {binding.tooltip or ''} |")
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss", "Close", id="help.close", tooltip="Close the help")]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.for_screen = screen

    def compose(self) -> ComposeResult:
        header = ["| key | does | |", "|---|---|---|"]
        text = ["# runbook keys", "", f"## {type(self.for_screen).__name__.removesuffix('Screen')}", "", *header,
                *_keys_table(self.for_screen.BINDINGS), "", "## Everywhere", "", *header,
                *_keys_table(self.app.BINDINGS),
                "| `ctrl+p` | Command palette | search the KB, switch screens, change theme |",
                "| `tab` / `shift+tab` | Move focus | between paste area, results and details |"]
        with VerticalScroll(id="help-box"):
            yield Markdown("\n".join(text))
