"""A run in progress: walk a runbook's steps, run confirmed commands, store each outcome.

The UI (the headless prompt or the TUI run screen) asks the operator; this
class does the rest, and saves every outcome before the walk moves on. It never
runs a command by itself: `run_command` is called only after the operator has
seen the exact command and said yes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from kb.runs.expect import Check, answer_for, check
from kb.store.knowledge_base import KBError, KnowledgeBase
from kb.store.write_guard import require_writable
from kb.parse.redact import redact, scan
from kb.runs.runbooks import Runbook, Step, slug
from kb.runs.runner import DEFAULT_TIMEOUT, CommandResult, CommandRun, Terminal
from kb.runs.terminal import Needs, classify
from kb.runs.records import (EXCERPT, RunState, RunStore, StepState, commit_record, in_flight_note, new_run, now,
                             write_record)
from kb.parse.variables import mask, substitute


MASK = "••••••"  # what kb.parse.variables.mask shows for a secret value


def _secrets_in_order(actual: str, values: dict[str, str], secret_names: set[str]) -> list[str]:
    """The secret values in a command, in the order `mask` hides them (left to right)."""
    found = []
    for name in secret_names:
        value = values.get(name)
        if value and len(value) >= 4:
            start = actual.find(value)
            while start >= 0:
                found.append((start, value))
                start = actual.find(value, start + len(value))
    return [value for _, value in sorted(found)]


@dataclass
class PreparedCommand:
    shown: str  # what the operator sees and the record keeps: secrets masked
    actual: str  # what runs
    expected: str
    comment: str
    note: str = ""  # a tree node's note beside its command (`ss -ltnp` + `查占用进程`): shown, never run


class RunWalk:
    def __init__(self, kb: KnowledgeBase, runbook: Runbook, run: RunState, values: dict[str, str],
                 secret_names: set[str], store: RunStore, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.kb = kb
        self.runbook = runbook
        self.run = run
        self.values = values
        self.secret_names = secret_names
        self.store = store
        self.timeout = timeout
        self.remote = None  # a kb.runs.remote.SshTarget: every command runs on that host
        self._active: CommandRun | None = None
        self._verdicts: dict[int, bool] = {}  # step position -> its last command's check passed

    # -- lifecycle ---------------------------------------------------------------------------------
    @classmethod
    def start(cls, kb: KnowledgeBase, runbook: Runbook, operator: str, values: dict[str, str],
              secret_names: set[str], from_step: int = 1, timeout: float = DEFAULT_TIMEOUT,
              remote=None) -> "RunWalk":
        """`remote`: a connected kb.runs.remote.SshTarget; the run is recorded as run on that host."""
        require_writable(kb, "run")  # before anything runs: read-only, or git mid-merge/rebase/detached
        store = RunStore(kb)
        run = new_run(runbook, operator)
        run.target = remote.destination if remote is not None else ""
        secret_names = set(secret_names)
        for name, value in values.items():  # a value that is a secret is kept like one, whatever its name
            if value and name not in secret_names and scan(f"{name}={value}").findings:
                secret_names.add(name)
        run.variables = {k: v for k, v in values.items() if k not in secret_names}
        run.secret_names = sorted(secret_names)
        if runbook.decision_tree:
            run.current = runbook.step_by_node(runbook.start) if runbook.start else 0
        else:
            if not 1 <= from_step <= len(runbook.steps):
                raise KBError(f"--from {from_step}: the runbook has steps 1 to {len(runbook.steps)}")
            run.current = from_step - 1
            for state in run.steps[: run.current]:
                state.status = "skipped"
                state.notes.append("before --from")
        run.path = [run.current]
        store.save(run)
        walk = cls(kb, runbook, run, values, secret_names, store, timeout)
        walk.remote = remote
        return walk

    @classmethod
    def resume(cls, kb: KnowledgeBase, runbook: Runbook, run: RunState, secret_values: dict[str, str],
               from_step: int | None = None, timeout: float = DEFAULT_TIMEOUT, remote=None) -> "RunWalk":
        """Continue an interrupted run: its stored values plus the secrets asked again."""
        import os

        require_writable(kb, "resume")
        store = RunStore(kb)
        run.pid = os.getpid()
        for state in run.steps:  # the record keeps it: a command that may have run before the stop
            note = in_flight_note(run, state.position)
            if note and not any(n.startswith("interrupted: ") for n in state.notes):
                state.notes.append(f"interrupted: {note}")
        if from_step is not None:
            run.current = from_step - 1
        elif not runbook.decision_tree:
            run.current = next((s.position for s in run.steps if s.status in ("pending", "failed")), run.current)
        store.save(run)
        walk = cls(kb, runbook, run, {**run.variables, **secret_values}, set(run.secret_names), store, timeout)
        walk.remote = remote
        return walk

    @property
    def finished(self) -> bool:
        return self.run.outcome is not None

    @property
    def step(self) -> Step:
        return self.runbook.steps[self.run.current]

    @property
    def state(self) -> StepState:
        return self.run.steps[self.run.current]

    def commands(self, step: Step | None = None) -> list[PreparedCommand]:
        step = step or self.step
        out = []
        for command in step.commands:
            actual = substitute(command.command, self.values)
            out.append(PreparedCommand(shown=mask(actual, self.values, self.secret_names), actual=actual,
                                       expected=command.expected, comment=command.comment, note=command.note))
        return out

    # -- running -----------------------------------------------------------------------------------
    def needs(self, command: PreparedCommand) -> Needs:
        """Does the command need the operator's terminal, or run until stopped? (kb/runs/terminal.py)"""
        return classify(command.actual)

    def run_command(self, command: PreparedCommand, on_output: Callable[[str], None] | None = None,
                    timeout: float | None = None, terminal: Terminal | None = None, interactive: bool = False,
                    on_waiting: Callable[[str], None] | None = None, on_start: Callable[[], None] | None = None,
                    unattended: bool = False) -> tuple[CommandResult, Check]:
        """Run one confirmed command; store its exit code, duration, redacted output and check.

        `terminal`: the operator's terminal, handed to the command from the start; `interactive`:
        it will be handed over in a moment (`attach`, after `on_start`), so it is set up for it. A command
        that runs until stopped (follow mode) has no timeout, and ending it (`end`) completes it."""
        needs = self.needs(command)
        handed = terminal is not None or interactive
        argv = self.remote.argv(command.actual, terminal=handed or needs.terminal, pagers=handed) \
            if self.remote is not None else None
        self._active = CommandRun(command.actual, timeout=timeout or self.timeout, cwd=str(self.kb.root.parent),
                                  on_output=on_output, argv=argv, on_waiting=on_waiting, follow=needs.follow,
                                  interactive=handed, unattended=unattended)
        self._mark_in_flight(command, self._active)
        try:
            if on_start is not None:
                on_start()
            result = self._active.run(terminal)
        finally:
            self._active = None
        verdict = self._verdict(command, result, timeout or self.timeout)
        state = self.state
        if verdict.passed is not None:
            self._verdicts[self.run.current] = verdict.passed
        shown = redact(command.shown, self._secrets())  # what the run state and record keep
        state.command = shown if not state.command else f"{state.command}\n{shown}"
        state.exit_code = None if result.ended else result.exit_code  # ended by the operator: no failure code
        state.duration = result.duration
        state.output = redact(result.output[-EXCERPT:], self._secrets())
        state.check = verdict.reason
        state.inflight = None  # its outcome is known: nothing in flight
        self.store.save(self.run, state)
        return result, verdict

    @staticmethod
    def _verdict(command: PreparedCommand, result: CommandResult, timeout: float) -> Check:
        if result.ended:  # what it printed until then can still be checked against what was expected
            followed = f"followed for {result.duration:.0f} s, then ended by you"
            if not command.expected:
                return Check(True, followed)
            seen = check(command.expected, command.actual, 0, result.output)
            return Check(seen.passed, f"{followed}; {seen.reason}")
        if result.timed_out:
            return Check(False, f"timed out after {timeout:.0f} s; the process group was killed")
        if result.cancelled and result.waited:
            return Check(False, f"stopped: it waited for input ({result.waited!r})")
        if result.cancelled:
            return Check(False, "cancelled; the process group was killed")
        return check(command.expected, command.actual, result.exit_code, result.output)

    @property
    def command_running(self) -> bool:
        return self._active is not None

    def attach(self, terminal: Terminal, wait: bool = True, replay: bool = True) -> bool:
        """Hand the operator's terminal to the command that is running (or starting); False if none is."""
        active = self._active
        if active is None:
            return False
        active.attach(terminal, wait=wait, replay=replay)
        return True

    def _mark_in_flight(self, command: PreparedCommand, active: CommandRun) -> None:
        """Before the command starts, the run state says it is starting (then its pid, once it has one): a run
        killed now resumes knowing the command may have run (records.in_flight_note)."""
        import socket
        import threading
        import time

        from kb.store.processes import start_ticks

        state = self.state
        state.inflight = {"command": redact(command.shown, self._secrets()), "started": now(), "pid": 0,
                          "host": socket.gethostname()}
        self.store.save(self.run, state)

        def note_pid() -> None:  # the runner starts the process inside run(): its pid is there a moment later
            for _ in range(500):
                pid = getattr(active, "pid", None)
                if pid or self._active is not active:
                    break
                time.sleep(0.002)
            if pid and state.inflight is not None and self._active is active:
                state.inflight = {**state.inflight, "pid": pid, "pid_started": start_ticks(pid)}
                self.store.save(self.run, state)

        threading.Thread(target=note_pid, name="runbook-step-pid", daemon=True).start()

    def in_flight_note(self) -> str | None:
        """What resume says about the current step when its command was running as the run stopped (None while
        this walk runs a command itself)."""
        if self._active is not None:
            return None
        return in_flight_note(self.run, self.run.current)

    def cancel(self) -> None:
        if self._active is not None:
            self._active.cancel()

    def end(self) -> None:
        """End a command that runs until stopped (follow mode): the step is complete."""
        if self._active is not None:
            self._active.end()

    # -- outcomes ----------------------------------------------------------------------------------
    def mark(self, status: str, note: str = "") -> None:
        """Record the step's outcome (saved now), then move to the next step.

        In a decision tree a node with a single way on follows it; a failed node
        ends the walk there (at_end), as does the last node.
        """
        state = self.state
        state.status = status
        state.inflight = None  # the operator decided: whatever ran before the stop is settled
        if note:
            state.notes.append(redact(note, self._secrets()))
        # the outcome and the move on are saved in one transaction: a kill between them would leave a
        # done step as the current one, and resume would offer it again
        if self.runbook.decision_tree:
            if status != "failed" and len(self.step.choices) == 1:
                self._move_to(self.runbook.step_by_node(next(iter(self.step.choices.values()))))
        elif self.run.current + 1 < len(self.run.steps):
            self._move_to(self.run.current + 1)
        self.store.save(self.run, state)

    def choose(self, label: str) -> None:
        """Decision trees: take the edge the operator chose."""
        target = self.step.choices[label]
        state = self.state
        state.status = "done"
        state.notes.append(f"chose: {label}")
        self._move_to(self.runbook.step_by_node(target))
        self.store.save(self.run, state)

    def _move_to(self, position: int) -> None:
        """The walk's place (saved by the caller, with the step it leaves)."""
        self.run.current = position
        self.run.path.append(position)

    def edit_command(self, command: PreparedCommand, text: str) -> PreparedCommand:
        """The operator changed the command before it ran (the run screen's `e`): what runs is the new text,
        and the step's notes say it was edited and from what, so the record shows it.

        The text edited is the one shown: each `••••••` (a masked secret) stands for the secret it hid, in
        order, and `${NAME}` takes a variable's value, as in the runbook."""
        text = text.strip()
        if not text:
            raise KBError("the edited command is empty: nothing to run")
        if text == command.shown.strip():
            return command
        hidden = _secrets_in_order(command.actual, self.values, self.secret_names)
        if text.count(MASK) > len(hidden):
            raise KBError(f"the edited command has more {MASK} than the secrets it hid: type ${{NAME}} for a variable")
        for value in hidden[: text.count(MASK)]:
            text = text.replace(MASK, value, 1)
        actual = substitute(text, self.values)
        shown = mask(actual, self.values, self.secret_names)
        self.state.notes.append(redact(f"edited before it ran: `{command.shown}` became `{shown}`", self._secrets()))
        self.store.save(self.run, self.state)
        return PreparedCommand(shown=shown, actual=actual, expected=command.expected, comment=command.comment,
                               note=command.note)

    @property
    def step_number(self) -> int:
        """Decision trees count steps along the path taken; checklists by position."""
        return len(self.run.path) if self.runbook.decision_tree else self.run.current + 1

    def step_label(self) -> str:
        """`step 3 · 2 choices` on a tree, `step 3/12` on a checklist."""
        if not self.runbook.decision_tree:
            return f"Step {self.run.current + 1}/{len(self.runbook.steps)}"
        ways = len(self.step.choices)
        tail = f" · {ways} choices" if ways > 1 else (" · the end" if not ways else "")
        return f"Step {self.step_number}{tail}"

    def suggested_choice(self) -> str | None:
        """At a question right after a checked command: the answer its check gave (`是` when it passed)."""
        if not self.runbook.decision_tree or len(self.step.choices) < 2 or len(self.run.path) < 2:
            return None
        previous = self.runbook.steps[self.run.path[-2]]
        verdict = self._verdicts.get(self.run.path[-2])
        if verdict is None or not previous.commands or not previous.commands[-1].expected:
            return None
        return answer_for(list(self.step.choices), verdict)

    def at_end(self) -> bool:
        if self.runbook.decision_tree:
            return self.state.status == "failed" or (not self.step.choices and self.state.status != "pending")
        return self.run.current == len(self.run.steps) - 1 and self.state.status != "pending"

    def back(self) -> None:
        if len(self.run.path) > 1:
            self.run.path.pop()
            self.run.current = self.run.path[-1]
        elif self.run.current > 0:
            self.run.current -= 1
        self.store.save(self.run)

    def note(self, text: str) -> None:
        self.state.notes.append(redact(text, self._secrets()))
        self.store.save(self.run, self.state)

    def finish(self, outcome: str | None = None, author: tuple[str, str] | None = None,
               push: bool = False) -> tuple[str, str | None]:
        """End the run, write its record, commit it. Returns (record path, problem or None)."""
        if outcome is None:
            visited = [self.run.steps[i] for i in dict.fromkeys(self.run.path)]
            failed = any(s.status == "failed" for s in visited)
            outcome = "failed" if failed else "completed"
        self.run.outcome = outcome
        self.run.ended = now()
        self.store.save(self.run)
        path = write_record(self.kb, self.store, self.run, self._secrets())
        problem = None
        try:
            commit_record(self.kb, self.store, self.run, author, push=push)
        except KBError as exc:
            problem = f"{exc} (the record is kept in {self.run.record}; the next start commits it)"
        self.store.close()
        return str(path.relative_to(self.kb.root)), problem

    # -- help from the KB ----------------------------------------------------------------------------
    def suggestions(self, output: str, k: int = 3):
        """Known fixes for a failing step's output."""
        from kb.search.ranking import search

        if not output.strip():
            return []
        return search(self.kb, output, k=k).results

    def learn(self, output: str, cause: str, fix: str, title: str = "") -> str:
        """Turn a failure the operator fixed into a new incident report, committed and ingested."""
        from kb.ingest import ingest
        from kb.parse.normalize import salient_lines

        clean = redact(output, self._secrets()).strip() or "(no output)"
        lines = salient_lines(clean)
        message = lines[0][0] if lines else clean.splitlines()[0]
        title = title or f"{self.step.title} failed"
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        text = "\n".join([
            f"# {redact(title, self._secrets())}", "",
            f"**Runbook**: {self.runbook.title}", f"**Operator**: {self.run.operator}", f"**Date**: {stamp}",
            f"**Run**: {self.run.id}", "", f"## Error: {message[:120]}", "", "**Error log**:", "```",
            clean[-4000:], "```", "", f"**Command**: `{self.state.command.splitlines()[-1] if self.state.command else ''}`",
            "", "**Root cause**:", redact(cause, self._secrets()).strip(), "", "**Fix**:",
            redact(fix, self._secrets()).strip(), ""])
        path = self.kb.reports_dir / f"learned-{stamp}-{slug(title)}-{self.run.id[-6:]}.md"
        path.write_text(text, encoding="utf-8")
        result = ingest(self.kb, [path])
        if result.failed:
            raise KBError(result.failed[0])
        self.note(f"learned: {path.name}")
        return str(path.relative_to(self.kb.root))

    def _secrets(self) -> list[str]:
        return [self.values[name] for name in self.secret_names if self.values.get(name)]

