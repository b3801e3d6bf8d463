"""One writer at a time per KB: an advisory file lock around every write to git, SQLite or the index.

Two `runbook ingest` processes, an ingest and a search that must rebuild a stale
index, a run committing its record while a teammate's ingest commits reports:
each takes `.runbook/write.lock` (flock) first. The second waits, says once
"KB busy, retrying" (through `kb.on_busy`), and goes on when the first is done.
The operating system drops the lock when its holder dies, `kill -9` included.

The lock is reentrant within a process (ingest holds it and its git commit takes
it again, from another thread too). Git commands run under a marker file; if a
holder died in the middle of one, the next holder removes the `.git/*.lock`
files that git left behind, which would otherwise block every later commit.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.store.knowledge_base import KnowledgeBase

LOCK_NAME = "write.lock"
GIT_MARK = "git-op"
POLL_SECONDS = 0.1
DEFAULT_TIMEOUT = float(os.environ.get("RUNBOOK_LOCK_TIMEOUT", "600"))


class _Held:
    def __init__(self) -> None:
        self.depth = 0
        self.fd: int | None = None


_guard = threading.Lock()
_acquiring = threading.Lock()
_held: dict[str, _Held] = {}
_git_depth: dict[str, int] = {}


@contextmanager
def write_lock(kb: "KnowledgeBase", what: str = "write", timeout: float | None = None) -> Iterator[None]:
    """Hold the KB's write lock (waiting for another process if needed) for the duration of the block."""
    path = kb.derived_dir / LOCK_NAME
    key = str(path)
    with _acquiring:  # threads of this process share one flock; the first one in takes it
        with _guard:
            held = _held.setdefault(key, _Held())
            first = held.depth == 0
            held.depth += 1
        if first:
            try:
                held.fd = _acquire(kb, path, what, DEFAULT_TIMEOUT if timeout is None else timeout)
                _recover_git(kb)
            except BaseException:
                with _guard:
                    held.depth -= 1
                raise
    try:
        yield
    finally:
        with _guard:
            held.depth -= 1
            if held.depth == 0 and held.fd is not None:
                os.close(held.fd)  # closing the descriptor releases the flock
                held.fd = None


def _acquire(kb: "KnowledgeBase", path: Path, what: str, timeout: float) -> int:
    from kb.store.knowledge_base import KBError

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    start = time.monotonic()
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            holder = _holder(path)
            if not told:
                told = True
                notify = getattr(kb, "on_busy", None)
                if notify:
                    notify(f"KB busy: {holder} is writing to {kb.root}; retrying until it is done")
            if time.monotonic() - start > timeout:
                os.close(fd)
                raise KBError(f"KB busy: {holder} has been writing to {kb.root} for over {timeout:.0f} s; "
                              f"try again when it is done") from None
            time.sleep(POLL_SECONDS)
    info = json.dumps({"pid": os.getpid(), "what": what, "since": time.time()}).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, info, 0)
    return fd


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
        return f"another runbook process (pid {info['pid']}, {info['what']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another runbook process"


@contextmanager
def git_operation(kb: "KnowledgeBase") -> Iterator[None]:
    """Mark a git command in progress (under the write lock), so a crash in it can be cleaned up."""
    mark = kb.derived_dir / GIT_MARK
    with write_lock(kb, "git"):
        with _guard:
            outermost = _git_depth.get(str(mark), 0) == 0
            _git_depth[str(mark)] = _git_depth.get(str(mark), 0) + 1
        if outermost:
            try:
                mark.write_text(json.dumps({"pid": os.getpid(), "since": time.time()}))
            except OSError:
                pass
        try:
            yield
        finally:
            with _guard:
                _git_depth[str(mark)] -= 1
            if outermost:
                mark.unlink(missing_ok=True)


def _recover_git(kb: "KnowledgeBase") -> None:
    """The previous holder died inside a git command: remove the lock files git left (we hold the lock)."""
    mark = kb.derived_dir / GIT_MARK
    if not mark.exists():
        return
    try:
        since = float(json.loads(mark.read_text()).get("since", 0))
    except (OSError, ValueError, TypeError, AttributeError):
        since = 0.0
    git_dir = kb.root / ".git"
    candidates = [git_dir / "index.lock", git_dir / "HEAD.lock", git_dir / "packed-refs.lock",
                  *git_dir.glob("refs/heads/**/*.lock")]
    for lock in candidates:
        try:
            if lock.exists() and lock.stat().st_mtime >= since - 1:
                lock.unlink()
        except OSError:
            pass
    mark.unlink(missing_ok=True)
