"""`runbook run NAME --on user@host`: every step's command runs on another host, through the system's ssh.

The operator's own `ssh` does the work, so its config (`~/.ssh/config`, jump hosts), agent, keys and
known hosts all apply, and nothing of ours holds a credential. One connection is opened when the run
starts, in the operator's terminal (a host key to accept, a password or passphrase to type: asked
once), and kept as a control master; each step then goes through it (`-o ControlPath`), so no step
asks again. Each command runs as `bash -c COMMAND` on the host, in a pseudo-terminal there too
(`-t`; `-tt` for a step that takes the operator's terminal). `RUNBOOK_SSH` replaces the `ssh`
command line (as `GIT_SSH_COMMAND` does for git), for instance `ssh -F ~/work/ssh_config`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from kb.runs.runner import NO_PAGER
from kb.store.knowledge_base import KBError

_DESTINATION_RE = re.compile(r"^(?:ssh://)?[^\s\-@/][^\s@/]*(?:@[^\s@/]+)?(?::\d+)?$")
CONNECT_TIMEOUT = 20


@dataclass
class SshTarget:
    destination: str  # user@host, host, or an alias of ~/.ssh/config
    ssh: list[str] = field(default_factory=lambda: ["ssh"])
    control_dir: str = ""

    @classmethod
    def parse(cls, destination: str) -> "SshTarget":
        destination = destination.strip()
        if not _DESTINATION_RE.match(destination):
            raise KBError(f"--on {destination!r}: give a host as ssh takes it (user@host, host, or a Host alias "
                          "of your ssh config)")
        command = shlex.split(os.environ.get("RUNBOOK_SSH", "") or "ssh")
        if not shutil.which(command[0]):
            raise KBError(f"--on needs ssh, and {command[0]!r} is not on PATH")
        return cls(destination, command)

    @property
    def control_path(self) -> str:
        return os.path.join(self.control_dir, "%C")

    def connect(self, unattended: bool = False) -> None:
        """Open the connection every step goes through; a host key or password is asked here, once.

        Raises KBError with ssh's own words when it cannot connect (nothing has run)."""
        self.control_dir = tempfile.mkdtemp(prefix="rb-ssh-")  # short: a socket path is at most ~100 bytes
        options = ["-o", "ControlMaster=yes", "-o", f"ControlPath={self.control_path}", "-o", "ControlPersist=yes",
                   "-o", f"ConnectTimeout={CONNECT_TIMEOUT}", "-f", "-N"]
        if unattended:
            options += ["-o", "BatchMode=yes"]
        with tempfile.TemporaryFile() as errors:  # not a pipe: the master, in the background, would hold it open
            code = subprocess.call([*self.ssh, *options, "--", self.destination], stderr=errors)
            errors.seek(0)
            said = [line for line in errors.read().decode("utf-8", "replace").splitlines() if line.strip()]
        if code != 0:
            shutil.rmtree(self.control_dir, ignore_errors=True)
            reason = said[-1].strip() if said else f"ssh exited with {code}"
            raise KBError(f"--on {self.destination}: could not connect: {reason} (nothing was run)")

    def argv(self, command: str, terminal: bool = False, pagers: bool = False) -> list[str]:
        """The ssh command line that runs `command` on the host, through the open connection."""
        environment = "" if pagers else "env " + " ".join(f"{k}={v}" for k, v in NO_PAGER.items()) + " "
        remote = f"{environment}bash -c {shlex.quote(command)}"
        options = ["-o", f"ControlPath={self.control_path}", "-o", "ControlMaster=no", "-o", "LogLevel=ERROR"]
        if not terminal:
            options += ["-o", "BatchMode=yes"]  # if the connection is gone, fail rather than ask unseen
        return [*self.ssh, *options, "-tt" if terminal else "-t", "--", self.destination, remote]

    def close(self) -> None:
        if not self.control_dir:
            return
        subprocess.run([*self.ssh, "-o", f"ControlPath={self.control_path}", "-O", "exit", "--", self.destination],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=30)
        shutil.rmtree(self.control_dir, ignore_errors=True)
        self.control_dir = ""
