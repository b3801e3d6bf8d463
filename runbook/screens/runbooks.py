"""Runbooks: the runnable catalogue (kb/catalogue.py), most used first, with each one's last run.

Hand-written runbooks, the KB's checklists and procedures, and its decision trees: the same list
`runbook list runbooks` prints. Enter starts a run (after the variables form); shift+r resumes an
interrupted one.
"""

from __future__ import annotations

from textual import on, work
from textual.binding import Binding
from textual.widgets import DataTable

from kb.store import queries
from kb.runs import runbooks
from kb.runs.catalogue import runnables
from kb.parse.escapes import neutralise
from kb.store.knowledge_base import KBError
from kb.parse.words import plural
from runbook.markdown_views import checklist_markdown
from runbook.screens.browse import BrowseScreen, Column
from runbook.screens.dialogs import AskFields, Field

OPERATOR_FIELD = "__operator__"


def row_key(row: dict) -> str:
    """A table key per catalogue row; hand-written files get a prefix (a file may be called `c5`)."""
    return f"file:{row['ref']}" if row["hand_written"] else row["ref"]


def _hint(variable, commands: list[str]) -> str:
    """Where a variable goes, so the operator knows what it is for."""
    used = next((c for c in commands if variable.token and variable.token in c), "")
    if not used:
        return "declared by the runbook"
    line = next(line for line in used.splitlines() if variable.token in line).strip()
    return "used in: " + (line if len(line) <= 60 else line[:59] + "…")


def shown_title(row: dict, rows: list[dict]) -> str:
    """A row's title as words; one that other rows share ("Resolution", "部署前") says which report it is from."""
    title = " ".join(row["title"].replace("`", "").split())
    same = sum(1 for other in rows if " ".join(other["title"].replace("`", "").split()) == title)
    if same > 1 and not row["hand_written"]:
        title += f" · {row['report'].rsplit('/', 1)[-1].removesuffix('.md')}"
    return neutralise(title)


def last_run_text(row: dict) -> str:
    last = row.get("last_run")
    if not last:
        return "never"
    return f"{last['outcome']} {last['date'][:10]}" + (f" ({row['runs']} runs)" if row["runs"] > 1 else "")


class RunbooksScreen(BrowseScreen):
    TABLE_ID = "checklists"
    DETAIL_ID = "checklist-detail"
    BINDINGS = [
        Binding("r", "start_run", "Start run", id="runbooks.run", tooltip="Walk this runbook step by step"),
        Binding("R", "resume", "Resume", id="runbooks.resume", tooltip="Resume an interrupted run"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict] = {}

    def on_mount(self) -> None:
        self.fill()
        self.table.focus()

    def on_screen_resume(self) -> None:
        """Back from a run: its outcome shows in Last run."""
        if self.rows:
            self.fill()

    def fill(self) -> None:
        rows = runnables(self.app.kb)
        rows.sort(key=lambda r: (-r["runs"], -r["commands"], r["title"]))
        self.rows = {row_key(row): row for row in rows}
        listed = list(self.rows.values())
        columns = [
            Column("ref", "Ref", [r["ref"] for r in listed], priority=-1, cap=16),
            Column("title", "Runbook", [shown_title(r, listed) + (" ⚠" if r["problem"] else "") for r in listed],
                   flexible=True, minimum=22),
            Column("kind", "Kind", [r["kind"] for r in listed], priority=1),
            Column("steps", "Steps", [str(r["steps"]) for r in listed], priority=2, justify="right"),
            Column("commands", "Cmds", [str(r["commands"]) for r in listed], priority=3, justify="right"),
            Column("last", "Last run", [last_run_text(r) for r in listed], priority=0),
        ]
        trees = sum(1 for row in rows if row["kind"] == "decision tree")
        self.show_rows(columns, list(self.rows), f"{len(rows)} runbooks, checklists and procedures "
                                                 f"({plural(trees, 'decision tree')})")
        if not rows:
            self.detail.update("## No runbooks yet\n\nWrite one with `runbook new NAME`, or ingest reports with task "
                               "lists, procedures or troubleshooting flowcharts.")

    def select(self, ref: str) -> None:
        """Highlight a runbook by its ref (from the command palette)."""
        for index, (key, row) in enumerate(self.rows.items()):
            if row["ref"] == ref:
                self.table.move_cursor(row=index)
                self.table.focus()
                return

    def load_record(self, key: str) -> dict:
        row = self.rows.get(key, {})
        if key.startswith("c") and key[1:].isdigit():
            record = queries.get_checklist(self.app.kb.store, int(key[1:]))
        else:
            runbook = runbooks.load(self.app.kb, key.removeprefix("file:"))
            texts = {step.node: step.title for step in runbook.steps if step.node}
            record = {"ref": runbook.name, "title": runbook.title, "kind": row.get("kind", "runbook"), "phase": "",
                      "report": {"path": runbook.source},
                      "items": [{"text": step.title + "".join(f" → {label}: {texts.get(target, target)}"
                                                               for label, target in step.choices.items()),
                                 "checked": False, "depth": step.depth,
                                 "commands": [{"command": c.command, "expected": c.expected} for c in step.commands]}
                                for step in runbook.steps]}
            record["trust"] = _trust_line(self.app.kb, runbook)
        record["key"] = key
        return record

    def render_record(self, record: dict) -> str:
        trust = f"\n\n{record['trust']}" if record.get("trust") else ""
        return (checklist_markdown(record) + "\n\n*Enter starts a run: each command is shown and confirmed first.*"
                + trust)

    # -- runs ----------------------------------------------------------------------------------------
    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        """A click on the row already shown starts a run of it (a click on another row shows it)."""
        if self.current is not None and event.row_key.value == self.current.get("key"):
            self.action_start_run()

    def open_row(self, key: str) -> None:
        """Enter on a row starts a run of it, shown or not yet."""
        self.start_run(key)

    def action_start_run(self) -> None:
        key = self.row_key(self.table.cursor_row) if self.table.row_count else None
        if key is not None:
            self.start_run(key)

    def start_run(self, key: str) -> None:
        try:
            runbook = runbooks.load(self.app.kb, key.removeprefix("file:"))
        except KBError as exc:
            self.notify(str(exc), severity="error")
            return
        from kb.parse.variables import find_variables

        variables = find_variables(runbook.commands(), runbook.variables)
        fields = [Field(v.name, f"{v.name}{' (secret)' if v.secret else ''}", v.default, v.secret,
                        hint=_hint(v, runbook.commands()), required=True) for v in variables]
        operator = self._operator()
        if operator is None:  # no git identity and no name given yet in this session: offer the field
            fields.append(Field(OPERATOR_FIELD, "Your name (this KB has no git identity)", "",
                                hint="Name <email>; empty: recorded as runbook <runbook@localhost>"))
        if not fields:
            self._start(runbook, {}, set())
            return
        secrets = {v.name for v in variables if v.secret}
        title = f"Variables for {runbook.title}" if variables else f"Run {runbook.title}"
        self.app.push_screen(AskFields(neutralise(title), fields),
                             lambda values: values is not None and self._start(runbook, values, secrets))

    def _operator(self) -> str | None:
        """Who runs: RUNBOOK_OPERATOR or `operator` in the config file, else the KB's git identity, else a
        name given earlier in this session, else None (ask)."""
        from kb.runs.records import git_identity
        from runbook.config import value

        configured = value("operator")
        if configured:
            return str(configured)
        identity = git_identity(self.app.kb)
        if identity:
            return f"{identity[0]} <{identity[1]}>"
        return getattr(self.app, "operator_name", None)

    def _start(self, runbook, values: dict, secrets: set) -> None:
        from kb.runs.records import parse_operator
        from kb.runs.walk import RunWalk
        from runbook.cli.identity import operator_for
        from runbook.screens.run import RunScreen

        if OPERATOR_FIELD in values:
            self.app.operator_name = values.pop(OPERATOR_FIELD).strip()
        given = getattr(self.app, "operator_name", None)
        from runbook.config import value

        who, author = operator_for(self.app.kb, value("operator"))  # the config's operator, else git's
        if author is None and given:
            author = parse_operator(given)
            who = f"{author[0]} <{author[1]}>"
        walk = RunWalk.start(self.app.kb, runbook, who, values, secrets)
        self.app.push_screen(RunScreen(walk, author=author))

    def action_resume(self) -> None:
        from kb.runs.records import RunStore

        store = RunStore(self.app.kb)
        try:
            runs = store.interrupted()
        finally:
            store.close()
        if not runs:
            self.notify("No interrupted runs.")
            return
        self.resume(runs[-1])

    @work(group="resume")
    async def resume(self, state) -> None:
        from kb.runs.walk import RunWalk
        from runbook.cli.identity import operator_for
        from runbook.screens.run import RunScreen

        runbook = runbooks.load(self.app.kb, state.runbook)
        values = {}
        if state.secret_names:
            values = await self.app.push_screen_wait(AskFields(
                f"Resume {state.title}: secrets are never stored, type them again",
                [Field(name, name, "", True, required=True) for name in state.secret_names])) or {}
        _, author = operator_for(self.app.kb, state.operator if "<" in state.operator else None)
        walk = RunWalk.resume(self.app.kb, runbook, state, values)
        self.notify(f"Resuming {state.title} at step {walk.run.current + 1}")
        self.app.push_screen(RunScreen(walk, author=author))


def _trust_line(kb, runbook) -> str:
    """What this machine's trust says of the runbook (kb/runs/trust.py), as `runbook trust` says it: a
    front matter `trusted: true` is shown as its author's suggestion, never as a decision."""
    from kb.runs.trust import name_of, verdict

    found = verdict(kb, runbook)
    name = name_of(runbook.files[0][0]) if runbook.files else runbook.name
    if found.allowed:
        line = (f"**Trust**: {found.reason}: `runbook run {name} --yes` runs its commands without asking. "
                f"`runbook trust --revoke {name}` takes it back.")
    else:
        line = f"**Trust**: {found.reason}."
    return neutralise(line)
