"""Run one shell command the operator confirmed, in a pseudo-terminal of its own.

Why a pseudo-terminal: programs then behave as in the operator's own shell. They colour their
output and flush it line by line, and `sudo`, `docker exec -t`, `ssh`, `read -p` and password
prompts find the terminal they need (stdin, stdout and `/dev/tty`). The standard library's pty and
subprocess do it (no dependency): the command runs under `bash -c` as the leader of a new session
whose controlling terminal is that pty, so

- cancelling or timing out kills the whole process group (pipelines, children, grandchildren);
- if runbook itself dies (`kill -9`, a closed terminal) the pty's master closes and the kernel hangs
  the session up: its processes get SIGHUP, as when a terminal window is closed.

Two ways to run, and a run can change from the first to the second while it goes on:

- **captured**: runbook reads the pty and nobody types. Lines reach `on_output` as they come. A
  command that stops at a prompt (a partial line, then silence, with echo off or a prompt's
  punctuation) is noticed and `on_waiting` is told. Pagers are turned off (`PAGER=cat`).
- **attached**: the operator's terminal is put in raw mode and joined to the pty: keys go to the
  command (and are never kept), what it prints goes to their screen and is kept too.

What is kept (the last 1 MB) is plain text: escape sequences removed and `\\r` redraws applied
(kb.parse.escapes.strip_escapes), with the lines the operator typed masked (the terminal's echo of
them; a line typed with echo off, a password, wherever it shows). A follow-mode command
(`tail -f`) is ended by `end()` (or ctrl+c): that is a completed run, `ended` says so.
"""

from __future__ import annotations

import codecs
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass

from kb.parse.escapes import strip_escapes

DEFAULT_TIMEOUT = 300.0
MAX_OUTPUT = 1024 * 1024
WAIT_IDLE = 1.0  # a partial line unchanged this long, at a prompt: the command waits for someone to type
PARTIAL_SHOWN_AFTER = 0.3  # a partial line (a prompt, a progress meter) is shown after this much silence
DEFAULT_SIZE = (40, 120)  # rows, columns when there is no terminal to copy
REPLAY = 16 * 1024  # what a terminal handed over mid-run is shown of the output so far
NO_PAGER = {"PAGER": "cat", "GIT_PAGER": "cat", "SYSTEMD_PAGER": "cat", "MANPAGER": "cat", "PSQL_PAGER": "cat"}
TYPED = "[typed]"  # what a line the operator typed becomes in the kept output
_PROMPT_ENDINGS = (":", "?", ">", "#", "$", "]", "：", "？", ")")


@dataclass
class Terminal:
    """The operator's terminal: where an attached command reads keys and prints."""

    input_fd: int
    output_fd: int

    @classmethod
    def of_process(cls) -> "Terminal | None":
        """This process's stdin and stdout, when both are terminals."""
        try:
            input_fd, output_fd = sys.__stdin__.fileno(), sys.__stdout__.fileno()
        except (AttributeError, ValueError, OSError):
            return None
        return cls(input_fd, output_fd) if os.isatty(input_fd) and os.isatty(output_fd) else None


@dataclass
class CommandResult:
    command: str
    exit_code: int | None
    duration: float
    output: str
    timed_out: bool = False
    cancelled: bool = False
    ended: bool = False  # a command that runs until stopped, stopped by the operator: complete
    attached: bool = False  # it had the operator's terminal
    waited: str = ""  # the prompt it stopped at, waiting for input, if it did


class CommandRun:
    def __init__(self, command: str, timeout: float = DEFAULT_TIMEOUT, cwd: str | None = None,
                 env: dict[str, str] | None = None, on_output: Callable[[str], None] | None = None,
                 argv: list[str] | None = None, on_waiting: Callable[[str], None] | None = None,
                 follow: bool = False, interactive: bool = False, unattended: bool = False) -> None:
        """`argv`: what runs, when it is not `bash -c COMMAND` (ssh to another host);
        `follow`: it runs until stopped (no timeout; `end()` completes it);
        `interactive`: the operator's terminal is handed over at once, so pagers are left alone;
        `unattended`: nobody will type, so a command silent for a while that reads the terminal gets
        end-of-file, as it would from /dev/null, instead of waiting until the timeout."""
        self.command = command
        self.argv = argv or ["bash", "-c", command]
        self.timeout = timeout
        self.cwd = cwd
        self.env = env
        self.on_output = on_output
        self.on_waiting = on_waiting
        self.follow = follow
        self.interactive = interactive
        self.unattended = unattended
        self._process: subprocess.Popen | None = None
        self._master: int | None = None
        self._cancelled = threading.Event()
        self._ending = threading.Event()
        self._started = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._terminal: Terminal | None = None
        self._restore: tuple[int, list] | None = None  # the operator's terminal settings, put back at the end
        self._attached = False
        self._closed = False
        self._raw: list[bytes] = []
        self._size = 0
        self._received = 0  # bytes read from the pty in all (the kept ones are the last of them)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""  # the line being printed
        self._shown = 0  # how much of it on_output has had
        self._typed_lines: list[tuple[str, bool, int]] = []  # (line, echoed, where in the output it was typed)
        self._typing = ""
        self._typing_at = 0
        self._in_escape = False
        self._interrupted = False  # ctrl+c typed on an attached terminal
        self._ctrl_c = False  # ctrl+c at runbook's own prompt, noted by the signal handler
        self._waited = ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    # -- running ---------------------------------------------------------------------------------------
    def run(self, terminal: Terminal | None = None) -> CommandResult:
        """Run to the end; with `terminal`, attached to it from the start."""
        start = time.monotonic()
        master, slave = os.openpty()
        _set_size(master, _size_of(terminal.output_fd if terminal else _any_terminal()))
        env = {**os.environ, **(self.env or {})}
        if not (terminal or self.interactive):
            env.update(NO_PAGER)  # nobody could page through it
        if env.get("TERM", "dumb") in ("", "dumb"):
            env["TERM"] = "xterm-256color"
        try:
            self._process = subprocess.Popen(self.argv, stdin=slave, stdout=slave, stderr=slave, cwd=self.cwd,
                                             env=env, start_new_session=True,
                                             preexec_fn=_take_controlling_terminal)
        except BaseException:
            os.close(master)
            with self._lock:
                self._closed = True
            self._started.set()
            self._done.set()
            raise
        finally:
            os.close(slave)
        self._master = master
        self._started.set()
        if terminal is not None:
            self.attach(terminal, wait=False)
        timed_out = False
        previous = self._catch_ctrl_c()
        try:
            timed_out = self._loop(master, start)
        finally:
            self._finish()
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        cancelled = self._cancelled.is_set() and not self._ending.is_set()
        ended = self._ending.is_set() or (self.follow and self._interrupted)
        exit_code = None if (timed_out or cancelled) else self._process.returncode
        return CommandResult(command=self.command, exit_code=exit_code, duration=time.monotonic() - start,
                             output=self._kept_output(), timed_out=timed_out, cancelled=cancelled, ended=ended,
                             attached=self._attached, waited=self._waited)

    def attach(self, terminal: Terminal, wait: bool = True, replay: bool = False) -> None:
        """Hand the operator's terminal to the command (from any thread); with `wait`, until it ends.

        `replay` first shows what it printed so far (a prompt nobody saw yet)."""
        self._started.wait()
        saved = _raw_mode(terminal.input_fd)
        with self._lock:
            if self._closed:
                _restore_mode(terminal.input_fd, saved)
                return
            if replay and self._raw:
                _write_all(terminal.output_fd, b"".join(self._raw)[-REPLAY:])
            if self._master is not None:
                _set_size(self._master, _size_of(terminal.output_fd))
            self._restore = (terminal.input_fd, saved) if saved is not None else None
            self._terminal = terminal
            self._attached = True
        if wait:
            self._done.wait()

    def wait(self) -> None:
        self._done.wait()

    def cancel(self) -> None:
        """Kill the whole process group (from any thread)."""
        self._cancelled.set()
        self._kill_group()

    def end(self) -> None:
        """The operator ends a command that runs until stopped: ctrl+c to its group, then a kill."""
        self._ending.set()
        self._cancelled.set()
        process = self._process
        if process is not None:
            try:
                os.killpg(process.pid, signal.SIGINT)
            except (ProcessLookupError, PermissionError):
                pass

    def _catch_ctrl_c(self):
        """At runbook's own prompt (main thread), ctrl+c is noted, not raised: a KeyboardInterrupt raised
        anywhere in the loop (inside a lock's `with`, in the drain) could leave it stuck. Returns the
        handler to put back, or None where signals cannot be caught (a worker thread: the TUI)."""
        if threading.current_thread() is not threading.main_thread():
            return None
        try:
            return signal.signal(signal.SIGINT, self._on_ctrl_c)
        except (ValueError, OSError):
            return None

    def _on_ctrl_c(self, signum, frame) -> None:
        self._ctrl_c = True  # a plain flag: a signal handler must not take a lock the loop may hold

    # -- the loop: the pty, the operator's terminal, the clock ------------------------------------------
    def _loop(self, master: int, start: float) -> bool:
        process = self._process
        assert process is not None
        last_output = time.monotonic()
        reported = False
        last_eof = 0.0
        sized = 0.0
        ending_since: float | None = None
        while True:
            try:
                terminal = self._terminal
                fds = [master] + ([terminal.input_fd] if terminal else [])
                readable = select.select(fds, [], [], 0.05)[0]
                now = time.monotonic()
                if master in readable:
                    data = _read(master)
                    if data:
                        self._got(data)
                        last_output, reported = now, False
                if terminal is not None and terminal.input_fd in readable:
                    typed = _read(terminal.input_fd)
                    if typed:
                        self._typed(typed, master)
                        _write_all(master, typed)
                    else:  # the operator's input ended: stop reading it
                        self._terminal = None
                if process.poll() is not None:
                    self._drain(master)
                    return False
                if terminal is not None and now - sized > 0.25:
                    _set_size(master, _size_of(terminal.output_fd))
                    sized = now
                if self._ctrl_c:
                    self._ctrl_c = False
                    self.end() if self.follow else self.cancel()
                if self._ending.is_set():
                    ending_since = ending_since or now
                    if now - ending_since > 2.0:
                        self._kill_group()
                elif self._cancelled.is_set():
                    self._kill_group()
                elif not self.follow and self._terminal is None and now - start > self.timeout:
                    self._kill_group()
                    process.wait()
                    self._drain(master)
                    return True
                if self._terminal is None and self._pending[self._shown:] and \
                        now - last_output >= PARTIAL_SHOWN_AFTER:
                    self._emit(self._pending[self._shown:])
                    self._shown = len(self._pending)
                if not reported and self._terminal is None and self._pending.strip() and \
                        now - last_output >= WAIT_IDLE and self._at_prompt(master):
                    reported = True
                    self._waited = strip_escapes(self._pending).strip()[-200:]
                    if self.on_waiting:
                        self.on_waiting(self._waited)
                elif self.unattended and now - max(last_output, last_eof) >= WAIT_IDLE and \
                        _flags(master) & termios.ICANON:
                    last_eof = now  # a read of the terminal now ends, as from /dev/null (once a second of silence)
                    _write_all(master, bytes([termios.tcgetattr(master)[6][termios.VEOF][0]]))
            except KeyboardInterrupt:  # ctrl+c at runbook's own prompt: the command's group does not get it
                if self.follow:
                    self.end()
                else:
                    self.cancel()

    def _drain(self, master: int) -> None:
        """What is left in the pty once the command ended (a background child may hold it open: not long)."""
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 0.1)[0]:
                return
            data = _read(master)
            if not data:
                return
            self._got(data)

    def _finish(self) -> None:
        with self._lock:
            self._closed = True
            if self._restore is not None:
                _restore_mode(*self._restore)
                self._restore = None
            self._terminal = None
            if self._cancelled.is_set():
                self._kill_group()  # children that outlived the shell go too
            if self._master is not None:
                os.close(self._master)  # the session is hung up: what is left gets SIGHUP
                self._master = None
            tail = self._decoder.decode(b"", final=True)
            if tail:
                self._pending += tail
            if self._pending[self._shown:] and not self._attached:
                self._emit(self._pending[self._shown:])
        self._done.set()

    # -- output and input --------------------------------------------------------------------------------
    def _got(self, data: bytes) -> None:
        """Keep what the command printed and pass it on: to the operator's terminal when attached, else as lines.

        Under the lock `attach` takes: every byte is either in the replay or forwarded, never lost between."""
        with self._lock:
            self._raw.append(data)
            self._size += len(data)
            self._received += len(data)
            while self._size > MAX_OUTPUT and len(self._raw) > 1:
                self._size -= len(self._raw.pop(0))
            terminal = self._terminal
            if terminal is not None:
                try:
                    _write_all(terminal.output_fd, data)
                except OSError:
                    self._terminal = None
        self._pending += self._decoder.decode(data)
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            rest = line[self._shown:]
            self._shown = 0
            if terminal is None and (rest or not line):
                self._emit(rest.rstrip("\r") + "\n")

    def _emit(self, line: str) -> None:
        if self.on_output and not self._attached:
            self.on_output(line)

    def _typed(self, data: bytes, master: int) -> None:
        """Keep the lines the operator types (to mask them in the kept output), never the keys themselves."""
        echoed = _flags(master) & termios.ECHO != 0
        for char in data.decode("utf-8", "replace"):
            if self._in_escape:  # an arrow key or the like: ESC [ ... letter
                self._in_escape = not (char.isalpha() or char == "~")
                continue
            if char == "\x1b":
                self._in_escape = True
            elif char in "\r\n":
                if self._typing:
                    self._typed_lines.append((self._typing, echoed, self._typing_at))
                self._typing = ""
            elif char in "\x7f\x08":
                self._typing = self._typing[:-1]
            elif char in "\x03\x15":
                self._interrupted = self._interrupted or char == "\x03"
                self._typing = ""
            elif char >= " ":
                if not self._typing:
                    self._typing_at = self._received
                self._typing += char
        if self._typing and not echoed:
            self._typed_lines.append((self._typing, False, self._typing_at))

    def _kept_output(self) -> str:
        if self._typing:
            self._typed_lines.append((self._typing, True, self._typing_at))
            self._typing = ""
        raw = b"".join(self._raw)
        raw = mask_typed(raw, self._received - len(raw), self._typed_lines)
        return strip_escapes(raw.decode("utf-8", "replace"))

    def _at_prompt(self, master: int) -> bool:
        """Echo off (a password), raw mode (a key), or a line ending as prompts do: it waits for input."""
        flags = _flags(master)
        if not flags & termios.ECHO or not flags & termios.ICANON:
            return True
        tail = strip_escapes(self._pending).rstrip()
        return tail.endswith(_PROMPT_ENDINGS) or tail.lower().endswith(("(y/n)", "[y/n]", "yes/no", "password"))

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


def mask_typed(raw: bytes, start: int, typed: list[tuple[str, bool, int]]) -> bytes:
    """The output without what the operator typed; what the program printed before it stays.

    `start` is where `raw` begins in everything the command printed, and each typed line says
    where the operator began typing it. A line typed with echo on is masked where the terminal
    echoed it (a program's own reprint further on stays); one typed with echo off (a password;
    over ssh the remote end echoes) wherever it shows from there on."""
    for line, echoed, at in typed:
        wanted = line.strip().encode("utf-8")
        if not wanted:
            continue
        begin = max(at - start, 0)
        end = begin + len(wanted) * 8 + 256 if echoed else len(raw)
        while True:
            found = raw.find(wanted, begin, end)
            if found < 0:
                break
            raw = raw[:found] + TYPED.encode() + raw[found + len(wanted):]
            if echoed:
                break
            begin, end = found + len(TYPED), end + len(TYPED) - len(wanted)
    return raw


# -- the pty and the operator's terminal ---------------------------------------------------------------------

def _take_controlling_terminal() -> None:
    """In the child, after setsid: the pty on stdin becomes its controlling terminal (for /dev/tty), and a
    hangup ends the command as it ends a terminal's. runbook started under `nohup` (or by anything else that
    ignores SIGHUP) would otherwise pass the ignored signal on, and a killed run's commands would live on."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _any_terminal() -> int | None:
    for stream in (sys.__stdout__, sys.__stderr__, sys.__stdin__):
        try:
            if stream is not None and os.isatty(stream.fileno()):
                return stream.fileno()
        except (ValueError, OSError):
            continue
    return None


def _size_of(fd: int | None) -> tuple[int, int]:
    if fd is not None:
        try:
            rows, columns = struct.unpack("hhhh", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))[:2]
            if rows > 0 and columns > 0:
                return rows, columns
        except OSError:
            pass
    return DEFAULT_SIZE


def _set_size(fd: int, size: tuple[int, int]) -> None:
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("hhhh", size[0], size[1], 0, 0))
    except OSError:
        pass


def _flags(fd: int) -> int:
    try:
        return termios.tcgetattr(fd)[3]
    except termios.error:
        return termios.ECHO | termios.ICANON


def _raw_mode(fd: int) -> list | None:
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        return None  # not a terminal (a test's pipe): nothing to set or put back
    tty.setraw(fd, termios.TCSANOW)
    return saved


def _restore_mode(fd: int, saved: list | None) -> None:
    if saved is not None:
        try:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        except termios.error:
            pass


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: every end of the pty is closed
        return b""


def _write_all(fd: int, data: bytes) -> None:
    while data:
        try:
            written = os.write(fd, data)
        except BlockingIOError:
            select.select([], [fd], [], 1.0)
            continue
        data = data[written:]


def _group_alive(pgid: int) -> bool:
    from kb.store.processes import group_alive  # one definition of "alive" (a group of zombies is gone)

    return group_alive(pgid)
