"""`kill -9` of `runbook run --yes` while a step's command runs: the command's terminal is hung up, and one that
ignores the hang-up (here `trap '' HUP`, as nohup does) goes on and may finish. `runbook resume` says so for that step, with the command's pid and start time, and asks before
running it again (real processes, a real SIGKILL of the run's pid alone)."""

from __future__ import annotations

import os
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
RUNBOOK = ("---\ntitle: Ledger drill\ntrusted: true\n---\n# Ledger drill\n\n"
           "- [ ] Open\n  ```bash\n  echo step-open-ok\n  # expected: step-open-ok\n  ```\n"
           "- [ ] Append\n  ```bash\n  trap '' HUP; sleep 1.5; echo appended >> {ledger}; echo step-append-ok\n"
           "  # expected: step-append-ok\n  ```\n"
           "- [ ] Close\n  ```bash\n  echo step-close-ok\n  # expected: step-close-ok\n  ```\n")


def runbook(kb: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CODE, "--kb", str(kb), *args], capture_output=True, text=True,
                          input=input, env={**os.environ, **ENV}, cwd=ROOT, timeout=120)


def _children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            found += [int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except OSError:
            pass
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.fixture
def killed_mid_step(tmp_path):
    """A run killed (its pid alone) while step 2's command runs; returns (kb, ledger, the command's pid)."""
    if not Path("/proc/self/task").is_dir():
        pytest.skip("reads children from /proc")
    kb = tmp_path / "kb"
    assert runbook(kb, "init").returncode == 0
    ledger = tmp_path / "ledger"
    (kb / "runbooks" / "ledger.md").write_text(RUNBOOK.format(ledger=ledger), encoding="utf-8")
    assert runbook(kb, "trust", "ledger", "--yes").returncode == 0  # --yes runs only what this operator trusted
    run = subprocess.Popen([sys.executable, "-c", CODE, "--kb", str(kb), "run", "ledger", "--yes", "--no-tui"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **ENV}, cwd=ROOT,
                           start_new_session=True)
    deadline = time.monotonic() + 60
    step = None
    while time.monotonic() < deadline and step is None:
        step = next((pid for pid in _children(run.pid) if "sleep 1.5" in _cmdline(pid)), None)
        time.sleep(0.01)
    assert step is not None, "step 2 never started"
    time.sleep(0.2)  # its pid is in the run state
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    yield kb, ledger, step
    try:
        os.killpg(step, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _resume(kb: Path, answers: str) -> subprocess.CompletedProcess:
    listed = runbook(kb, "resume")
    run_id = listed.stdout.split()[0]
    assert "step 2/3 (1 recorded)" in listed.stdout
    return runbook(kb, "resume", run_id, "--no-tui", input=answers)


def test_resume_says_the_step_may_have_run_and_asks_before_running_it_again(killed_mid_step):
    kb, ledger, pid = killed_mid_step
    result = _resume(kb, "r\nn\nd\nr\ny\n")
    assert result.returncode == 0, result.stdout + result.stderr
    warning = next(line for line in result.stdout.splitlines() if "may already have run" in line)
    assert warning.strip().startswith("warning: step 2 may already have run `trap '' HUP; sleep 1.5; echo appended >> ")
    assert f"pid {pid}, started 20" in warning
    assert "It may already have run. Run it again? [y/N]" in result.stdout
    time.sleep(2)  # the command the killed run started has finished by now
    assert ledger.read_text().splitlines() == ["appended"]  # ran once: the operator said no, then marked it done
    record = next((kb / "runs").glob("*.md")).read_text(encoding="utf-8")
    assert "- note: interrupted: step 2 may already have run" in record


def test_a_yes_runs_it_again(killed_mid_step):
    kb, ledger, _ = killed_mid_step
    result = _resume(kb, "r\ny\nr\ny\n")
    assert result.returncode == 0, result.stdout + result.stderr
    time.sleep(2)
    assert ledger.read_text().splitlines() == ["appended", "appended"]
    assert result.stdout.count("warning: step 2 may already have run") == 1  # said for step 2 only
    assert result.stdout.count("Run it again?") == 1 and "warning: step 3" not in result.stdout


def test_the_other_steps_are_asked_as_before(killed_mid_step):
    kb, _, _ = killed_mid_step
    result = _resume(kb, "d\nr\ny\n")
    assert result.returncode == 0
    after = result.stdout.split("Step 3/3", 1)[1]
    assert "Run it? [y/N]" in after and "may already have run" not in after
