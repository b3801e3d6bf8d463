"""Run a command with a real pseudo-terminal as its stdin, stdout and stderr (or stdout piped), as an
operator's shell would: `isatty()` is true, the window has a size, and what it prints is read back."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass

from conftest import ROOT

RUNBOOK = [sys.executable, "-m", "runbook.cli"]


@dataclass
class Ran:
    code: int
    terminal: str  # everything written to the terminal (stdout and stderr, unless piped)
    piped: str = ""  # stdout, when it was a pipe


def run_in_pty(args: list[str], env: dict[str, str] | None = None, rows: int = 24, cols: int = 80,
               stdout_pipe: bool = False, timeout: float = 120, cwd=ROOT) -> Ran:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows), **(env or {})}
    environment = {key: value for key, value in environment.items() if value is not None}
    process = subprocess.Popen(args, stdin=slave, stdout=subprocess.PIPE if stdout_pipe else slave, stderr=slave,
                               env=environment, cwd=cwd, close_fds=True, start_new_session=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    streams = [master] + ([process.stdout.fileno()] if stdout_pipe else [])
    piped: list[bytes] = []
    while streams and time.monotonic() < deadline:
        ready, _, _ = select.select(streams, [], [], 0.1)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the terminal closed: the process is gone
                data = b""
            if not data:
                streams.remove(fd)
                continue
            (chunks if fd == master else piped).append(data)
        if process.poll() is not None and not ready:
            break
    try:
        process.wait(timeout=max(deadline - time.monotonic(), 1))
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"{args} did not finish in {timeout} s: {b''.join(chunks)[-2000:]!r}")
    if stdout_pipe:
        piped.append(process.stdout.read())
        process.stdout.close()
    os.close(master)
    return Ran(process.returncode, b"".join(chunks).decode("utf-8", "replace"),
               b"".join(piped).decode("utf-8", "replace"))
