"""One writer at a time per KB: an advisory file lock around every write to git, SQLite or the index.

Two `runbook ingest` processes, an ingest and a search that must rebuild a stale
index, a run committing its record while a teammate's ingest commits reports:
each takes `.runbook/write.lock` (flock) first. The second waits, says once
"KB busy, retrying" (through `kb.on_busy`), and goes on when the first is done.
The operating system drops the lock when its holder dies, `kill -9` included.

Only the holder itself holds it. A process forked from the holder (ingest's pool
workers, Whoosh's writer processes) closes its inherited copy at once
(`os.register_at_fork`), and those workers die with their parent
(kb/store/processes.py): a `kill -9` of the parent alone frees the KB at once.
The holder writes who it is into the lock file (pid, process group, the pid's
start time, host). Should the lock still be busy when that process is gone and
its process group is empty too (some other process kept the file open), the next
writer takes the lock over at once, replacing the lock file; a lock whose holder
is alive, in whatever process group, or on another host, is waited for.

The lock is reentrant within a process (ingest holds it and its git commit takes
it again, from another thread too). Git commands run under a marker file; if a
holder died in the middle of one, the next holder removes the `.git/*.lock`
files that git left behind, which would otherwise block every later commit.
A KB on a read-only filesystem (or another user's directory) cannot be locked:
every write refuses in one line (kb/store/write_guard.py says so before trying).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from kb.store.processes import git_processes, group_alive, process_alive, start_ticks

if TYPE_CHECKING:
    from kb.store.knowledge_base import KnowledgeBase

LOCK_NAME = "write.lock"
GUARD_NAME = "write.lock.guard"  # held for microseconds: a takeover and a new holder's record never interleave
GIT_MARK = "git-op"
POLL_SECONDS = 0.1
GIT_GRACE_SECONDS = 60.0  # how long a git command left running by a dead holder is let finish
DEFAULT_TIMEOUT = float(os.environ.get("RUNBOOK_LOCK_TIMEOUT", "600"))
READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)


class _Held:
    def __init__(self) -> None:
        self.depth = 0
        self.fd: int | None = None


_guard = threading.Lock()
_acquiring = threading.Lock()
_held: dict[str, _Held] = {}
_git_depth: dict[str, int] = {}
_guard_fds: set[int] = set()


def _forget_in_child() -> None:
    """In a forked child: close the inherited lock descriptors (a flock belongs to every descriptor
    of its open file, so a pool worker would otherwise keep the KB locked after its parent died)."""
    global _guard, _acquiring
    for fd in [held.fd for held in _held.values() if held.fd is not None] + list(_guard_fds):
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()
    _git_depth.clear()
    _guard_fds.clear()
    _guard, _acquiring = threading.Lock(), threading.Lock()  # another thread may have held them at the fork


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


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
                _release(held.fd)
                held.fd = None


def _acquire(kb: "KnowledgeBase", path: Path, what: str, timeout: float) -> int:
    from kb.store.knowledge_base import KBError

    start = time.monotonic()
    told = False
    while True:
        fd = _open(kb, path, what)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            record = _read_record(fd)
            if _holder_gone(record) and _take_over(path, fd, record):
                os.close(fd)
                continue  # the file was replaced (by us or by another waiter): try the new one at once
            os.close(fd)
            holder = _describe(record)
            if not told:
                told = True
                notify = getattr(kb, "on_busy", None)
                if notify:
                    notify(f"KB busy: {holder} is writing to {kb.root}; retrying until it is done")
            if time.monotonic() - start > timeout:
                raise KBError(f"KB busy: {holder} has been writing to {kb.root} for over {timeout:.0f} s; "
                              f"try again when it is done") from None
            time.sleep(POLL_SECONDS)
            continue
        with _guard_lock(path):
            if not _same_file(path, fd):  # taken over after we opened it: the lock is the new file's
                os.close(fd)
                continue
            _write_record(fd, what)
        return fd


def _open(kb: "KnowledgeBase", path: Path, what: str) -> int:
    from kb.store.knowledge_base import KBError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exc.errno in READ_ONLY_ERRNOS:
            from kb.store.write_guard import read_only_message

            raise KBError(read_only_message(kb, what, (exc.strerror or "").lower())) from None
        raise


def _release(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)  # no record: nobody mistakes the next holder, before it writes its own, for this one
    except OSError:
        pass
    os.close(fd)  # closing the descriptor releases the flock


@contextmanager
def _guard_lock(path: Path) -> Iterator[None]:
    fd = os.open(path.with_name(GUARD_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    _guard_fds.add(fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        _guard_fds.discard(fd)
        os.close(fd)


def _same_file(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _write_record(fd: int, what: str) -> None:
    record = {"pid": os.getpid(), "pgid": os.getpgrp(), "started": start_ticks(os.getpid()),
              "host": socket.gethostname(), "what": what, "since": time.time()}
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
    except OSError:
        pass  # a full disk: the lock holds all the same; only the waiters' message is vaguer


def _read_record(fd: int) -> dict:
    try:
        record = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return record if isinstance(record, dict) else {}
    except (OSError, ValueError):
        return {}


def _describe(record: dict) -> str:
    if "pid" in record and "what" in record:
        return f"another runbook process (pid {record['pid']}, {record['what']})"
    return "another runbook process"


def _take_over(path: Path, fd: int, record: dict) -> bool:
    """Replace the lock file of a holder that is gone (under the guard, so a new holder's record and
    this check never interleave). True when the caller should try again at once."""
    with _guard_lock(path):
        if not _same_file(path, fd):
            return True  # already replaced
        if _read_record(fd) != record:
            return False  # someone took it and wrote its own record meanwhile
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        return True


def _holder_gone(record: dict) -> bool:
    """The recorded holder, on this host, has exited (or its pid now names another process) and no
    process is left in its process group. Anything else, an empty record included, is waited for."""
    try:
        pid, pgid = int(record["pid"]), int(record["pgid"])
    except (KeyError, TypeError, ValueError):
        return False
    if record.get("host") != socket.gethostname() or pid == os.getpid():
        return False
    if process_alive(pid, record.get("started")):
        return False
    return not group_alive(pgid)



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
    # A git command the holder started may outlive it (a `kill -9` of the holder alone): it is let finish
    # (up to a minute), never cut short by removing its lock file under it.
    deadline = time.monotonic() + GIT_GRACE_SECONDS
    while git_processes(kb.root) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
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
