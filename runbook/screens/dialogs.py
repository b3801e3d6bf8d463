"""Small modal dialogs: confirm a command, fill in variables, write a note or a learned fix."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from kb.escapes import neutralise


class ConfirmCommand(ModalScreen[bool]):
    """Shows the exact command; only an explicit yes runs it."""

    BINDINGS = [Binding("y", "answer(True)", "Run it", id="confirm.yes", tooltip="Run exactly this command"),
                Binding("n,escape", "answer(False)", "Don't", id="confirm.no", tooltip="Do not run it")]

    def __init__(self, command: str, expected: str = "") -> None:
        super().__init__()
        self.command = command
        self.expected = expected

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Run exactly this command?", classes="dialog-title")
            yield Static(neutralise(self.command), id="confirm-command", markup=False)
            if self.expected:
                yield Static(f"expected: {neutralise(self.expected)}", classes="dim", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run it (y)", id="yes", variant="warning")
                yield Button("Don't (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class AskFields(ModalScreen[dict | None]):
    """A small form: one input per field (name, label, default, secret)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="ask.cancel", tooltip="Close without saving")]

    def __init__(self, title: str, fields: list[tuple[str, str, str, bool]]) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            for name, label, default, secret in self.fields:
                yield Label(label)
                yield Input(value=default, password=secret, id=f"field-{_safe(name)}")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _submit(self) -> None:
        self.dismiss({name: self.query_one(f"#field-{_safe(name)}", Input).value for name, _, _, _ in self.fields})


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)
