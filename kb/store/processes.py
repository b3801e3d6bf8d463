"""Worker processes that die with the process that started them.

Ingest scans and parses in a process pool, and Whoosh indexes a large batch in writer processes.
When their parent is killed (`kill -9 PID`, the OOM killer), nobody tells them: a pool worker
blocked writing its result to a pipe that nobody reads any more, or a Whoosh writer waiting for its
next job, would wait forever, holding the memory and the files of the KB it worked on.

`die_with_parent` is the first thing such a worker does. On Linux it asks the kernel for SIGKILL
when its parent goes (prctl PR_SET_PDEATHSIG); elsewhere, or where that is not available, a daemon
thread watches for the parent to go (the worker is handed to another process: its parent pid
changes) and ends the worker. Either way the worker checks once that its parent is still the one
that started it, since the parent may have died before the signal was asked for.

`process_alive`, `group_alive` and `start_ticks` tell whether a recorded process (the write lock's
holder, a run step's command) is still there, and still the same one (its start time); `git_processes`
finds a git command a killed holder left running in the KB.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_SECONDS = 0.2  # how often the fallback looks at the parent pid
NO_SIGNAL_ENV = "RUNBOOK_NO_PDEATHSIG"  # set: use the portable watcher even on Linux (tests use it)


def die_with_parent(parent_pid: int) -> str:
    """End this (worker) process when parent_pid exits; returns how: "signal" or "watch"."""
    how = "signal" if _ask_kernel() else "watch"
    if how == "watch":
        threading.Thread(target=_watch, args=(parent_pid,), name="runbook-parent-watch", daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the signal was set: nobody wants the result
        os._exit(1)
    return how


def _ask_kernel() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get(NO_SIGNAL_ENV):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError, TypeError):
        return False


def _watch(parent_pid: int) -> None:
    """The portable way: a parent that exits hands its children to another process (init or a
    subreaper), so the parent pid changes. Runs beside a main thread blocked in a pipe write."""
    while os.getppid() == parent_pid:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def process_alive(pid: int, started: int | None = None) -> bool:
    """Is pid a live process (not a zombie), and the same one that had start time `started` (start_ticks)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = proc_stat(pid)
    if stat is None:
        return True  # no /proc: signal 0 reached it
    if stat[0] == "Z":
        return False
    return started is None or stat[19] == str(started)  # another start time: the pid was reused


def group_alive(pgid: int) -> bool:
    """Is any live (not zombie) process left in the process group?"""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not os.path.isdir("/proc"):
        return True
    for name in os.listdir("/proc"):  # a group of zombies only is gone
        if name.isdigit():
            stat = proc_stat(int(name))
            if stat is not None and stat[0] != "Z" and stat[2] == str(pgid):
                return True
    return False


def proc_stat(pid: int) -> list[str] | None:
    """/proc/PID/stat's fields after the command name (state first), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def start_ticks(pid: int) -> int | None:
    """The process's start time (clock ticks since boot, Linux), which a reused pid does not share; None elsewhere."""
    stat = proc_stat(pid)
    try:
        return int(stat[19]) if stat else None
    except (IndexError, ValueError):
        return None


def git_processes(root) -> list[int]:
    """Live git commands that may write in the repository at root (their working directory), where /proc
    tells; [] elsewhere. Not this process's own, nor GitPython's long-lived `cat-file` readers."""
    if not os.path.isdir("/proc"):
        return []
    target = os.path.realpath(str(root))
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            if os.path.realpath(f"/proc/{name}/cwd") != target:
                continue
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                args = handle.read().split(b"\0")
        except OSError:
            continue
        stat = proc_stat(int(name))
        if (os.path.basename(args[0]) == b"git" and b"cat-file" not in args and stat is not None and stat[0] != "Z"
                and stat[1] != str(os.getpid())):
            found.append(int(name))
    return found
