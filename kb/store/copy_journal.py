"""Copies an ingest writes into reports/ before their records are stored: undone if the store never happens.

Ingest writes each report's redacted copy first, then stores every record in one SQLite transaction,
then commits. A full disk (or a kill) between the copies and that transaction would leave copies
that no record knows: untracked files the next ingest of another folder never looks at, or a
changed copy that no longer matches its stored record. So before the first copy, the journal
(`.runbook/copies.json`) says which copies are about to be written, which of them are new, and the
store's write generation. Once the transaction is in, it is removed. An ingest that finds it (the
last one died) or fails before its store (a full disk) rolls those copies back: new ones are
deleted (and unstaged), replaced ones (by the ingest that failed) are checked out again as git has them. A store generation
that moved on means the records did go in: the copies stay, and the next ingest commits them.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.store.knowledge_base import KnowledgeBase

JOURNAL = "copies.json"
_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


class CopyJournal:
    def __init__(self, kb: "KnowledgeBase", generation: list, new: list[str], replaced: list[str]) -> None:
        self.kb = kb
        self.generation = generation
        self.new = new
        self.replaced = replaced

    @property
    def path(self) -> Path:
        return self.kb.derived_dir / JOURNAL

    @classmethod
    def begin(cls, kb: "KnowledgeBase", dests: list[str]) -> "CopyJournal":
        """Write the journal for copies about to be written (KB-relative paths under reports/)."""
        new = [dest for dest in dests if not os.path.lexists(kb.root / dest)]
        fresh = set(new)  # once: made per path, it cost 100 s of a 50,000-report first ingest
        journal = cls(kb, [kb.store.identity(), kb.store.generation()], new, [d for d in dests if d not in fresh])
        write_atomic(journal.path, json.dumps({"generation": journal.generation, "new": journal.new,
                                               "replaced": journal.replaced}))
        return journal

    def settle(self) -> None:
        """The records are stored: the copies are the KB's now (and no temporary file of theirs is left: a kill
        in the middle of writing one leaves it behind)."""
        for dest in self.new + self.replaced:
            target = self.kb.root / dest
            temporary(target).unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)

    @classmethod
    def load(cls, kb: "KnowledgeBase") -> "CopyJournal | None":
        try:
            data = json.loads((kb.derived_dir / JOURNAL).read_text(encoding="utf-8"))
            return cls(kb, list(data["generation"]), list(data["new"]), list(data["replaced"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            (kb.derived_dir / JOURNAL).unlink(missing_ok=True)  # unreadable: nothing to go by
            return None

    def stored(self) -> bool:
        """Did the store's transaction go in after the journal was written?"""
        return [self.kb.store.identity(), self.kb.store.generation()] != self.generation

    def roll_back(self, written: set[str] | None = None) -> list[str]:
        """Undo the copies (their records were never stored); returns the paths put back or removed.

        `written`: the copies this process wrote, when it is the one rolling back (a full disk). Replaced
        copies are checked out again only then: after a crash nobody knows which of them it rewrote, and
        one it did not may hold someone's edit (it stays modified; its next ingest writes it again)."""
        from kb.store.knowledge_base import KBError

        undone = []
        for dest in self.new:
            path = self.kb.root / dest
            if path.is_file() and not path.is_symlink():
                path.unlink()
                undone.append(dest)
        candidates = [dest for dest in self.replaced if written is not None and dest in written]
        tracked = _tracked(self.kb) if candidates else set()
        restore = [dest for dest in candidates if dest in tracked]
        try:
            if undone or restore:
                _git_restore(self.kb, undone, restore)
            undone += restore
        except KBError:
            pass  # best effort: the next ingest of those sources writes them again
        self.settle()
        return undone


def recover(kb: "KnowledgeBase") -> list[str]:
    """At the start of an ingest: roll back what an ingest that died before its store left (see above)."""
    journal = CopyJournal.load(kb)
    if journal is None:
        return []
    if journal.stored():
        journal.settle()
        return []
    return journal.roll_back()


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC or a quota, as the OS, SQLite or git says it."""
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        return True
    if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
        return True
    return "No space left on device" in str(exc) or "Disk quota exceeded" in str(exc)


def temporary(target: Path) -> Path:
    """The temporary file write_atomic writes target through."""
    return target.with_name(f".{target.name}.tmp")


def write_atomic(target: Path, text: str) -> None:
    """Write through a temporary file and an atomic rename; on any failure (a full disk) the temporary
    file is removed and the target is as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(target)
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise


def _tracked(kb: "KnowledgeBase") -> set[str]:
    """The report paths HEAD holds."""
    import git

    try:
        return set(kb.repo.git.ls_tree("-r", "--name-only", "-z", "HEAD", "--", "reports").split("\0"))
    except git.GitCommandError:
        return set()


def _git_restore(kb: "KnowledgeBase", removed: list[str], restore: list[str]) -> None:
    """Unstage removed copies and check replaced ones out of HEAD, in as few git commands as paths allow."""
    import git

    from kb.store.knowledge_base import KBError
    from kb.store.lock import git_operation

    try:
        with git_operation(kb):
            for chunk in _chunks(removed + restore, 200):
                kb.repo.git.reset("-q", "HEAD", "--", *chunk)
            for chunk in _chunks(restore, 200):
                kb.repo.git.checkout("HEAD", "--", *chunk)
    except git.GitCommandError as exc:
        raise KBError(f"git in {kb.root} failed: {exc}") from None


def _chunks(items: list[str], size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
