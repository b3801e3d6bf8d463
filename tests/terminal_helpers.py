"""Real terminals and a real sshd for the tests of terminal steps (no mocks).

`Operator` is a person at a terminal: a real pseudo-terminal whose other end runs a program (the
`runbook` CLI, or nothing when a test hands it to a command), read and typed into as they would.
`start_sshd` starts the system's sshd on 127.0.0.1 with its own host key, authorized_keys and a
high port, and writes an ssh config for it; tests skip when sshd is not installed.
"""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import ROOT

ASKPASS = '''import os, sys, termios
# asks through /dev/tty as sudo does: echo off first, then the prompt, then a line
tty = os.open("/dev/tty", os.O_RDWR)
old = termios.tcgetattr(tty)
new = termios.tcgetattr(tty)
new[3] &= ~termios.ECHO
termios.tcsetattr(tty, termios.TCSAFLUSH, new)
os.write(tty, os.environ.get("ASKPASS_PROMPT", "[check] password for ann: ").encode())
line = b""
while not line.endswith(b"\\n"):
    chunk = os.read(tty, 100)
    if not chunk:
        break
    line += chunk
termios.tcsetattr(tty, termios.TCSAFLUSH, old)
os.write(tty, b"\\n")
good = line.strip() == os.environ.get("ASKPASS_WANTS", "").encode()
print("access granted" if good else "access denied")
sys.exit(0 if good else 1)
'''

SECRET = "Tr0ub4dor-and-3"


def write_askpass(folder: Path) -> Path:
    path = folder / "askpass.py"
    path.write_text(ASKPASS, encoding="utf-8")
    return path


def classes_runbook(askpass: Path, log: Path, trusted: bool = False) -> str:
    """One step per class of command an operator meets (the issue's Done-when runbook)."""
    return f"""---
title: Terminal classes
trusted: {'true' if trusted else 'false'}
---
# Terminal classes

- [ ] Confirm with a prompt
  ```bash
  read -p "Type yes: " answer && test "$answer" = yes && echo confirmed
  # expected: exit 0
  ```
- [ ] Unlock with a password
  ```bash
  python3 {askpass}
  # expected: access granted
  ```
- [ ] See a terminal
  ```bash
  python3 -c 'import sys; print(sys.stdin.isatty(), sys.stdout.isatty())'
  # expected: True True
  ```
- [ ] List in colour
  ```bash
  grep --color=auto marker {log}
  ```
- [ ] Follow the log
  ```bash
  tail -f {log}
  ```
"""


class Operator:
    """A program in a real pseudo-terminal, and the person at it: `expect` what it shows, `type` keys."""

    def __init__(self, argv: list[str] | None = None, env: dict | None = None, size=(40, 120)) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, __import__("struct").pack("hhhh", size[0], size[1], 0, 0))
        self.seen = b""
        self._mark = 0  # what `expect` has matched up to
        self.process = None
        if argv is not None:
            self.process = subprocess.Popen(argv, stdin=self.slave, stdout=self.slave, stderr=self.slave,
                                            env=env, start_new_session=True, preexec_fn=_controlling_terminal)
            os.close(self.slave)
            self.slave = None

    def read(self, seconds: float = 0.1) -> bytes:
        got = b""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
        self.seen += got
        return got

    def expect(self, text: str, seconds: float = 60.0) -> str:
        """Wait until `text` shows (after what was already matched); returns everything seen so far."""
        wanted = text.encode()
        start = self._mark
        deadline = time.monotonic() + seconds
        while wanted not in self.seen[start:]:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never showed; the terminal shows:\n"
                                     f"{self.seen.decode('utf-8', 'replace')[-3000:]}")
            if not self.read(0.1) and self.process is not None and self.process.poll() is not None:
                self.read(0.3)
                if wanted not in self.seen[start:]:
                    raise AssertionError(f"{text!r} never showed; the program ended:\n"
                                         f"{self.seen.decode('utf-8', 'replace')[-3000:]}")
        self._mark = self.seen.index(wanted, start) + len(wanted)
        return self.seen.decode("utf-8", "replace")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def line(self, text: str) -> None:
        self.type(text + "\r")

    def wait(self, seconds: float = 60.0) -> int:
        deadline = time.monotonic() + seconds
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read(0.1)
        self.read(0.2)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise AssertionError("the program never ended:\n" + self.seen.decode("utf-8", "replace")[-3000:])
        return self.process.returncode

    @property
    def text(self) -> str:
        return self.seen.decode("utf-8", "replace")

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        for fd in (self.master, self.slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def runbook_argv(kb_root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "runbook.cli", "--kb", str(kb_root), *args]


def runbook_env(home: Path, **extra: str) -> dict:
    return {**os.environ, "HOME": str(home), "TERM": "xterm-256color", "PYTHONPATH": str(ROOT),
            "XDG_DATA_HOME": str(home / ".local" / "share"), "XDG_CONFIG_HOME": str(home / ".config"), **extra}


# -- a real sshd on 127.0.0.1 --------------------------------------------------------------------------------

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.access("/usr/sbin/sshd", os.X_OK) else None)


@dataclass
class Sshd:
    process: subprocess.Popen
    alias: str  # a Host of `config`
    config: Path  # an ssh client config: RUNBOOK_SSH="ssh -F config"
    port: int
    folder: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_sshd(folder: Path) -> Sshd | None:
    """sshd with its own keys on a free high port, in the foreground (-D -e); None where it cannot run."""
    if SSHD is None or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return None
    if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):  # sshd's privilege separation directory
        try:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        except OSError:
            return None
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())
    os.chmod(folder / "authorized_keys", 0o600)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    user = os.environ.get("USER") or __import__("pwd").getpwuid(os.getuid()).pw_name
    (folder / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1:{port}\nHostKey {folder / 'host_key'}\nAuthorizedKeysFile {folder / 'authorized_keys'}\n"
        f"PidFile {folder / 'sshd.pid'}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nPermitTTY yes\nAllowTcpForwarding no\n")
    host_key = (folder / "host_key.pub").read_text().split()
    (folder / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    (folder / "ssh_config").write_text(
        f"Host rbtest\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile {folder / 'client_key'}\n"
        f"  IdentitiesOnly yes\n  UserKnownHostsFile {folder / 'known_hosts'}\n  StrictHostKeyChecking yes\n"
        "  GlobalKnownHostsFile /dev/null\n")
    log = open(folder / "sshd.log", "wb")
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(folder / "sshd_config")], stdout=log, stderr=log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return Sshd(process, "rbtest", folder / "ssh_config", port, folder)
        time.sleep(0.05)
    process.kill()
    return None
