"""Small modal dialogs: confirm a command, fill in variables, write a note or a learned fix."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from kb.parse.escapes import neutralise


class ConfirmCommand(ModalScreen[bool | str]):
    """Shows the exact command; only an explicit yes runs it. `e` edits it first: the dialog then answers
    with the edited text (a str), which the run records as edited (RunWalk.edit_command)."""

    BINDINGS = [Binding("y", "answer(True)", "Run it", id="confirm.yes", tooltip="Run exactly this command"),
                Binding("n,escape", "answer(False)", "Don't", id="confirm.no", tooltip="Do not run it"),
                Binding("e", "edit", "Edit", id="confirm.edit", tooltip="Change the command before it runs "
                        "(recorded as edited)"),
                Binding("ctrl+r", "run_edited", "Run edited", id="confirm.run_edited", show=False,
                        tooltip="Run the edited command")]

    def __init__(self, command: str, expected: str = "", note: str = "") -> None:
        super().__init__()
        self.command = command
        self.expected = expected
        self.note = note  # it needs the operator's terminal, or runs until stopped

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Run exactly this command?", classes="dialog-title")
            yield Static(neutralise(self.command), id="confirm-command", markup=False)
            if self.expected:
                yield Static(f"expected: {neutralise(self.expected)}", classes="dim", markup=False)
            if self.note:
                yield Static(f"⚠ {neutralise(self.note)}", id="confirm-note", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run it (y)", id="yes", variant="warning")
                yield Button("Don't (n)", id="no")
                yield Button("Edit (e)", id="edit")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "edit":
            self.action_edit()
            return
        if event.button.id == "yes" and self.query("#confirm-edit"):
            self.action_run_edited()
            return
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    # -- edit before it runs ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        editing = bool(self.query("#confirm-edit"))
        if action == "edit":
            return not editing
        if action == "run_edited":
            return editing
        return True

    def action_edit(self) -> None:
        """The command becomes an input (one line) or a text area (several), its text as shown."""
        from textual.widgets import TextArea

        shown = self.query_one("#confirm-command", Static)
        text = neutralise(self.command)
        editor = (TextArea(text, id="confirm-edit", soft_wrap=True, show_line_numbers=False) if "\n" in text
                  else Input(text, id="confirm-edit", select_on_focus=False))  # a key typed must not replace it
        self.query_one(".dialog", Vertical).mount(editor, after=shown)
        shown.display = False
        self.query_one("#edit", Button).display = False
        self.query_one(".dialog-title", Label).update(
            "Edit the command, then run it (enter)" if isinstance(editor, Input) else
            "Edit the command, then run it (ctrl+r)")
        editor.focus()
        if isinstance(editor, Input):
            editor.cursor_position = len(text)
        self.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_run_edited()

    def action_run_edited(self) -> None:
        editor = self.query_one("#confirm-edit")
        text = editor.value if isinstance(editor, Input) else editor.text
        if text.strip():
            self.dismiss(text)


@dataclass
class Field:
    """One input of a form: a default is filled in, a hint shows while it is empty."""

    name: str
    label: str
    default: str = ""
    secret: bool = False
    hint: str = ""
    required: bool = False  # an empty value is refused, with the reason under the form


class AskFields(ModalScreen[dict | None]):
    """A small form: one input per field. Enter submits from any field (tab moves between them)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="ask.cancel", tooltip="Close without saving")]

    def __init__(self, title: str, fields: list[Field | tuple[str, str, str, bool]], note: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.fields = [field if isinstance(field, Field) else Field(*field) for field in fields]
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.note:
                yield Static(self.note, classes="dim", markup=False)
            for field in self.fields:
                label = field.label + (f"  (default: {field.default})" if field.default and not field.secret else "")
                yield Label(neutralise(label), markup=False)
                yield Input(value=field.default, password=field.secret, placeholder=neutralise(field.hint),
                            id=f"field-{_safe(field.name)}")
            yield Static("", id="ask-problem", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK (enter)", id="ok", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _submit(self) -> None:
        values = {field.name: self.query_one(f"#field-{_safe(field.name)}", Input).value for field in self.fields}
        for field in self.fields:
            if field.required and not values[field.name].strip():
                self.query_one("#ask-problem", Static).update(
                    f"{field.name} is empty: give it a value (an empty one would leave a hole in the command)")
                self.query_one(f"#field-{_safe(field.name)}", Input).focus()
                return
        self.dismiss(values)


class Confirm(ModalScreen[bool]):
    """A yes/no question; only an explicit yes says yes."""

    BINDINGS = [Binding("y", "answer(True)", "Yes", id="ask.yes", tooltip="Yes"),
                Binding("n,escape", "answer(False)", "No", id="ask.no", tooltip="No")]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(neutralise(self.question), classes="dialog-title", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")
                yield Button(f"{self.no} (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)
