"""Runs: durable state in SQLite while a run goes on, a redacted Markdown record in git when it ends.

State lives in `.runbook/runs.sqlite` (not the rebuildable cache: a run in
progress exists nowhere else). Every step outcome is written in its own
transaction before the next step starts, so a crash, `kill -9` or a closed
terminal loses nothing and `runbook resume` picks up where it stopped.

Secret variable values are never stored: a resumed run asks for them again.
When the run ends, `runs/<date>-<runbook>.md` is written (front matter, then
each step with status, command, exit code, duration, a redacted output excerpt
and notes) and committed with the operator as author. A commit that cannot
happen leaves the record on disk and `committed = 0`; the next start retries.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from kb.store.knowledge_base import FALLBACK_AUTHOR, KBError, KnowledgeBase
from kb.parse.redact import redact
from kb.runs.runbooks import Runbook, slug

EXCERPT = 2000


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class StepState:
    position: int
    title: str
    status: str = "pending"
    command: str = ""  # as run, secrets masked
    exit_code: int | None = None
    duration: float | None = None
    output: str = ""  # redacted excerpt
    check: str = ""
    notes: list[str] = field(default_factory=list)
    depth: int = 1  # 2 for a sub-item of the step before: kept nested in the screen and the record
    source: str = ""  # the included runbook file the step comes from ("" for the runbook's own)
    # set while the step's command runs: {"command", "started", "pid", "pid_started"}; a run that stopped
    # with it set (kill -9, a crash) may have run the command: resume says so and asks (in_flight_note)
    inflight: dict | None = None


@dataclass
class RunState:
    id: str
    runbook: str
    title: str
    source: str
    operator: str
    host: str
    started: str
    ended: str | None = None
    outcome: str | None = None  # completed | failed | aborted
    current: int = 0
    variables: dict[str, str] = field(default_factory=dict)  # non-secret values only
    secret_names: list[str] = field(default_factory=list)
    steps: list[StepState] = field(default_factory=list)
    record: str = ""
    committed: bool = False
    pid: int = 0
    path: list[int] = field(default_factory=list)  # steps visited, in order
    kind: str = "steps"  # "steps" (a checklist) or "tree" (a decision tree: only the visited path matters)
    committed_as: str = ""  # the git author of the record, said when it is the fallback identity
    target: str = ""  # `--on user@host`: the host the commands ran on (through ssh from `host`)


class RunStore:
    def __init__(self, kb: KnowledgeBase) -> None:
        import sqlite3
        import threading

        self._lock = threading.RLock()
        path = kb.derived_dir / "runs.sqlite"
        if kb.read_only():  # listed and read, never written (kb/store/write_guard.py refuses a run)
            from kb.store.database import connect_read_only

            self.db = sqlite_utils.Database(connect_read_only(path) if path.exists() else
                                            sqlite3.connect(":memory:", check_same_thread=False))
            if path.exists():
                return
        else:
            kb.derived_dir.mkdir(parents=True, exist_ok=True)
            self.db = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=False))
            self.db.execute("PRAGMA journal_mode=WAL")
        if not self.db["runs"].exists():
            self.db["runs"].create({"id": str, "runbook": str, "title": str, "source": str, "operator": str,
                                    "host": str, "started": str, "ended": str, "outcome": str, "current": int,
                                    "variables": str, "secret_names": str, "record": str, "committed": int,
                                    "pid": int, "path": str, "kind": str}, pk="id")
        if not self.db["steps"].exists():
            self.db["steps"].create({"run_id": str, "position": int, "title": str, "status": str, "command": str,
                                     "exit_code": int, "duration": float, "output": str, "check_text": str,
                                     "notes": str, "depth": int, "source": str, "inflight": str},
                                     pk=("run_id", "position"))
        columns = self.db["steps"].columns_dict
        # a runs.sqlite from before nested steps, included steps naming their file, or commands in flight
        for column, kind in (("depth", int), ("source", str), ("inflight", str)):
            if column not in columns:
                self.db["steps"].add_column(column, kind)
        if "target" not in self.db["runs"].columns_dict:  # a runs.sqlite from before --on
            self.db["runs"].add_column("target", str)

    def close(self) -> None:
        self.db.close()

    def save(self, run: RunState, step: StepState | None = None) -> None:
        """One transaction: the run's header and (optionally) one step's outcome."""
        with self._lock, self.db.atomic():  # a step's pid is saved from a thread of its own (RunWalk)
            self.db["runs"].upsert({
                "id": run.id, "runbook": run.runbook, "title": run.title, "source": run.source,
                "operator": run.operator, "host": run.host, "started": run.started, "ended": run.ended,
                "outcome": run.outcome, "current": run.current, "variables": json.dumps(run.variables),
                "secret_names": json.dumps(run.secret_names), "record": run.record, "committed": int(run.committed),
                "pid": run.pid, "path": json.dumps(run.path), "kind": run.kind, "target": run.target}, pk="id")
            for state in ([step] if step is not None else run.steps):
                self.db["steps"].upsert({
                    "run_id": run.id, "position": state.position, "title": state.title, "status": state.status,
                    "command": state.command, "exit_code": state.exit_code, "duration": state.duration,
                    "output": state.output, "check_text": state.check, "notes": json.dumps(state.notes),
                    "depth": state.depth, "source": state.source,
                    "inflight": json.dumps(state.inflight) if state.inflight else None},
                    pk=("run_id", "position"))

    def get(self, run_id: str) -> RunState:
        rows = list(self.db.query("select * from runs where id = ? or id like ?", [run_id, f"{run_id}%"]))
        if len(rows) != 1:
            raise KBError(f"no run {run_id!r}" if not rows else f"{run_id!r} matches {len(rows)} runs")
        row = rows[0]
        steps = [StepState(position=s["position"], title=s["title"], status=s["status"], command=s["command"] or "",
                           exit_code=s["exit_code"], duration=s["duration"], output=s["output"] or "",
                           check=s["check_text"] or "", notes=json.loads(s["notes"] or "[]"),
                           depth=s.get("depth") or 1, source=s.get("source") or "",
                           inflight=json.loads(s.get("inflight") or "null"))
                 for s in self.db.query("select * from steps where run_id = ? order by position", [row["id"]])]
        return RunState(id=row["id"], runbook=row["runbook"], title=row["title"], source=row["source"],
                        operator=row["operator"], host=row["host"], started=row["started"], ended=row["ended"],
                        outcome=row["outcome"], current=row["current"], variables=json.loads(row["variables"] or "{}"),
                        secret_names=json.loads(row["secret_names"] or "[]"), steps=steps, record=row["record"] or "",
                        committed=bool(row["committed"]), pid=row["pid"] or 0, path=json.loads(row["path"] or "[]"),
                        kind=row["kind"] or "steps", target=row.get("target") or "")

    def discard(self, run_id: str) -> None:
        """Forget a run nothing happened in (its input ended before the first step): no stale interrupted run."""
        with self.db.atomic():
            self.db.execute("delete from steps where run_id = ?", [run_id])
            self.db.execute("delete from runs where id = ?", [run_id])

    def interrupted(self) -> list[RunState]:
        """Runs that never ended and whose process is gone (crash, kill -9, closed terminal)."""
        return [self.get(row["id"]) for row in self.db.query(
            "select id, pid from runs where outcome is null order by started") if not _alive(row["pid"])]

    def uncommitted(self) -> list[RunState]:
        return [self.get(row["id"]) for row in self.db.query(
            "select id from runs where outcome is not null and committed = 0 and record != '' order by started")]


def _alive(pid: int | None) -> bool:
    """Is the run's process still running (this process is not: its own runs are not interrupted)?"""
    from kb.store.processes import process_alive

    return bool(pid) and pid != os.getpid() and process_alive(pid)
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def in_flight_note(run: RunState, position: int) -> str | None:
    """For a step whose command was running when the run stopped: that it may have run, when, and whether
    its process is still there. None for any other step."""
    from kb.store.processes import process_alive

    inflight = run.steps[position].inflight if 0 <= position < len(run.steps) else None
    if not inflight:
        return None
    pid = int(inflight.get("pid") or 0)
    started = str(inflight.get("started", "")).replace("T", " ")
    if pid and inflight.get("host", socket.gethostname()) == socket.gethostname():
        where = f"pid {pid}, started {started}, " + (
            "still running" if process_alive(pid, inflight.get("pid_started")) else "no longer running")
    else:
        where = f"started {started}" + (f", pid {pid}" if pid else "")
    return (f"step {position + 1} may already have run `{inflight.get('command', '')}`: it was running when the run "
            f"stopped ({where})")


def new_run(runbook: Runbook, operator: str) -> RunState:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return RunState(id=f"{stamp}-{uuid.uuid4().hex[:6]}", runbook=runbook.name, title=runbook.title,
                    source=runbook.source, operator=operator, host=socket.gethostname(), started=now(),
                    steps=[StepState(position=i, title=step.title, depth=getattr(step, "depth", 1),
                                     source=getattr(step, "source", ""))
                           for i, step in enumerate(runbook.steps)],
                    pid=os.getpid(), kind="tree" if runbook.decision_tree else "steps")


# -- the record --------------------------------------------------------------------------------------

def summary(run: RunState) -> str:
    if run.kind == "tree":
        return _tree_summary(run)
    done = sum(1 for s in run.steps if s.status == "done")
    total = len(run.steps)
    if run.outcome == "completed":
        return f"completed {done}/{total}"
    failed = next((s for s in run.steps if s.status == "failed"), None)
    if run.outcome == "failed" and failed is not None:
        return f"failed at step {failed.position + 1}"
    return f"{run.outcome or 'interrupted'} at step {run.current + 1} ({done}/{total} done)"


def _tree_summary(run: RunState) -> str:
    """A tree walk: `completed`, or `failed at <node text>` / `aborted at <node text>`: where it stopped."""
    visited = [run.steps[i] for i in dict.fromkeys(run.path)] if run.path else []
    if run.outcome == "completed":
        return "completed"
    failed = next((s for s in visited if s.status == "failed"), None)
    if run.outcome == "failed" and failed is not None:
        return f"failed at {_one_line(failed.title)}"
    here = run.steps[run.path[-1]] if run.path else (run.steps[run.current] if run.steps else None)
    where = f" at {_one_line(here.title)}" if here is not None else ""
    return f"{run.outcome or 'interrupted'}{where}"


def path_taken(run: RunState) -> str:
    """The nodes a tree walk went through, in order: `部署问题 → 检查服务状态 → …`."""
    return " → ".join(_one_line(run.steps[i].title) for i in run.path)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def record_markdown(run: RunState, secrets: list[str]) -> str:
    """The run as Markdown for git: front matter and steps, redacted of every secret."""
    where = [f"host: {run.target}", f"via: ssh from {run.host}"] if run.target else [f"host: {run.host}"]
    lines = ["---", f"runbook: {run.runbook}", f"title: {run.title}", f"source: {run.source}",
             f"operator: {run.operator}", *where, f"start: {run.started}", f"end: {run.ended or ''}",
             f"outcome: {run.outcome or 'interrupted'}", f"run: {run.id}", "---", "",
             f"# Run of {run.title}: {summary(run)}", ""]
    if run.target:
        lines += [f"Commands ran on `{run.target}` (through ssh from {run.host}).", ""]
    if run.variables:
        lines += ["Variables: " + ", ".join(f"`{k}={v}`" for k, v in run.variables.items()), ""]
    if run.secret_names:
        lines += ["Secret variables (values never recorded): " + ", ".join(run.secret_names), ""]
    if run.kind == "tree" and run.path:
        lines += [f"Path taken ({len(run.path)} steps): {path_taken(run)}", ""]
    visited = list(dict.fromkeys(run.path)) if run.kind == "tree" else [s.position for s in run.steps]
    for number, position in enumerate(visited, start=1):
        step = run.steps[position]
        mark = {"done": "x", "failed": "!", "skipped": "-", "pending": " "}[step.status]
        shown = number if run.kind == "tree" else step.position + 1  # trees count along the path taken
        level = "#" * (1 + min(max(step.depth, 1), 4))  # a sub-item is a sub-heading: nested, as written
        lines.append(f"{level} {shown}. [{mark}] {_one_line(step.title) if run.kind == 'tree' else step.title}")
        lines.append("")
        if step.source:
            lines.append(f"- from: {step.source} (included)")
        lines.append(f"- status: **{step.status}**")
        if step.command:
            lines += [f"- command: `{step.command.splitlines()[0]}`" if "\n" not in step.command else "- command:",
                      *([] if "\n" not in step.command else ["", "```bash", step.command, "```", ""])]
        if step.exit_code is not None or step.duration is not None:
            lines.append(f"- exit code: {step.exit_code if step.exit_code is not None else 'none (stopped)'}, "
                         f"duration: {step.duration or 0:.1f} s")
        if step.check:
            lines.append(f"- check: {step.check}")
        for note in step.notes:
            lines.append(f"- note: {note}")
        if step.output:
            lines += ["", "```text", step.output.rstrip(), "```"]
        lines.append("")
    return redact("\n".join(lines), secrets) + "\n"


def write_record(kb: KnowledgeBase, store: RunStore, run: RunState, secrets: list[str]) -> Path:
    kb.runs_dir.mkdir(parents=True, exist_ok=True)
    if not run.record:  # named by what was run, as people call it: its title
        run.record = f"runs/{run.started[:10]}-{slug(run.title or run.runbook)}-{run.id[-6:]}.md"
        store.save(run)  # named before it is written: a kill in between leaves a record the next start writes
    path = kb.root / run.record
    path.write_text(record_markdown(run, secrets), encoding="utf-8")
    return path


def commit_record(kb: KnowledgeBase, store: RunStore, run: RunState, author: tuple[str, str] | None,
                  push: bool = False) -> str:
    """Commit the record as the operator; on failure it stays on disk, `committed = 0`, and KBError says why.

    Without an operator identity the commit is made as ingest makes its own: `runbook <runbook@localhost>`
    (and `run.committed_as` says so)."""
    from kb.store.write_guard import require_writable

    require_writable(kb, "committing the run record")
    repo = kb.repo
    author = author or git_identity(kb)
    sha = kb.commit([run.record], commit_message(run), author=author)
    run.committed = True
    run.committed_as = f"{author[0]} <{author[1]}>" if author else f"{FALLBACK_AUTHOR[0]} <{FALLBACK_AUTHOR[1]}>"
    store.save(run)
    if push:
        try:
            repo.git.push()
        except Exception as exc:  # git's own words are the best explanation
            raise KBError(f"committed {sha[:7] if sha else ''} but the push failed: {str(exc).splitlines()[-1]}") from None
    return sha or ""


def commit_message(run: RunState) -> str:
    """`run: <title> [<ref>] <summary>`, and trailers `history` reads (the title may hold any text)."""
    title = " ".join(run.title.split()) or run.runbook
    return (f"run: {title} [{run.runbook}] {summary(run)}\n\nRunbook: {run.runbook}\n"
            f"Outcome: {run.outcome or 'interrupted'}\nRecord: {run.record}\n")


def identity_note(run: RunState) -> str | None:
    """What to tell the operator when the record went in under the fallback identity."""
    if run.committed and run.committed_as == f"{FALLBACK_AUTHOR[0]} <{FALLBACK_AUTHOR[1]}>":
        return (f"committed as {run.committed_as}: there is no git identity (set git config user.name and "
                "user.email, or give your name as the operator)")
    return None


def retry_pending(kb: KnowledgeBase, author_for) -> list[str]:
    """Commit records a previous run could not commit; returns one line per outcome."""
    store = RunStore(kb)
    messages = []
    try:
        for run in store.uncommitted():
            try:
                if not (kb.root / run.record).exists():  # killed between naming it and writing it: the state
                    write_record(kb, store, run, [])  # holds everything, already redacted
                commit_record(kb, store, run, author_for(run.operator))
                messages.append(f"committed the record of run {run.id} ({run.record})")
            except KBError as exc:
                messages.append(f"run {run.id}: record kept in {run.record}, still not committed: {exc}")
    finally:
        store.close()
    return messages


def parse_operator(text: str | None) -> tuple[str, str] | None:
    """'Name <email>' -> (name, email)."""
    if not text:
        return None
    if "<" in text and text.rstrip().endswith(">"):
        name, _, email = text.partition("<")
        return name.strip() or email.rstrip(">"), email.rstrip(">").strip()
    return text.strip(), f"{slug(text)}@localhost"


def git_identity(kb: KnowledgeBase) -> tuple[str, str] | None:
    reader = kb.repo.config_reader()
    name = reader.get_value("user", "name", default="")
    email = reader.get_value("user", "email", default="")
    return (str(name), str(email)) if name and email else None


def history(kb: KnowledgeBase, name: str | None = None) -> list[dict]:
    """Past runs from git: each commit that added or changed a run record, newest first.

    NAME keeps the runs of that one runbook: whatever names it (`c5`, a file name, a title)
    is resolved to the runbook, and a run matches when it ran exactly that."""
    out = []
    if not kb.repo.head.is_valid():
        return out
    wanted = _wanted(kb, name) if name else None
    from kb.runs.run_refs import ref_resolver as _ref_resolver

    resolve = _ref_resolver(kb)
    for commit in kb.repo.iter_commits(paths="runs"):
        subject = commit.message.strip().splitlines()[0]
        if not subject.startswith("run: "):
            continue
        trailers = _trailers(commit.message)
        if "Runbook" in trailers:
            runbook = trailers["Runbook"]
            outcome = subject.rsplit("] ", 1)[-1] if f"[{runbook}] " in subject else trailers.get("Outcome", "")
            title = subject[5:].split(f" [{runbook}]", 1)[0]
            record = trailers.get("Record", "")
        else:  # records from before the trailers: "run: <name> <summary>"
            runbook = subject[5:].split(" ", 1)[0]
            outcome = subject[5 + len(runbook):].strip()
            title = runbook
            record = ""
        ref = resolve(runbook)
        if wanted is not None and ref not in wanted and title.lower() not in wanted:
            continue
        if not record:
            files = [path for path in commit.stats.files if str(path).startswith("runs/")]
            record = str(files[0]) if files else ""
        out.append({"commit": commit.hexsha[:7], "date": commit.committed_datetime.isoformat(timespec="minutes"),
                    "operator": commit.author.name, "runbook": ref, "title": title, "outcome": outcome,
                    "record": record})
    return out


def _wanted(kb: KnowledgeBase, name: str) -> set[str]:
    """The names a run of NAME is recorded under: its ref, or (a runbook gone since) NAME itself."""
    from kb.runs import runbooks

    try:
        return {runbooks.load(kb, name).name}
    except KBError:
        return {name, name.lower()}


def _trailers(message: str) -> dict[str, str]:
    out = {}
    for line in message.strip().splitlines()[1:]:
        key, sep, value = line.partition(": ")
        if sep and key in ("Runbook", "Outcome", "Record"):
            out[key] = value.strip()
    return out
