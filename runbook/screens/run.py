"""The run screen: walk a runbook step by step, run confirmed commands, watch their output live.

Commands run in a thread worker, in a pseudo-terminal, and stream into a log; the UI never waits.
A command that needs the operator's terminal (kb/runs/terminal.py; any command on `t`; one that
stops at a prompt) gets it: the app is suspended (`App.suspend()`), the command runs there with
its output captured too, and the run screen comes back with the result. A follow-mode command
(`tail -f`) runs in the log until `e` ends it, which completes the step. The log shows the
current step's output only. A failing step searches the KB with its output and shows the known fixes.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, OptionList, RichLog, Static
from textual.widgets.option_list import Option

from kb.parse.escapes import neutralise
from kb.runs.expect import Check
from kb.runs.runner import CommandResult, Terminal
from kb.runs.walk import RunWalk
from kb.store.knowledge_base import KBError
from runbook.markdown_views import error_markdown
from runbook.screens.dialogs import AskFields, Confirm, ConfirmCommand, Field
from runbook.step_text import needs_note, output_line, step_title
from runbook.widgets.key_bar import KeyBarOrder

MARKS = {"pending": "[ ]", "done": "[x]", "failed": "[!]", "skipped": "[-]"}
_RUN_ACTIONS = {"run", "run_in_terminal", "end_follow", "mark", "note", "learn", "back", "cancel_command", "abort",
                "leave", "choose"}  # the run screen's own actions (check_action decides when each shows)


@dataclass
class CommandFinished(Message):
    result: CommandResult
    check: Check
    remaining: int  # commands of this step still to run


@dataclass
class OutputLine(Message):
    """A line the running command printed (posted from its worker: never waits for the UI)."""

    line: str


class HandOver(Message):
    """The command that needs the operator's terminal has started: hand it over."""


@dataclass
class CommandWaiting(Message):
    """The running command stopped at a prompt: it waits for someone to type."""

    prompt: str


@dataclass
class RunEnded(Message):
    record: str
    problem: str | None


class RunScreen(KeyBarOrder, Screen):
    running = reactive(False, bindings=True)  # a command runs: the key bar shows what applies (check_action)
    BINDINGS = [
        Binding("r", "run", "Run", id="run.run", tooltip="Run this step's command (you confirm it first)"),
        Binding("t", "run_in_terminal", "In terminal", id="run.terminal",
                tooltip="Run the command with your terminal (prompts, passwords, editors); also hands it over mid-run"),
        Binding("e", "end_follow", "End", id="run.end", tooltip="End a command that runs until stopped (tail -f): "
                "the step completes"),
        Binding("d", "mark('done')", "Done", id="run.done", tooltip="Mark the step done and go on"),
        Binding("s", "mark('skipped')", "Skip", id="run.skip", tooltip="Skip the step"),
        Binding("f", "mark('failed')", "Failed", id="run.failed", tooltip="Mark the step failed"),
        Binding("n", "note", "Note", id="run.note", show=False, tooltip="Add a note to the step"),
        Binding("l", "learn", "Learn fix", id="run.learn", show=False,
                tooltip="Record what fixed a failure as a new report"),
        Binding("b", "back", "Back", id="run.back", show=False, tooltip="Go back a step"),
        Binding("x", "cancel_command", "Cancel cmd", id="run.cancel", tooltip="Kill the running command's process group"),
        Binding("a", "abort", "Abort", id="run.abort", tooltip="End the run as aborted (it is recorded)"),
        Binding("q", "leave", "Leave", id="run.leave", tooltip="Leave the finished run"),
        *[Binding(str(i), f"choose({i})", show=False) for i in range(1, 10)],
    ]

    def __init__(self, walk: RunWalk, yes: bool = False, author=None, push: bool = False,
                 exit_when_done: bool = False) -> None:
        super().__init__()
        self.walk = walk
        from kb.runs.trust import verdict  # the trust rule, as the CLI's --yes: kb/runs/trust.py

        found = verdict(walk.kb, walk.runbook) if yes else None
        self.yes = bool(found and found.allowed)
        # --yes asked for, and refused: said on the screen, as the CLI says it (why, and how to trust it)
        self._refused_yes = found.reason if found is not None and not found.allowed else None
        self.author = author
        self.push = push
        self.exit_when_done = exit_when_done
        self.running = False
        self.following = False  # the running command runs until stopped (e ends it)
        self.handed_over = False  # the running command has the operator's terminal
        self.last_output = ""
        self._pending: list = []
        self._in_terminal = False  # this step's commands go to the operator's terminal (t)
        self._lines: dict[int, list[str]] = {}  # step position -> the lines its command printed here (colours kept)
        self._command_from = 0  # where the running command's lines begin among its step's

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="run-body"):
            yield OptionList(id="run-steps")
            with Vertical(id="run-main"):
                yield Static(id="step-title")
                yield Static(id="step-command", markup=False)
                yield RichLog(id="run-log", wrap=True, markup=False, highlight=False)
                yield Static(id="run-check")
                with VerticalScroll(id="run-fixes-scroll"):
                    yield Markdown(id="run-fixes")
        yield Footer()

    # Which keys the key bar shows now (issue 25: at 80 columns, `a Abort` and `q Leave` stay visible):
    # False hides a key that does nothing in this state; F1 lists every key.
    _WHILE_RUNNING = {"cancel_command", "run_in_terminal", "end_follow"}
    # While a command runs, what the operator types may be meant for it (a prompt not yet noticed):
    # `n` would open a note that the rest of a password fills and Enter saves into the run record, and
    # `a` then `y` would abort the run. Both wait for the command to end (or to be cancelled with x),
    # except while following a command that runs until stopped (tail -f), which reads nothing.
    _WHILE_FOLLOWING = {"abort", "note"}
    _WHEN_FINISHED = {"leave"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.walk.finished:
            return action in self._WHEN_FINISHED or action not in _RUN_ACTIONS
        if action in self._WHEN_FINISHED:
            return False
        if action == "cancel_command":
            return self.running
        if action == "end_follow":  # ends a command that runs until stopped (tail -f): only while one does
            return bool(getattr(self, "following", False))
        if self.running:
            if action in self._WHILE_FOLLOWING:
                return bool(getattr(self, "following", False))
            return action in self._WHILE_RUNNING or action not in _RUN_ACTIONS
        return True

    def on_mount(self) -> None:
        where = f" · on {self.walk.remote.destination}" if self.walk.remote is not None else ""
        self.sub_title = f"run {self.walk.run.id} · {self.walk.runbook.source}{where}"
        if self._refused_yes:
            self.notify(f"Each command asks first: {neutralise(self._refused_yes)}.", title="Not trusted",
                        severity="warning", timeout=12, markup=False)
        self.query_one("#run-fixes-scroll").display = False
        self.refresh_step()

    # -- display -----------------------------------------------------------------------------------
    def refresh_steps(self) -> None:
        """The list of steps with their marks; sub-items indented under their step."""
        walk = self.walk
        steps = self.query_one("#run-steps", OptionList)
        steps.clear_options()
        if walk.runbook.decision_tree:  # the path taken so far, numbered along it
            for number, position in enumerate(dict.fromkeys(walk.run.path), start=1):
                state = walk.run.steps[position]
                steps.add_option(Option(Text(f"{MARKS[state.status]} {number}. {step_title(state.title)}"),
                                        id=str(position)))
        else:
            for state in walk.run.steps:
                indent = "  " * (max(state.depth, 1) - 1)
                steps.add_option(Option(Text(f"{indent}{MARKS[state.status]} {state.position + 1}. "
                                             f"{step_title(state.title)}"), id=str(state.position)))
        try:
            steps.highlighted = steps.get_option_index(str(walk.run.current))
        except Exception:
            pass

    def refresh_step(self) -> None:
        walk = self.walk
        self.refresh_steps()
        title = f"{walk.step_label()}: {step_title(walk.step.title)}"
        if walk.step.detail:
            title += f"\n{neutralise(walk.step.detail)}"
        if walk.runbook.decision_tree and len(walk.step.choices) > 1:
            suggested = walk.suggested_choice()
            title += "\n" + "  ".join(f"[{i}] {neutralise(label)}" + (" ← the check says" if label == suggested else "")
                                      for i, label in enumerate(walk.step.choices, 1))
        self.query_one("#step-title", Static).update(Text(title, style="bold"))
        lines = []
        for command in walk.commands():
            lines.append(f"$ {neutralise(command.shown)}" + (f"   # {neutralise(command.note)}" if command.note else ""))
            if command.expected:
                lines.append(f"  expected: {neutralise(command.expected)}")
            note = needs_note(walk.needs(command))
            if note:
                lines.append(f"  ⚠ {note}")
        if not lines:
            ways = len(walk.step.choices)
            lines = ["(no command: do it by hand, then d / s / f)" if not walk.runbook.decision_tree
                     else "(choose with the number keys)" if ways > 1
                     else "(d goes on; f stops here as failed)" if ways == 1
                     else "(the end: d asks whether the problem is resolved; f stops here as failed)"]
        if walk.in_flight_note():  # resumed after a stop while its command ran: the confirmation follows
            lines.insert(0, f"⚠ {neutralise(walk.in_flight_note())}")
        self.query_one("#step-command", Static).update("\n".join(lines))
        self.query_one("#run-check", Static).update("")
        self.query_one("#run-fixes-scroll").display = False
        self._show_output()  # this step's own output (empty until it runs), never another step's

    def _show_output(self) -> None:
        """The box holds the current step's output: as it printed here (colours), else as recorded."""
        position = self.walk.run.current
        log = self.query_one("#run-log", RichLog)
        log.clear()
        log.border_title = f"output of step {self.walk.step_number}"
        lines = self._lines.get(position)
        if lines is None:
            lines = self.walk.state.output.splitlines()
        for line in lines:
            log.write(Text.from_ansi(output_line(line, colour=True)))

    # -- running commands --------------------------------------------------------------------------
    def action_run(self) -> None:
        self._start_step(in_terminal=False)

    def action_run_in_terminal(self) -> None:
        """Before a command runs: run the step's commands with the operator's terminal. While one runs: hand it over."""
        if self.running:
            if not self.handed_over:
                self._hand_over()
            return
        self._start_step(in_terminal=True)

    def _start_step(self, in_terminal: bool) -> None:
        if self.running or self.walk.finished:
            return
        commands = self.walk.commands()
        if not commands:
            self.notify("This step has no command: mark it done (d) or skipped (s).")
            return
        self._in_terminal = in_terminal
        self._lines[self.walk.run.current] = []
        self.query_one("#run-log", RichLog).clear()
        self._confirm_and_run(commands)

    def _confirm_and_run(self, commands) -> None:
        command = commands[0]
        self._pending = commands[1:]
        needs = self.walk.needs(command)
        handed = self._in_terminal or needs.terminal

        def go(answer: bool | str | None) -> None:
            nonlocal command
            if isinstance(answer, str):  # edited in the dialog (e): what runs, recorded as edited
                try:
                    command = self.walk.edit_command(command, answer)
                except KBError as exc:
                    self.notify(str(exc), severity="error")
                    return
            if answer:
                self.following = needs.follow and not handed  # before running: the key bar reads it
                self.running = True
                self.handed_over = False
                self._command_from = len(self._lines.setdefault(self.walk.run.current, []))
                status = ("following… e ends it (the step completes) · x cancels" if self.following
                          else "running… x cancels · t hands it your terminal")
                self.query_one("#run-check", Static).update(Text(status, style="italic"))
                self.execute(command, len(commands) - 1, handed)

        if self.yes:
            go(True)
        else:
            note = needs_note(needs) if not self._in_terminal else \
                "runs with your terminal: runbook hands it over and comes back when the command ends"
            self.app.push_screen(ConfirmCommand(command.shown, command.expected, note), go)

    @work(thread=True, exclusive=True, group="run-command")
    def execute(self, command, remaining: int, handed: bool = False) -> None:
        result, verdict = self.walk.run_command(
            command, on_output=lambda line: self.post_message(OutputLine(line)), interactive=handed,
            on_waiting=lambda prompt: self.post_message(CommandWaiting(prompt)),
            on_start=(lambda: self.post_message(HandOver())) if handed else None)
        self.post_message(CommandFinished(result, verdict, remaining))

    @on(HandOver)
    def _hand_over_now(self, _message) -> None:
        if self.running and not self.handed_over:
            self._hand_over()

    @on(OutputLine)
    def _output(self, message: OutputLine) -> None:
        if self.running:
            self._lines.setdefault(self.walk.run.current, []).append(message.line)
            self.query_one("#run-log", RichLog).write(Text.from_ansi(output_line(message.line, colour=True)))

    @on(CommandWaiting)
    def _waiting(self, message: CommandWaiting) -> None:
        """A prompt nobody expected ("[sudo] password for …"): the command gets the terminal to answer it."""
        if self.running and not self.handed_over:
            self.notify(f"It waits for input ({message.prompt}): it gets your terminal.", title="Terminal")
            self._hand_over()

    def _hand_over(self) -> None:
        """Suspend the app and join the operator's terminal to the running command until it ends."""
        if not self.walk.command_running:
            return
        self.handed_over = True
        test_terminal = getattr(self.app, "handover_terminal", None)  # a test's own pty stands for the terminal
        terminal = test_terminal or Terminal.of_process()
        if terminal is None:
            self.notify("No terminal to hand over: stdin is not a terminal.", severity="warning")
            return
        from textual.app import SuspendNotSupported

        try:
            with self.app.suspend():
                _say(terminal, f"\r\n-- runbook: {self.walk.step_label()} has your terminal; what you type goes to "
                               "the command and is not recorded. The run screen comes back when it ends. --\r\n")
                self.walk.attach(terminal, wait=True, replay=True)
        except SuspendNotSupported:  # a headless app (tests): the worker joins the terminal, the UI goes on
            if test_terminal is None:
                self.notify("This terminal cannot be handed over.", severity="warning")
                return
            _say(terminal, f"-- runbook: {self.walk.step_label()} has your terminal --\r\n")
            self.walk.attach(terminal, wait=False, replay=True)

    @on(CommandFinished)
    def _finished(self, message: CommandFinished) -> None:
        self.running = self.following = self.handed_over = False
        verdict, result = message.check, message.result
        self.last_output = result.output
        if result.attached:  # it printed on the operator's terminal: the log shows what was kept of this command
            self._lines.setdefault(self.walk.run.current, [])[self._command_from:] = result.output.splitlines()
            self._show_output()
        style = {True: "green", False: "red", None: "yellow"}[verdict.passed]
        mark = {True: "✓", False: "✗", None: "?"}[verdict.passed]
        self.query_one("#run-check", Static).update(
            Text(f"{mark} {verdict.reason} ({result.duration:.1f} s)", style=f"bold {style}"))
        if verdict.passed is False:
            self.suggest(result.output)
            return
        if message.remaining and self._pending:
            self._confirm_and_run(self._pending)
            return
        if verdict.passed:
            self.action_mark("done")

    @work(thread=True, exclusive=True, group="run-suggest")
    def suggest(self, output: str) -> None:
        fixes = self.walk.suggestions(output)
        self.app.call_from_thread(self._show_fixes, fixes)

    def _show_fixes(self, fixes) -> None:
        box = self.query_one("#run-fixes-scroll")
        if not fixes:
            box.display = False
            return
        text = "## Known fixes for this output\n\n" + "\n\n---\n\n".join(error_markdown(f.to_dict()) for f in fixes[:3])
        text += "\n\n*r retries · f marks failed · l records what fixed it*"
        self.query_one("#run-fixes", Markdown).update(text)
        box.display = True

    def action_cancel_command(self) -> None:
        if self.running:
            self.walk.cancel()

    def action_end_follow(self) -> None:
        if self.running and self.following:
            self.walk.end()
        elif self.running:
            self.notify("This command is not one that runs until stopped: x cancels it.")

    # -- outcomes ----------------------------------------------------------------------------------
    def action_mark(self, status: str) -> None:
        if self.running or self.walk.finished:
            return
        tree = self.walk.runbook.decision_tree
        if tree and len(self.walk.step.choices) > 1 and status != "failed":
            self.notify("Choose a way on with the number keys.")
            return
        if tree and not self.walk.step.choices and status == "done" and not self.yes:
            self._ask_resolved()
            return
        self._mark(status)

    def _ask_resolved(self) -> None:
        """A decision tree's end: the walk asks whether the problem is resolved (no: the run failed there)."""
        def answer(resolved: bool | None) -> None:
            if resolved is not None and not self.walk.finished:
                self._mark("done" if resolved else "failed")

        self.app.push_screen(Confirm("The flowchart ends here. Did this resolve the problem?",
                                     yes="Resolved", no="Not resolved"), answer)

    def _mark(self, status: str) -> None:
        tree = self.walk.runbook.decision_tree
        last = not tree and self.walk.run.current == len(self.walk.run.steps) - 1
        number, title = self.walk.step_label(), step_title(self.walk.step.title)
        self.walk.mark(status)
        if last or (tree and self.walk.at_end()):
            self.end(None)
        else:
            self.refresh_step()
            self.notify(f"{number}: {title}: {status}", timeout=3)

    def action_choose(self, number: int) -> None:
        choices = list(self.walk.step.choices)
        if self.running or not self.walk.runbook.decision_tree or not 1 <= number <= len(choices):
            return
        self.walk.choose(choices[number - 1])
        self.refresh_step()

    def action_back(self) -> None:
        if not self.running and not self.walk.finished:
            self.walk.back()
            self.refresh_step()

    def action_note(self) -> None:
        def save(values: dict | None) -> None:
            if values and values.get("note", "").strip():
                self.walk.note(values["note"])
                self.notify("Note saved.")

        self.app.push_screen(AskFields("Note for this step", [Field("note", "Note", required=True)]), save)

    def action_learn(self) -> None:
        if not self.last_output:
            self.notify("Run the step's command first: the new report is built from its output.", severity="warning")
            return

        def save(values: dict | None) -> None:
            if values and values["cause"].strip() and values["fix"].strip():
                self.learn(values["cause"], values["fix"])

        self.app.push_screen(AskFields("What fixed it? (becomes a new report)", [
            Field("cause", "What caused it", required=True), Field("fix", "What fixed it", required=True)]), save)

    @work(thread=True, group="run-learn")
    def learn(self, cause: str, fix: str) -> None:
        path = self.walk.learn(self.last_output, cause, fix)
        self.app.call_from_thread(self.notify, f"Saved {path}: the next search finds it.", title="Learned")

    def action_abort(self) -> None:
        """Ask first: an abort ends the run for good (it is recorded)."""
        if self.walk.finished:
            return

        def answer(yes: bool | None) -> None:
            if yes and not self.walk.finished:
                if self.running:
                    self.walk.cancel()
                self.end("aborted")

        question = "Abort this run? It ends here and is recorded as aborted."
        if self.running:
            question = "A command is running. Kill it and abort the run? It is recorded as aborted."
        self.app.push_screen(Confirm(question, yes="Abort the run", no="Keep going"), answer)

    @work(thread=True, exclusive=True, group="run-end")
    def end(self, outcome: str | None) -> None:
        record, problem = self.walk.finish(outcome, author=self.author, push=self.push)
        self.post_message(RunEnded(record, problem))

    @on(RunEnded)
    def _ended(self, message: RunEnded) -> None:
        from kb.runs.records import identity_note

        outcome = self.walk.run.outcome
        self.refresh_steps()  # the last step's mark, as recorded
        self.query_one("#step-title", Static).update(Text(f"Run {outcome}. Record: {message.record}", style="bold"))
        self.query_one("#step-command", Static).update("Press q to leave.")
        self.refresh_bindings()
        if message.problem:
            self.notify(message.problem, severity="warning", timeout=10)
        else:
            self.notify(f"Run {outcome}; record committed as {self.walk.run.committed_as}.", title="Recorded")
        note = identity_note(self.walk.run)
        if note:
            self.notify(note, title="Who ran it", timeout=10)
        self.app.last_run_outcome = outcome

    def action_leave(self) -> None:
        if not self.walk.finished:
            self.notify("The run is still going: a (abort) ends it, and it is recorded.")
            return
        if self.exit_when_done:
            self.app.exit(return_code=0 if self.walk.run.outcome == "completed" else 1)
        else:
            self.app.pop_screen()


def _say(terminal: Terminal, text: str) -> None:
    import os

    try:
        os.write(terminal.output_fd, text.encode("utf-8"))
    except OSError:
        pass
