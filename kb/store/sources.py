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

    @classmethod
    def load(cls, kb: "KnowledgeBase") -> "SourceState":
        path = kb.derived_dir / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == VERSION and isinstance(data.get("files"), dict):
                generation = data.get("generation")
                clean = bool(data.get("clean")) and not path.with_name(DIRTY_FILE).exists()
                return cls(path, data["files"], clean, generation if isinstance(generation, list) else None)
        except (OSError, ValueError, AttributeError):
            pass  # missing or damaged: derived data, so start afresh (and check git once)
        return cls(path, {}, clean=False)

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
            self.changed = True

    def keep_only(self, dests: set[str]) -> None:
        kept = {dest: entry for dest, entry in self.files.items() if dest in dests}
        if len(kept) != len(self.files):
            self.files = kept
            self.changed = True

    def save(self) -> None:
        """Atomic replace: a crash leaves the old state or the new one, never half."""
        from kb.store.copy_journal import write_atomic  # no temporary file left behind on a full disk

        write_atomic(self.path, json.dumps({"version": VERSION, "clean": self.clean, "generation": self.generation,
                                            "files": self.files}, separators=(",", ":")))
        self.changed = False
        if self.clean:  # after the clean state is on disk: a crash between the two leaves it dirty, never wrongly clean
            self.path.with_name(DIRTY_FILE).unlink(missing_ok=True)

    def mark_dirty(self) -> None:
        """Before copies are written: until they are committed, the next ingest checks git."""
        if self.clean or not self.path.exists():
            self.clean = False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.with_name(DIRTY_FILE).touch()


def now_ns() -> int:
    return time.time_ns()
