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
