"""What the last ingest saw of each source file, so an unchanged folder is not read again.

Kept in `.runbook/sources.json` (derived, git-ignored, safe to delete): the store's identity
and write generation it was saved at (while it is the same, its hashes are the stored ones and SQLite's
reports table need not be read); per KB path, the
source it came from, that file's size, mtime, ctime and inode when it was read, and the
SHA-256 of its content. A file whose stat is the same and whose hash is still the stored
report's hash is unchanged without opening it. As git does for its index, a file modified
within STAT_SLACK_NS of being read is not trusted by its stat (a second write in the same
clock tick would keep the stat), and is read and hashed instead; ctime catches a content
change whose mtime was set back (`touch -d`, `cp -p`).

`clean` says the last ingest committed everything it copied: only when it is not (an
interrupted ingest, a failed commit, `--no-commit`, no state file) does the next ingest walk
`git status` looking for copies to commit. An ingest about to write copies says so with an empty
`sources.dirty` beside the state, not by rewriting the state (at 50,000 reports that is 7 MB of
JSON); the state saved clean at the end removes it.

Saving the state after adding 100 reports to 50,000 rewrote those 7 MB too (0.17 s of the ingest). A
small change is appended instead, as one JSON line in `sources.log` (the entries recorded or dropped,
and the state's `clean` and `generation`); loading replays the lines over `sources.json`. A save whose
change is large, or a log grown to a quarter of the state, writes `sources.json` whole and removes the
log. A line cut short by a crash, and anything after it, is not replayed, and the next save writes the
state whole: the state only vouches for what it recorded, so what it forgets is read and hashed again.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.store.knowledge_base import KnowledgeBase

STATE_FILE = "sources.json"
LOG_FILE = "sources.log"  # changes appended since sources.json was written whole
DIRTY_FILE = "sources.dirty"  # present: copies may have been written since the state was saved clean
VERSION = 1
STAT_SLACK_NS = 2_000_000_000  # coarser than any filesystem's mtime granularity in use (FAT: 2 s)

Signature = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def signature(stat: os.stat_result) -> Signature:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


class SourceState:
    def __init__(self, path: Path, files: dict[str, list], clean: bool, generation: list | None = None) -> None:
        self.path = path
        self.files = files  # KB path -> [origin, size, mtime_ns, ctime_ns, inode, read_ns, sha256]
        self.clean = clean
        self.generation = generation  # [the store's identity, its write generation] when saved (kb/store/database.py)
        self.changed = False  # anything to save
        self._recorded: set[str] = set()  # entries changed since the last save (appended to the log)
        self._dropped: set[str] = set()
        self._log_size = 0  # bytes of sources.log replayed; -1: damaged, or no sources.json to append to

    @classmethod
    def load(cls, kb: "KnowledgeBase") -> "SourceState":
        path = kb.derived_dir / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == VERSION and isinstance(data.get("files"), dict):
                generation = data.get("generation")
                state = cls(path, data["files"], bool(data.get("clean")),
                            generation if isinstance(generation, list) else None)
                state._replay_log()
                state.clean = state.clean and not path.with_name(DIRTY_FILE).exists()
                return state
        except (OSError, ValueError, AttributeError):
            pass  # missing or damaged: derived data, so start afresh (and check git once)
        state = cls(path, {}, clean=False)
        state._log_size = -1  # a log left beside no readable state means nothing: the next save is whole
        return state

    def _replay_log(self) -> None:
        """Apply the changes appended since the state was written whole, up to the first line that is not
        a whole one (a crash mid-append): from there on nothing is trusted, and the next save is whole."""
        try:
            raw = self.path.with_name(LOG_FILE).read_bytes()
        except FileNotFoundError:
            return
        self._log_size = len(raw)
        for line in raw.split(b"\n"):
            if not line:
                continue
            try:
                change = json.loads(line)
                files, dropped = change["files"], change["drop"]
                clean, generation = bool(change["clean"]), change["generation"]
                if not isinstance(files, dict) or not isinstance(dropped, list):
                    raise ValueError("not a change")
            except (ValueError, KeyError, TypeError):
                self._log_size = -1
                return
            for dest in dropped:
                self.files.pop(dest, None)
            self.files.update(files)
            self.clean, self.generation = clean, generation if isinstance(generation, list) else None
        if not raw.endswith(b"\n"):
            self._log_size = -1  # its last line may be cut short: replayed only if whole, rewritten next save

    def unchanged_sha(self, dest: str, origin: str, stat: os.stat_result) -> str | None:
        """The content hash recorded for this source, if its stat says it was not touched since."""
        entry = self.files.get(dest)
        if not entry or entry[0] != origin or tuple(entry[1:5]) != signature(stat):
            return None
        if max(stat.st_mtime_ns, stat.st_ctime_ns) > entry[5] - STAT_SLACK_NS:
            return None  # written too close to when it was read: the stat cannot vouch for it
        return entry[6]

    def record(self, dest: str, origin: str, stat: os.stat_result, read_ns: int, sha: str) -> None:
        entry = [origin, *signature(stat), read_ns, sha]
        if self.files.get(dest) != entry:
            self.files[dest] = entry
            self._recorded.add(dest)
            self._dropped.discard(dest)
            self.changed = True

    def keep_only(self, dests: set[str]) -> None:
        dropped = [dest for dest in self.files if dest not in dests]
        if dropped:
            for dest in dropped:
                del self.files[dest]
            self._dropped.update(dropped)
            self._recorded.difference_update(dropped)
            self.changed = True

    def save(self) -> None:
        """A small change is appended to the log; otherwise the state is written whole, atomically (a crash
        leaves the old state or the new one, never half) and the log removed."""
        change = len(self._recorded) + len(self._dropped)
        appended = False
        if 0 <= self._log_size and self.path.exists() and change <= max(1000, len(self.files) // 10):
            line = json.dumps({"files": {dest: self.files[dest] for dest in self._recorded}, "drop": sorted(self._dropped),
                               "clean": self.clean, "generation": self.generation}, separators=(",", ":")) + "\n"
            if self._log_size + len(line) <= max(1 << 20, self.path.stat().st_size // 4):
                self._append(line.encode("utf-8"))
                appended = True
        if not appended:
            from kb.store.copy_journal import write_atomic  # no temporary file left behind on a full disk

            write_atomic(self.path, json.dumps({"version": VERSION, "clean": self.clean, "generation": self.generation,
                                                "files": self.files}, separators=(",", ":")))
            self.path.with_name(LOG_FILE).unlink(missing_ok=True)
            self._log_size = 0
        self._recorded.clear()
        self._dropped.clear()
        self.changed = False
        if self.clean:  # after the clean state is on disk: a crash between the two leaves it dirty, never wrongly clean
            self.path.with_name(DIRTY_FILE).unlink(missing_ok=True)

    def _append(self, data: bytes) -> None:
        """One write to the end of the log. A failed write (a full disk) may leave part of the line: the log
        is then not trusted past its last whole line, and the next save writes the state whole."""
        self._log_size = -1  # until the whole line is known to be there
        fd = os.open(self.path.with_name(LOG_FILE), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, data)
        finally:
            os.close(fd)
        if written != len(data):
            raise OSError(f"{LOG_FILE}: a short write")
        self._log_size = os.path.getsize(self.path.with_name(LOG_FILE))

    def mark_dirty(self) -> None:
        """Before copies are written: until they are committed, the next ingest checks git."""
        if self.clean or not self.path.exists():
            self.clean = False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.with_name(DIRTY_FILE).touch()


def now_ns() -> int:
    return time.time_ns()
