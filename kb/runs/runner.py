"""Run one shell command the operator confirmed: its own process group, live output, a timeout.

The command runs under `bash -c` in a new session, so cancelling or timing out
kills the whole group (pipelines, children, grandchildren), never a stray shell
alone. Output lines reach `on_output` as they come; the full output (its last
1 MB) is kept with the exit code and duration.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_TIMEOUT = 300.0
MAX_OUTPUT = 1024 * 1024


@dataclass
class CommandResult:
    command: str
    exit_code: int | None
    duration: float
    output: str
    timed_out: bool = False
    cancelled: bool = False


class CommandRun:
    def __init__(self, command: str, timeout: float = DEFAULT_TIMEOUT, cwd: str | None = None,
                 env: dict[str, str] | None = None, on_output: Callable[[str], None] | None = None) -> None:
        self.command = command
        self.timeout = timeout
        self.cwd = cwd
        self.env = env
        self.on_output = on_output
        self._process: subprocess.Popen | None = None
        self._cancelled = threading.Event()
        self._chunks: list[str] = []
        self._size = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def run(self) -> CommandResult:
        start = time.monotonic()
        self._process = subprocess.Popen(
            ["bash", "-c", self.command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=self.cwd, env={**os.environ, **(self.env or {})}, start_new_session=True,
        )
        reader = threading.Thread(target=self._read, daemon=True)
        reader.start()
        timed_out = False
        while True:
            try:
                self._process.wait(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                if self._cancelled.is_set():
                    self._kill_group()
                elif time.monotonic() - start > self.timeout:
                    timed_out = True
                    self._kill_group()
            except KeyboardInterrupt:  # ctrl+c at the prompt: the command's group does not get it, so kill it
                self.cancel()
        if self._cancelled.is_set() or timed_out:
            self._kill_group()  # children that outlived the shell go too
        reader.join(timeout=1.0)  # a backgrounded child may hold the pipe open; do not wait for it
        exit_code = None if (timed_out or self._cancelled.is_set()) else self._process.returncode
        return CommandResult(command=self.command, exit_code=exit_code, duration=time.monotonic() - start,
                             output="".join(self._chunks), timed_out=timed_out, cancelled=self._cancelled.is_set())

    def cancel(self) -> None:
        """Kill the whole process group (from any thread)."""
        self._cancelled.set()
        self._kill_group()

    def _kill_group(self) -> None:
        process = self._process
        if process is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except (ProcessLookupError, PermissionError):
                return
            if sig == signal.SIGTERM:
                deadline = time.monotonic() + 1.0
                while time.monotonic() < deadline and _group_alive(process.pid):
                    time.sleep(0.02)
                if not _group_alive(process.pid):
                    return

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for raw in iter(self._process.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            self._chunks.append(line)
            self._size += len(line)
            while self._size > MAX_OUTPUT and len(self._chunks) > 1:
                self._size -= len(self._chunks.pop(0))
            if self.on_output:
                self.on_output(line)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie leader still "exists"; reap-less check via /proc where available
    return True if not os.path.exists("/proc") else any(
        _pgid_of(pid) == pgid for pid in os.listdir("/proc") if pid.isdigit())


def _pgid_of(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        state, pgid = fields[0], int(fields[2])
        return None if state == "Z" else pgid
    except (OSError, IndexError, ValueError):
        return None
