"""The derived SQLite database: records of every parsed report.

Markdown sources in the KB are the truth; this is a cache of what the parser
extracted, rebuilt at will. Every write replaces whole reports inside one
`db.atomic()` transaction, so a crash mid-ingest leaves the old records, never
half of the new ones.

Reads go through the standard library's `sqlite3` connection; sqlite-utils (its table
API, `db.atomic()`) is imported only when something writes, so `runbook search` never
pays for it (tests/test_cli.py checks what search imports).
"""

from __future__ import annotations

import json
import operator
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kb.parse.normalize import fingerprint
from kb.store import groups
from kb.store.refs import KINDS as REF_KINDS, RefMap

if TYPE_CHECKING:  # the parser's model is only a type here: `runbook search` opens the store without it
    import sqlite_utils

    from kb.parse.model import ParsedReport

SCHEMA_VERSION = 2  # 2: passages; an older database is rebuilt from the reports (KnowledgeBase.store)

_TABLES: dict[str, dict] = {
    "reports": {"id": int, "path": str, "title": str, "lang": str, "sha256": str, "ingested_at": str, "meta": str,
                "outline": str, "origin": str, "size": int, "project": str, "platform": str, "date": str},
    "errors": {"id": int, "report_id": int, "position": int, "title": str, "message": str, "log": str, "symptom": str,
               "impact": str, "root_cause": str, "diagnosis": str, "fix": str, "before": str, "after": str,
               "section": str, "line": int, "sources": str, "fingerprint": str, "passages": str},
    "passages": {"id": int, "report_id": int, "position": int, "heading": str, "line": int, "text": str, "role": str,
                 "whole": int},
    "commits": {"id": int, "report_id": int, "sha": str, "message": str},
    "error_commits": {"error_id": int, "commit_id": int},
    "checklists": {"id": int, "report_id": int, "position": int, "title": str, "kind": str, "phase": str,
                   "section": str, "line": int},
    "items": {"id": int, "checklist_id": int, "position": int, "text": str, "checked": int, "depth": int, "line": int,
              "detail": str},
    "commands": {"id": int, "report_id": int, "checklist_id": int, "item_id": int, "position": int, "command": str,
                 "comment": str, "expected": str, "lang": str, "section": str, "line": int},
    "flowcharts": {"id": int, "report_id": int, "position": int, "section": str, "line": int, "direction": str,
                   "nodes": str, "edges": str, "kind": str},
    "lessons": {"id": int, "report_id": int, "position": int, "title": str, "text": str, "line": int},
    "timeline": {"id": int, "report_id": int, "position": int, "row": str},
    "kb_state": {"key": str, "value": str},
}
_CHILD_TABLES = ("errors", "passages", "commits", "checklists", "commands", "flowcharts", "lessons", "timeline")
_META_KEYS = {
    "project": ("项目", "项目名称", "project", "service", "服务", "系统", "app", "application"),
    "platform": ("部署平台", "平台", "platform", "环境", "environment", "infra", "infrastructure", "stack"),
    "date": ("日期", "部署时间", "时间", "date", "incident date", "报告生成日期", "文档创建时间", "when"),
}


@dataclass
class SourceInfo:
    """Where a report came from and what its bytes were."""

    path: str  # KB-relative, e.g. reports/nginx-502.zh.md
    sha256: str
    origin: str = ""
    size: int = 0
    ingested_at: str = ""


class Store:
    def __init__(self, path: Path | str, refs: RefMap | None = None, read_only: bool = False) -> None:
        self.path = Path(path)
        self.refs = refs  # stable ids (kb/refs.py); without it, ids are simply the next free ones
        self.read_only = read_only
        # One connection shared by the UI thread and its workers: SQLite serialises access, and
        # the lock keeps a cursor's statement and fetch together.
        self._lock = threading.RLock()
        self._db: "sqlite_utils.Database | None" = None
        if read_only:
            self.conn = connect_read_only(self.path)
        else:
            # A reader waits for another process's write transaction (an ingest) rather than failing.
            self.conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=120)
            self._use_wal()
            self.conn.execute("PRAGMA synchronous=NORMAL")
        self._checkpoints = None  # made at the first write (kb/store/checkpoint.py; searching never writes)
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        self.outdated = 0 < version < SCHEMA_VERSION  # written by an older runbook: rebuilt from the reports
        if read_only:
            if not self.outdated and (version != SCHEMA_VERSION or not self._schema_complete(derived=False)):
                raise sqlite3.DatabaseError("its tables are incomplete")
        else:
            self._complete_schema(version)

    def _complete_schema(self, version: int) -> None:
        """Create what is missing; writes only then (a reader must not queue behind an ingest).

        Two processes opening a new KB at once both find tables missing; the one that loses the race
        sees "already exists" or "duplicate column", waits a moment and finds the schema complete."""
        for attempt in range(100):
            try:
                if version != SCHEMA_VERSION or not self._schema_complete():
                    self._ensure_schema()
                return
            except sqlite3.OperationalError as exc:
                if attempt == 99 or not any(word in str(exc) for word in ("already exists", "duplicate column",
                                                                            "locked")):
                    raise
                time.sleep(0.05)
                version = self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _use_wal(self) -> None:
        """WAL lets readers go on during an ingest. Switching needs an exclusive lock and SQLite does
        not wait for it (busy_timeout does not apply), so two processes opening a new KB at once
        retry briefly; a KB already in WAL (every KB after its first open) is only read."""
        for attempt in range(100):
            try:
                if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self.conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 99:
                    raise
                time.sleep(0.05)

    @property
    def db(self) -> "sqlite_utils.Database":
        """The same connection with sqlite-utils' table API, for writes (imported on first use)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.wait()
        self.conn.close()

    def _schema_complete(self, derived: bool = True) -> bool:
        """Every table and column this version writes is there (reads only); derived: and the error groups
        that only ingest and reindex read (a reader opening an older read-only KB does without them)."""
        for name, columns in _TABLES.items():
            have = {row[1] for row in self.conn.execute(f"PRAGMA table_info([{name}])")}
            if not have or not set(columns) <= have:
                return False
        if derived:
            present = {row[0] for row in self.conn.execute("select name from sqlite_master")}
            return set(groups.TABLES) <= present and set(groups.INDEXES) <= present
        return True

    def _ensure_schema(self) -> None:
        for name, columns in _TABLES.items():
            if not self.db[name].exists():
                pk = {"error_commits": None, "kb_state": "key"}.get(name, "id")
                self.db[name].create(columns, pk=pk)
            else:  # a database from an older version: add the columns it lacks (reindex fills them)
                have = self.db[name].columns_dict
                for column, kind in columns.items():
                    if column not in have:
                        self.db[name].add_column(column, kind)
        for table, column in (("reports", "path"), ("errors", "report_id"), ("commits", "report_id"),
                              ("checklists", "report_id"), ("items", "checklist_id"), ("commands", "report_id"),
                              ("flowcharts", "report_id"), ("lessons", "report_id"), ("passages", "report_id"),
                              ("timeline", "report_id"),
                              ("error_commits", "error_id"), ("commits", "sha"), ("errors", "fingerprint")):
            self.db[table].create_index([column], if_not_exists=True, unique=(table, column) == ("reports", "path"))
        with self.conn:
            if groups.ensure(self.conn):  # a database from before them: made from its errors, once
                groups.remake(self.conn, None)
        self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    # -- reads ---------------------------------------------------------------------------------------
    def empty(self) -> bool:
        """Whether it holds no report at all."""
        return self.conn.execute("select 1 from reports limit 1").fetchone() is None

    def known_hashes(self) -> dict[str, str]:
        """path -> sha256 of every stored report: the unchanged check needs only this."""
        return {row[0]: row[1] for row in self.conn.execute("select path, sha256 from reports").fetchall()}

    def known_hash(self, path: str) -> str | None:
        """The sha256 of one stored report (None: not stored): for an ingest of a few files into a big KB."""
        row = self.conn.execute("select sha256 from reports where path = ?", [path]).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        return {name: self.conn.execute(f"select count(*) from [{name}]").fetchone()[0] for name in ("reports", "errors", "commits", "checklists", "items", "commands",
                                                       "flowcharts", "lessons", "passages")}

    def rows(self, sql: str, params: Iterable = ()) -> list[dict]:
        with self._lock:
            cursor = self.conn.execute(sql, list(params))
            names = [column[0] for column in cursor.description or ()]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def stream(self, sql: str, params: Iterable = (), size: int = 2000) -> Iterator[dict]:
        """Rows of sql as dicts, read `size` at a time: a rebuild reads 400,000 passages without holding them."""
        with self._lock:
            cursor = self.conn.execute(sql, list(params))
            names = [column[0] for column in cursor.description or ()]
        while True:
            with self._lock:
                chunk = cursor.fetchmany(size)
            if not chunk:
                return
            for row in chunk:
                yield dict(zip(names, row))

    def has_table(self, name: str) -> bool:
        return self.conn.execute("select 1 from sqlite_master where type = 'table' and name = ?",
                                 [name]).fetchone() is not None

    # -- writes --------------------------------------------------------------------------------------
    def replace_reports(self, parsed: list[tuple[SourceInfo, ParsedReport]]) -> list[int]:
        """Insert or replace whole reports in one transaction; returns their report ids."""
        if not parsed:
            return []
        with self.replacing() as add:
            return add(parsed)

    @contextmanager
    def replacing(self, clear: bool = False) -> Iterator[Callable[[list[tuple[SourceInfo, ParsedReport]]], list[int]]]:
        """Replace whole reports a batch at a time, all in one transaction (with clear: every record goes
        first): `add(batch)` returns the batch's report ids. An ingest of 50,000 reports holds one batch of
        parsed reports in memory, not all of them, and still stores all of them or none."""
        if clear:
            self._load_refs()  # before the rows it may be seeded from are gone
        if self.read_only:  # its write fails as any would
            with self._replacing(clear) as add:
                yield add
            return
        if self._checkpoints is None:
            from kb.store.checkpoint import Checkpointer

            self._checkpoints = Checkpointer(self.conn, self.path)
        self._checkpoints.hold()  # the log is copied back beside the index, not in this commit (kb/store/checkpoint.py)
        try:
            with self._replacing(clear) as add:
                yield add
        finally:
            self._checkpoints.behind()

    def wait_for_checkpoint(self) -> None:
        """Until the checkpoint after the last write is done (an ingest ends with its work finished)."""
        if self._checkpoints is not None:
            self._checkpoints.wait()

    @contextmanager
    def _replacing(self, clear: bool) -> Iterator[Callable[[list[tuple[SourceInfo, ParsedReport]]], list[int]]]:
        with self.db.atomic():
            if clear:
                self._delete_everything()
            next_id: dict[str, int] = {}
            changed_groups: set[str] = set()  # groups that lost write-ups: made again from their members at the end

            def add(parsed: list[tuple[SourceInfo, ParsedReport]]) -> list[int]:
                if not parsed:
                    return []
                if not next_id:  # the first batch: a transaction that stores nothing reads no ids, bumps nothing
                    self._load_refs()
                    self._bump_generation()
                changed_groups.update(self._delete_paths([info.path for info, _ in parsed]))
                if not next_id:
                    next_id.update({name: self._max_id(name) + 1 for name in _TABLES
                                    if name not in ("error_commits", "kb_state")})
                batches: dict[str, list[dict]] = {name: [] for name in _TABLES}
                report_ids = [self._rows_for(info, report, next_id, batches) for info, report in parsed]
                for name, rows in batches.items():
                    if rows:
                        self._insert(name, rows)
                groups.fold_in(self.conn, batches["errors"], skip=changed_groups)
                return report_ids

            yield add
            groups.remake(self.conn, changed_groups)
            if self.refs is not None:  # inside the transaction: ids that cannot be kept (a full disk) store nothing
                self.refs.save()

    def _insert(self, table: str, rows: list[dict]) -> None:
        """Insert rows that all have the same keys (each a column; values already str, int or None), in
        one executemany: what sqlite-utils' insert_all did, without its per-value type checks and
        per-batch SQL building (two thirds of the store's time at 10,000 reports)."""
        columns = list(rows[0])
        names = ", ".join(f"[{column}]" for column in columns)
        values = operator.itemgetter(*columns)
        width = len(columns)
        if any(len(row) != width for row in rows):  # a row with a key of its own would lose it silently
            raise ValueError(f"{table}: rows with different columns")
        self.conn.executemany(f"insert into [{table}] ({names}) values ({', '.join('?' * width)})",
                              [values(row) for row in rows] if width > 1 else [(values(row),) for row in rows])

    def _load_refs(self) -> None:
        """Read the stable ids before the first write; a KB without refs.tsv keeps the ids it shows today."""
        if self.refs is None or self.refs.loaded:
            return
        seed = {}
        if not self.refs.path.exists():
            seed = {("r", row[1], 0): row[0] for row in self.db.execute("select id, path from reports")}
            for kind, table in REF_KINDS.items():
                if kind != "r":
                    seed.update({(kind, row[1], row[2]): row[0] for row in self.db.execute(
                        f"select t.id, r.path, t.position from [{table}] t join reports r on r.id = t.report_id")})
        self.refs.load(seed, cache=None if self.read_only else self.conn)

    def clear(self) -> None:
        self._load_refs()  # before the rows it may be seeded from are gone
        with self.db.atomic():
            self._delete_everything()

    def _delete_everything(self) -> None:
        self._bump_generation()
        for name in (*_TABLES, *groups.TABLES):
            if name != "kb_state":
                self.db.execute(f"delete from [{name}]")

    def generation(self) -> int:
        """A counter bumped by every write, so derived data (the index) can tell it is stale."""
        row = self.conn.execute("select value from kb_state where key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def identity(self) -> str:
        """A random name this database file keeps for life (made on first use, by a writer): a
        database deleted and made again has another, so a generation number is never mistaken
        for the same one of an earlier file."""
        row = self.conn.execute("select value from kb_state where key = 'identity'").fetchone()
        if row:
            return row[0]
        import uuid

        with self.conn:
            self.conn.execute("insert or ignore into kb_state (key, value) values ('identity', ?)", [uuid.uuid4().hex])
        return self.conn.execute("select value from kb_state where key = 'identity'").fetchone()[0]

    def _bump_generation(self) -> None:
        self.db.execute("insert into kb_state (key, value) values ('generation', '1') "
                        "on conflict(key) do update set value = cast(value as integer) + 1")

    def _max_id(self, table: str) -> int:
        return self.db.execute(f"select coalesce(max(id), 0) from [{table}]").fetchone()[0]

    def _delete_paths(self, paths: list[str]) -> set[str]:
        """Delete these reports' records; returns the error groups that lost write-ups."""
        changed: set[str] = set()
        for chunk in _chunks(paths, 500):
            marks = ",".join("?" * len(chunk))
            ids = [row[0] for row in self.db.execute(f"select id from reports where path in ({marks})", chunk)]
            if not ids:
                continue
            changed |= groups.keys_of_reports(self.conn, ids)
            id_marks = ",".join("?" * len(ids))
            self.db.execute(f"delete from error_commits where error_id in (select id from errors where report_id in ({id_marks}))", ids)
            self.db.execute(f"delete from items where checklist_id in (select id from checklists where report_id in ({id_marks}))", ids)
            for table in _CHILD_TABLES:
                self.db.execute(f"delete from [{table}] where report_id in ({id_marks})", ids)
            self.db.execute(f"delete from reports where id in ({id_marks})", ids)
        return changed

    def _rows_for(self, info: SourceInfo, report: ParsedReport, next_id: dict[str, int],
                  batches: dict[str, list[dict]]) -> int:
        def take(table: str) -> int:
            value = next_id[table]
            next_id[table] += 1
            return value

        def stable(kind: str, position: int) -> int:  # ids users see: the same after any reindex (kb/refs.py)
            table = REF_KINDS[kind]
            if self.refs is None:
                return take(table)
            value = self.refs.number(kind, info.path, position, floor=next_id[table] - 1)
            next_id[table] = max(next_id[table], value + 1)
            return value

        report_id = stable("r", 0)
        batches["reports"].append({
            "id": report_id, "path": info.path, "title": report.title, "lang": report.lang, "sha256": info.sha256,
            "ingested_at": info.ingested_at, "meta": json.dumps(report.meta, ensure_ascii=False),
            "outline": json.dumps(report.outline, ensure_ascii=False), "origin": info.origin, "size": info.size,
            **{key: _meta_value(report.meta, names) for key, names in _META_KEYS.items()},
        })
        commit_ids: dict[tuple[str | None, str], int] = {}
        by_sha: dict[str, int] = {}
        for ref in report.commits:
            commit_id = take("commits")
            commit_ids[(ref.sha, ref.message)] = commit_id
            if ref.sha:
                by_sha[ref.sha] = commit_id
            batches["commits"].append({"id": commit_id, "report_id": report_id, "sha": ref.sha, "message": ref.message})
        passage_ids = []
        for position, passage in enumerate(report.passages):
            passage_ids.append(take("passages"))
            batches["passages"].append({"id": passage_ids[-1], "report_id": report_id, "position": position,
                                        "heading": passage.heading, "line": passage.line, "text": passage.text,
                                        "role": passage.role, "whole": int(passage.whole)})
        for position, error in enumerate(report.errors):
            error_id = stable("e", position)
            batches["errors"].append({
                "id": error_id, "report_id": report_id, "position": position, "title": error.title,
                "message": error.message, "log": error.log, "symptom": error.symptom, "impact": error.impact,
                "root_cause": error.root_cause, "diagnosis": error.diagnosis, "fix": error.fix,
                "before": error.before, "after": error.after, "section": error.section, "line": error.line,
                "sources": json.dumps(error.sources, ensure_ascii=False), "fingerprint": fingerprint(error.message),
                "passages": json.dumps([passage_ids[i] for i in error.passages if i < len(passage_ids)]),
            })
            linked: set[int] = set()
            for ref in error.commits:
                commit_id = by_sha.get(ref.sha) if ref.sha else commit_ids.get((None, ref.message))
                if commit_id is None:
                    commit_id = commit_ids.get((ref.sha, ref.message))
                if commit_id is not None and commit_id not in linked:
                    linked.add(commit_id)
                    batches["error_commits"].append({"error_id": error_id, "commit_id": commit_id})
        checklist_ids: list[int] = []
        item_ids: list[list[int]] = []
        for position, checklist in enumerate(report.checklists):
            checklist_id = stable("c", position)
            checklist_ids.append(checklist_id)
            batches["checklists"].append({"id": checklist_id, "report_id": report_id, "position": position,
                                          "title": checklist.title, "kind": checklist.kind, "phase": checklist.phase,
                                          "section": checklist.section, "line": checklist.line})
            ids = []
            for item_position, item in enumerate(checklist.items):
                item_id = take("items")
                ids.append(item_id)
                batches["items"].append({"id": item_id, "checklist_id": checklist_id, "position": item_position,
                                         "text": item.text, "checked": None if item.checked is None else int(item.checked),
                                         "depth": item.depth, "line": item.line, "detail": item.detail})
            item_ids.append(ids)
        for position, command in enumerate(report.commands):
            checklist_id = checklist_ids[command.checklist] if command.checklist is not None else None
            item_id = item_ids[command.checklist][command.item] if command.checklist is not None and command.item is not None else None
            batches["commands"].append({"id": take("commands"), "report_id": report_id, "checklist_id": checklist_id,
                                        "item_id": item_id, "position": position, "command": command.command,
                                        "comment": command.comment, "expected": command.expected, "lang": command.lang,
                                        "section": command.section, "line": command.line})
        for position, chart in enumerate(report.flowcharts):
            batches["flowcharts"].append({"id": stable("f", position), "report_id": report_id, "position": position,
                                          "section": chart.section, "line": chart.line, "direction": chart.direction,
                                          "nodes": json.dumps(chart.nodes, ensure_ascii=False),
                                          "edges": json.dumps(chart.edges, ensure_ascii=False), "kind": chart.kind})
        for position, lesson in enumerate(report.lessons):
            batches["lessons"].append({"id": take("lessons"), "report_id": report_id, "position": position,
                                       "title": lesson.title, "text": lesson.text, "line": lesson.line})
        for position, row in enumerate(report.timeline):
            batches["timeline"].append({"id": take("timeline"), "report_id": report_id, "position": position,
                                        "row": json.dumps(row, ensure_ascii=False)})
        return report_id


def connect_read_only(path: Path) -> sqlite3.Connection:
    """Open a database that cannot be written (a read-only mount, another user's directory) without a write:
    `mode=ro` reads the WAL as it is; where even its shared-memory file cannot be made, `immutable=1` reads
    the file alone (what the last writer checkpointed)."""
    from urllib.parse import quote

    uri = f"file:{quote(str(path.resolve()))}"
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, check_same_thread=False, timeout=120)
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
    conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
    conn.execute("select count(*) from sqlite_master").fetchone()
    return conn


def _meta_value(meta: dict[str, str], names: tuple[str, ...]) -> str:
    lowered = {key.lower(): value for key, value in meta.items()}
    for name in names:
        if name in lowered:
            return lowered[name]
    return ""


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
