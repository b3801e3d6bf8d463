"""What the last ingest saw of each source file, so an unchanged folder is not read again.

Kept in `.runbook/sources.sqlite` (derived, git-ignored, safe to delete): the store's identity and
write generation it was saved at (while it is the same, its hashes are the stored ones and SQLite's
reports table need not be read); per KB path, the source it came from, that file's size, mtime, ctime
and inode when it was read, and the SHA-256 of its content. A file whose stat is the same and whose
hash is still the stored report's hash is unchanged without opening it. As git does for its index, a
file modified within STAT_SLACK_NS of being read is not trusted by its stat (a second write in the
same clock tick would keep the stat), and is read and hashed instead; ctime catches a content change
whose mtime was set back (`touch -d`, `cp -p`).

Why a database: at 50,000 reports the state is 50,000 entries. Kept as one JSON file, every ingest
read all of them (0.1 s, more than a fifth of adding 100 reports besides the parse and the index) and
rewrote or appended to it. Now an ingest of a few hundred files looks up their entries one by one,
a large one reads them all in one query, and a save writes only the entries that changed, in one
transaction: a crash leaves the state as it was before the save (which vouches only for what it
recorded then: the store's generation has moved on, so the hashes are checked against the store).

`clean` says the last ingest committed everything it copied: only when it is not (an interrupted
ingest, a failed commit, `--no-commit`, no state) does the next ingest walk `git status` looking for
copies to commit. An ingest about to write copies says so with an empty `sources.dirty` beside the
state; the state saved clean at the end removes it. A state in the earlier form (`sources.json`, and
the changes appended to `sources.log`) is read once and moved into the database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.store.knowledge_base import KnowledgeBase

STATE_FILE = "sources.sqlite"
DIRTY_FILE = "sources.dirty"  # present: copies may have been written since the state was saved clean
OLD_STATE_FILE, OLD_LOG_FILE = "sources.json", "sources.log"  # the earlier form, moved in on first load
OLD_VERSION = 1
STAT_SLACK_NS = 2_000_000_000  # coarser than any filesystem's mtime granularity in use (FAT: 2 s)
LOOKUPS_BEFORE_READING_ALL = 1000  # entries looked up one by one before all are read in one query

Signature = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
Entry = list  # [origin, size, mtime_ns, ctime_ns, inode, read_ns, sha256]

_SCHEMA = """
create table if not exists files (dest text primary key, origin text, size integer, mtime_ns integer,
                                  ctime_ns integer, inode integer, read_ns integer, sha256 text) without rowid;
create table if not exists meta (key text primary key, value text) without rowid;
"""


def signature(stat: os.stat_result) -> Signature:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


class SourceState:
    def __init__(self, path: Path, conn: sqlite3.Connection | None, clean: bool, generation: list | None = None) -> None:
        self.path = path
        self.conn = conn  # None: no usable database (the state is kept in memory and saved afresh)
        self.clean = clean
        self.generation = generation  # [the store's identity, its write generation] when saved (kb/store/database.py)
        self.changed = False  # anything to save
        self._entries: dict[str, Entry | None] = {}  # looked up so far (None: not in the state)
        self._all = conn is None  # _entries holds every entry
        self._lookups = 0
        self._recorded: dict[str, Entry] = {}  # entries changed since the last save
        self._dropped: set[str] = set()

    @classmethod
    def load(cls, kb: "KnowledgeBase") -> "SourceState":
        path = kb.derived_dir / STATE_FILE
        if not path.exists() and (kb.derived_dir / OLD_STATE_FILE).exists():
            _move_in_old_state(kb.derived_dir, path)
        conn, meta = None, {}  # no state yet: made by the first save (nothing is written before then)
        if path.exists():
            try:
                conn = _open(path)
                meta = dict(conn.execute("select key, value from meta"))
            except (sqlite3.Error, OSError):  # damaged: derived data, so start afresh (and check git once)
                if conn is not None:
                    conn.close()
                conn, meta = None, {}
                _remove(path)
        generation = _json_or_none(meta.get("generation"))
        clean = meta.get("clean") == "1" and not path.with_name(DIRTY_FILE).exists()
        return cls(path, conn, clean, generation if isinstance(generation, list) else None)

    def entry(self, dest: str) -> Entry | None:
        """What was recorded of this KB path: looked up alone while few are asked, then all read at once."""
        if dest in self._entries or self._all:
            return self._entries.get(dest)
        self._lookups += 1
        if self._lookups > LOOKUPS_BEFORE_READING_ALL:
            self.read_all()
            return self._entries.get(dest)
        row = self.conn.execute("select origin, size, mtime_ns, ctime_ns, inode, read_ns, sha256 from files "
                                "where dest = ?", [dest]).fetchone()
        self._entries[dest] = list(row) if row else None
        return self._entries[dest]

    def read_all(self) -> None:
        if self._all:
            return
        self._entries = {row[0]: list(row[1:]) for row in self.conn.execute("select * from files")}
        self._entries.update(self._recorded)  # what this ingest changed and has not saved yet
        for dest in self._dropped:
            self._entries.pop(dest, None)
        self._all = True

    def __len__(self) -> int:
        self.read_all()
        return len(self._entries)

    def unchanged_sha(self, dest: str, origin: str, stat: os.stat_result) -> str | None:
        """The content hash recorded for this source, if its stat says it was not touched since."""
        entry = self.entry(dest)
        if not entry or entry[0] != origin or tuple(entry[1:5]) != signature(stat):
            return None
        if max(stat.st_mtime_ns, stat.st_ctime_ns) > entry[5] - STAT_SLACK_NS:
            return None  # written too close to when it was read: the stat cannot vouch for it
        return entry[6]

    def record(self, dest: str, origin: str, stat: os.stat_result, read_ns: int, sha: str) -> None:
        entry = [origin, *signature(stat), read_ns, sha]
        if self.entry(dest) != entry:
            self._entries[dest] = self._recorded[dest] = entry
            self._dropped.discard(dest)
            self.changed = True

    def keep_only(self, dests: set[str]) -> None:
        self.read_all()
        dropped = [dest for dest in self._entries if dest not in dests]
        if dropped:
            for dest in dropped:
                del self._entries[dest]
                self._recorded.pop(dest, None)
            self._dropped.update(dropped)
            self.changed = True

    def save(self) -> None:
        """The changed entries and the state's `clean` and `generation`, in one transaction."""
        if self.conn is None:
            self.conn = _open(self.path)  # (raises OSError or sqlite3.Error: the caller goes without)
            self._recorded = {dest: entry for dest, entry in self._entries.items() if entry is not None}
        with self.conn:
            self.conn.executemany("insert or replace into files values (?, ?, ?, ?, ?, ?, ?, ?)",
                                  [(dest, *entry) for dest, entry in self._recorded.items()])
            self.conn.executemany("delete from files where dest = ?", [(dest,) for dest in self._dropped])
            self.conn.executemany("insert or replace into meta values (?, ?)",
                                  [("clean", "1" if self.clean else "0"), ("generation", json.dumps(self.generation))])
        self._recorded.clear()
        self._dropped.clear()
        self.changed = False
        if self.clean:  # after the clean state is in: a crash between the two leaves it dirty, never wrongly clean
            self.path.with_name(DIRTY_FILE).unlink(missing_ok=True)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def mark_dirty(self) -> None:
        """Before copies are written: until they are committed, the next ingest checks git."""
        if self.clean or not self.path.exists():
            self.clean = False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.with_name(DIRTY_FILE).touch()


def _open(path: Path) -> sqlite3.Connection:
    """A rollback journal, not WAL: no `-wal` and `-shm` files beside it (on a nearly full disk the shared
    memory file of this accelerator could take the room kb.sqlite's own needs), and a save is one small
    transaction at the end of an ingest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")  # (back from WAL, should a state have been made in it)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
    except BaseException:
        conn.close()
        raise
    return conn


def _remove(path: Path) -> None:
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        try:
            path.with_name(name).unlink(missing_ok=True)
        except OSError:
            pass


def _json_or_none(text: str | None):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _move_in_old_state(folder: Path, path: Path) -> None:
    """sources.json (and the changes appended to sources.log, up to the first line that is not whole)
    into the database, then both removed. Unreadable: left to be rebuilt as a lost state is."""
    try:
        data = json.loads((folder / OLD_STATE_FILE).read_text(encoding="utf-8"))
        if data.get("version") != OLD_VERSION or not isinstance(data.get("files"), dict):
            raise ValueError("not a state")
        files, clean, generation = data["files"], bool(data.get("clean")), data.get("generation")
        try:
            raw = (folder / OLD_LOG_FILE).read_bytes()
        except FileNotFoundError:
            raw = b""
        lines = raw.split(b"\n")
        if not raw.endswith(b"\n"):
            lines = lines[:-1]  # its last line may be cut short
        for line in filter(None, lines):
            change = json.loads(line)
            for dest in change["drop"]:
                files.pop(dest, None)
            files.update(change["files"])
            clean, generation = bool(change["clean"]), change["generation"]
        conn = _open(path)
        try:
            with conn:
                conn.executemany("insert or replace into files values (?, ?, ?, ?, ?, ?, ?, ?)",
                                 [(dest, *entry) for dest, entry in files.items() if len(entry) == 7])
                conn.executemany("insert or replace into meta values (?, ?)",
                                 [("clean", "1" if clean else "0"), ("generation", json.dumps(generation))])
        finally:
            conn.close()
    except (OSError, ValueError, KeyError, TypeError, AttributeError, sqlite3.Error):
        _remove(path)
        return
    for name in (OLD_STATE_FILE, OLD_LOG_FILE):
        (folder / name).unlink(missing_ok=True)


def now_ns() -> int:
    return time.time_ns()
