"""`runbook run --no-tui`: a plain line-by-line prompt for SSH sessions and scripts.

Every command is shown exactly (after variable substitution, secrets masked)
and runs only after a yes for that command; `--yes` skips the question only
for a runbook this operator trusted on this machine, in exactly its current
content (`runbook trust NAME`, kb/runs/trust.py), and then nothing is asked
at all: the walk runs unattended (stdin may be closed), stops at the first step
that fails, and the exit code is 0 only when every step that runs passed.
When input ends early (a closed stdin, ctrl-c at a prompt) the run ends as
aborted, or leaves nothing behind if no step was touched yet.

A command that needs a terminal (kb/runs/terminal.py), or any command on `t`, runs
attached to this one: what the operator types goes to it and is never recorded. A
captured command that stops at a prompt is handed the terminal then. A follow-mode
command (`tail -f`) is ended with ctrl+c, and that completes the step.
"""

from __future__ import annotations

import sys
import termios
from contextlib import contextmanager

import click

from kb.parse.escapes import neutralise
from kb.runs.runner import Terminal
from kb.runs.walk import RunWalk
from runbook.render import render_results
from runbook.step_text import needs_note, output_line, step_title


def _say(text: str = "", **style) -> None:
    click.echo(click.style(neutralise(text), **style) if style else neutralise(text))


@contextmanager
def _not_echoed(stream):
    """While a captured command runs, what the operator types is not echoed by their terminal: a password typed
    at a prompt the command printed, before runbook has handed the terminal over, would otherwise show. What is
    typed stays buffered and reaches the command once it has the terminal."""
    try:
        fd = stream.fileno() if stream is not None and stream.isatty() else None
        saved = termios.tcgetattr(fd) if fd is not None else None
    except (AttributeError, ValueError, OSError, termios.error):
        saved = None
    if saved is None:
        yield
        return
    quiet = termios.tcgetattr(fd)
    quiet[3] &= ~(termios.ECHO | termios.ECHONL)
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        try:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        except termios.error:
            pass


def _colour() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


class HeadlessRun:
    def __init__(self, walk: RunWalk, yes: bool) -> None:
        self.walk = walk
        self.yes = yes
        self.outcome: str | None = None  # set to stop early: "aborted" or "failed"
        self.colour = _colour()

    def walk_all(self, author: tuple[str, str] | None, push: bool) -> int:
        try:
            while self.outcome is None:
                if self.yes:
                    self._unattended_step()
                elif self.walk.runbook.decision_tree:
                    self._decision_step()
                else:
                    self._step()
                if self.outcome is None and self.walk.at_end():
                    break
        except (click.Abort, EOFError, KeyboardInterrupt):
            if not self._touched():
                self.walk.store.discard(self.walk.run.id)
                self.walk.store.close()
                _say()
                _say("Input ended before any step was done: nothing recorded (use --yes on a runbook you trusted "
                     "with `runbook trust NAME` to run without prompts).", fg="yellow")
                return 1
            self.walk.note("input ended: the run stopped here")
            self.outcome = "aborted"
        record, problem = self.walk.finish(self.outcome, author=author, push=push)
        from kb.runs.records import identity_note

        _say()
        _say(f"Run {self.walk.run.outcome}: record {record}", bold=True)
        if problem:
            _say(f"warning: {problem}", fg="yellow")
        note = identity_note(self.walk.run)
        if note:
            _say(f"note: {note}", fg="yellow")
        return 0 if self.walk.run.outcome == "completed" else 1

    def _touched(self) -> bool:
        """Did any step get an outcome, a command run or a note from this walk?"""
        return any(state.command or (state.status != "pending" and state.notes != ["before --from"])
                   or (state.notes and state.notes != ["before --from"]) for state in self.walk.run.steps)

    # -- unattended (--yes on a trusted runbook) ------------------------------------------------------
    def _unattended_step(self) -> None:
        """Run the step's commands without asking; the first failure ends the run as failed."""
        walk = self.walk
        self._header()
        commands = walk.commands()
        for command in commands:
            _say(f"  $ {command.shown}" + (f"   # {command.note}" if command.note else ""), fg="cyan")
            result, verdict = self._execute(command)
            if verdict.passed is not True:  # nobody is there to judge an unchecked result: it does not pass
                walk.mark("failed", "" if verdict.passed is False else "could not be checked in an unattended run")
                self.outcome = "failed"
                return
        if walk.runbook.decision_tree:
            choices = list(walk.step.choices)
            if len(choices) > 1:
                _say("  this step needs a choice; an unattended run cannot choose", fg="red")
                walk.mark("failed", "needs a choice: an unattended run cannot choose")
                self.outcome = "failed"
            elif choices:
                walk.choose(choices[0])
            else:
                walk.mark("done")
            return
        if commands:
            walk.mark("done")
        else:
            _say("  no command: skipped (a manual step is not checked in an unattended run)", fg="yellow")
            walk.mark("skipped", "manual step: not checked in an unattended run")

    # -- one step --------------------------------------------------------------------------------
    def _header(self) -> None:
        walk = self.walk
        _say()
        nested = "  └ " * (walk.state.depth > 1)  # a sub-item of the step before
        where = f"  (on {walk.remote.destination})" if walk.remote is not None else ""
        _say(f"{nested}{walk.step_label()}: {step_title(walk.step.title)}{where}", bold=True)
        if walk.step.detail:
            _say("  " + walk.step.detail.replace("\n", "\n  "))
        if walk.in_flight_note():  # resumed after a stop while its command ran
            _say(f"  warning: {walk.in_flight_note()}", fg="yellow")

    def _step(self) -> None:
        walk = self.walk
        self._header()
        commands = walk.commands()
        for command in commands:
            _say(f"  $ {command.shown}" + (f"   # {command.note}" if command.note else ""), fg="cyan")
            if command.expected:
                _say(f"    expected: {command.expected}", dim=True)
            note = needs_note(walk.needs(command))
            if note:
                _say(f"    {note}", fg="magenta")
        if commands:
            question, keys = "  [r]un [t]erminal [d]one [s]kip [f]ailed [n]ote [b]ack [a]bort", "rtdsfnba"
        else:  # nothing to run: the step is done by hand
            question, keys = "  [d]one [s]kip [f]ailed [n]ote [b]ack [a]bort", "dsfnba"
        choice = click.prompt(question, default="r" if commands else "d", type=click.Choice(list(keys)),
                              show_choices=False)
        if choice in "rt":
            self._run(commands, terminal=choice == "t")
        elif choice in "dsf":
            self._mark({"d": "done", "s": "skipped", "f": "failed"}[choice])
        elif choice == "n":
            walk.note(click.prompt("  note"))
        elif choice == "b":
            walk.back()
        elif choice == "a":
            self.outcome = "aborted"

    def _decision_step(self) -> None:
        """One node of a decision tree: a command node runs like a checklist step; a question asks which way;
        a node with one way on just goes on (Enter); the last node asks whether the problem is resolved."""
        walk = self.walk
        choices = list(walk.step.choices)
        if walk.step.commands and (len(choices) <= 1 or walk.state.status == "pending"):
            self._step()  # a command node: run it first; a node that also branches then asks which way
            return
        self._header()
        if not choices:
            self._mark("done")  # asks whether the problem is resolved
            return
        if len(choices) == 1:
            choice = click.prompt("  [d]one, go on [f]ailed [n]ote [b]ack [a]bort", default="d",
                                  type=click.Choice(list("dfnba")), show_choices=False)
            if choice in "df":
                walk.mark({"d": "done", "f": "failed"}[choice])
            elif choice == "n":
                walk.note(click.prompt("  note"))
            elif choice == "b":
                walk.back()
            else:
                self.outcome = "aborted"
            return
        suggested = walk.suggested_choice()
        for number, label in enumerate(choices, start=1):
            hint = "   <- what the check says" if label == suggested else ""
            _say(f"  {number}. {label}{hint}")
        picked = click.prompt("  choose (0 aborts)", type=click.IntRange(0, len(choices)),
                              default=choices.index(suggested) + 1 if suggested else None)
        if picked == 0:
            self.outcome = "aborted"
        else:
            walk.choose(choices[picked - 1])

    def _run(self, commands, terminal: bool = False) -> None:
        passed_all = True
        for command in commands:
            if not self.yes:
                _say(f"  About to run exactly:\n    {command.shown}", fg="yellow")
                again = self.walk.in_flight_note() is not None  # it may have run before the stop: asked as such
                if not click.confirm("  It may already have run. Run it again?" if again else "  Run it?", default=False):
                    return
            result, verdict = self._execute(command, terminal)
            if verdict.passed is False:
                self._failure(result.output)
                return
            passed_all = passed_all and verdict.passed is True
        if passed_all:
            self._mark("done")

    def _execute(self, command, terminal: bool = False):
        """Run one command: attached to this terminal when it needs one (or `t`), else captured and shown."""
        walk = self.walk
        needs = walk.needs(command)
        attached = None
        if (terminal or needs.terminal) and not self.yes:
            attached = Terminal.of_process()
            if attached is None:
                _say("    (no terminal to hand it: stdin is not a terminal, so it runs without one)", fg="yellow")
            else:
                _say("    -- runbook hands it your terminal; what you type goes to it and is not recorded --",
                     fg="magenta")
        if needs.follow and attached is None and not self.yes:
            _say("    -- following: ctrl+c ends it, and the step completes --", fg="magenta")
        with _not_echoed(None if attached is not None else sys.stdin):
            result, verdict = walk.run_command(
                command, on_output=lambda line: click.echo("    | " + output_line(line, self.colour)),
                terminal=attached, on_waiting=self._waiting, unattended=self.yes)
        if attached is not None:
            _say("    -- runbook has the terminal back --", fg="magenta")
        mark = {True: "✓", False: "✗", None: "?"}[verdict.passed]
        _say(f"  {mark} {verdict.reason} ({result.duration:.1f} s)",
             fg={True: "green", False: "red", None: "yellow"}[verdict.passed])
        return result, verdict

    def _waiting(self, prompt: str) -> None:
        """A captured command stopped at a prompt: give it this terminal, or (nobody there) stop it."""
        terminal = None if self.yes else Terminal.of_process()
        if terminal is None:
            _say(f"    -- it waits for input ({prompt}) and nobody can type here: stopped --", fg="red")
            self.walk.cancel()
            return
        _say("    -- it waits for input: runbook hands it your terminal; what you type is not recorded --",
             fg="magenta")
        self.walk.attach(terminal, wait=False, replay=False)

    def _failure(self, output: str) -> None:
        fixes = self.walk.suggestions(output)
        if fixes:
            _say("  Known fixes for this output:", bold=True)
            _say("  " + render_results(fixes).replace("\n", "\n  "))
        while True:
            choice = click.prompt("  [r]etry [t]erminal [f]ailed [d]one anyway [l]earn the fix [n]ote [a]bort",
                                  default="f", type=click.Choice(list("rtfdlna")), show_choices=False)
            if choice in "rt":
                self._run(self.walk.commands(), terminal=choice == "t")
                return
            if choice == "l":
                cause = click.prompt("  What caused it")
                fix = click.prompt("  What fixed it")
                _say(f"  Saved as {self.walk.learn(output, cause, fix)}: the next search finds it.", fg="green")
            elif choice == "n":
                self.walk.note(click.prompt("  note"))
            elif choice == "a":
                self.walk.mark("failed")
                self.outcome = "aborted"
                return
            else:
                self._mark("failed" if choice == "f" else "done")
                return

    def _mark(self, status: str) -> None:
        if self.walk.runbook.decision_tree:  # a failed node ends the walk; otherwise the single way on is taken
            if status == "done" and not self.walk.step.choices and not self.yes:
                resolved = click.confirm("  The flowchart ends here. Did this resolve the problem?", default=True)
                status = "done" if resolved else "failed"
            self.walk.mark(status)
            return
        last = self.walk.at_end() or self.walk.run.current == len(self.walk.run.steps) - 1
        self.walk.mark(status)
        if status == "failed" and not last and not click.confirm("  Go on with the next step?", default=False):
            self.outcome = "failed"
