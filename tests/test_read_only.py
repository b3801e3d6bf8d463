"""A KB on a read-only filesystem (a mounted share): it opens for reading with a note, every write refuses in
one line, nothing crashes. The KB is really mounted read-only (a bind mount in a private mount namespace); the
tests skip where the machine does not allow that."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = "import sys; from runbook.cli import main; sys.argv[0] = 'runbook'; main()"
ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
       "GIT_COMMITTER_EMAIL": "t@example.com"}
MOUNT_RO = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
DRILL = ("---\ntitle: Drill\ntrusted: true\n---\n# Drill\n\n- [ ] Greet\n  ```bash\n  echo hello\n  # expected: hello\n"
         "  ```\n- [ ] Wait\n  ```bash\n  sleep 0.1; echo waited\n  # expected: waited\n  ```\n")


@functools.lru_cache(maxsize=1)
def _can_mount_read_only() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"runbook-ro-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", MOUNT_RO, str(probe),
                                 "sh", "-c", "! touch \"$0/x\" 2>/dev/null", str(probe)], capture_output=True,
                                timeout=30)
        return result.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        shutil.rmtree(probe, ignore_errors=True)


pytestmark = pytest.mark.skipif(not _can_mount_read_only(), reason="cannot bind-mount read-only here")


def runbook(kb: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CODE, "--kb", str(kb), *args], capture_output=True, text=True,
                          input=input, env={**os.environ, **ENV}, cwd=ROOT, timeout=300)


def read_only(kb: Path, *args: str, input: str = "") -> subprocess.CompletedProcess:
    """The same command with the KB mounted read-only."""
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", MOUNT_RO, str(kb),
                           sys.executable, "-c", CODE, "--kb", str(kb), *args], capture_output=True, text=True,
                          input=input, env={**os.environ, **ENV}, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    """A KB with the samples, one completed run (history) and one interrupted by kill -9 (resume)."""
    kb = tmp_path_factory.mktemp("ro") / "kb"
    assert runbook(kb, "init").returncode == 0
    assert runbook(kb, "ingest", str(ROOT / "assets" / "reports")).returncode == 0
    (kb / "runbooks" / "drill.md").write_text(DRILL, encoding="utf-8")
    (kb / "runbooks" / "slow.md").write_text(DRILL.replace("sleep 0.1", "sleep 30"), encoding="utf-8")
    subprocess.run(["git", "add", "runbooks"], cwd=kb, check=True)
    subprocess.run(["git", "commit", "-qm", "drills"], cwd=kb, check=True, env={**os.environ, **ENV})
    for name in ("drill", "slow"):  # --yes runs only what this operator trusted (issue 20)
        assert runbook(kb, "trust", name, "--yes").returncode == 0
    assert runbook(kb, "run", "drill", "--yes", "--no-tui").returncode == 0
    slow = subprocess.Popen([sys.executable, "-c", CODE, "--kb", str(kb), "run", "slow", "--yes", "--no-tui"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **ENV}, cwd=ROOT,
                            start_new_session=True)
    time.sleep(4)
    os.killpg(slow.pid, signal.SIGKILL)  # the run and its step's shell
    slow.wait()
    return kb


def _note_and_no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("note: ") and "is read-only (read-only file system)" in result.stderr, result.stderr


@pytest.mark.parametrize("args", [("search", "connect() failed (111: Connection refused) while connecting to upstream"),
                                  ("list",), ("list", "errors"), ("list", "runbooks"), ("show", "e1"), ("show", "r1"),
                                  ("history",), ("resume",), ("run", "drill", "--dry-run"),
                                  ("onboard", "nginx", "--all")])
def test_reading_a_read_only_kb_works_with_a_note(shared, args):
    result = read_only(shared, *args)
    assert result.returncode == 0, result.stderr
    _note_and_no_traceback(result)
    assert result.stdout.strip()
    if args[0] == "history":
        assert "Drill [drill]  completed" in result.stdout
    if args[0] == "resume":
        assert "Drill  step 2/2 (1 recorded)" in result.stdout  # the interrupted run is listed


@pytest.mark.parametrize("args", [("ingest", str(ROOT / "assets" / "reports")), ("reindex",),
                                  ("run", "drill", "--yes", "--no-tui"), ("run", "drill", "--no-tui")])
def test_writing_a_read_only_kb_refuses_in_one_line(shared, args):
    if "--yes" in args:  # this operator trusts it (trust lives in the operator's state, not the KB)
        assert runbook(shared, "trust", "drill", "--yes").returncode == 0
    result = read_only(shared, *args, input="n\n" * 20)
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if not line.startswith("note: ")]
    assert result.returncode == 1 and len(errors) == 1, result.stderr
    assert "read-only" in errors[0] and "needs to write to it" in errors[0]


def test_resuming_on_a_read_only_kb_refuses_in_one_line(shared):
    run_id = read_only(shared, "resume").stdout.split()[0]
    result = read_only(shared, "resume", run_id, "--no-tui")
    errors = [line for line in result.stderr.splitlines() if not line.startswith("note: ")]
    assert result.returncode == 1 and errors == [f"error: {shared} is read-only (read-only file system): resume needs to "
                                                 "write to it; search, list, show and history still work"]


def test_a_read_only_kb_without_its_database_says_where_to_reindex(shared, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(shared), str(clone)], check=True)
    result = read_only(clone, "list")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: {clone} is read-only (read-only file system) "
                                                             "and has no database yet: run `runbook --kb")
