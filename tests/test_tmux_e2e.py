"""End to end: the real `runbook` in a real terminal (tmux), driven by keys, read from the screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from conftest import ROOT, SAMPLES

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _tmux(session: str, *args: str) -> list[str]:
    """tmux on a server of the session's own (`-L`): a tmux server already running (the developer's own, the
    one this test suite runs in) starts a new session's command with its environment, not the test's HOME."""
    return ["tmux", "-L", session, *args]


def _screen(session: str) -> str:
    return subprocess.run(_tmux(session, "capture-pane", "-t", session, "-p"), capture_output=True, text=True).stdout


def _wait_for(session: str, text: str, seconds: float = 15.0) -> str:
    deadline = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < deadline:
        screen = _screen(session)
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared on screen:\n{screen}")


def test_runbook_in_tmux_finds_a_pasted_error(kb, tmp_path):
    from kb.ingest import ingest

    ingest(kb, [SAMPLES])
    kb.close()
    session = f"runbook-e2e-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "HOME": str(tmp_path), "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    command = f"{sys.executable} -m runbook.cli --kb {kb.root}"
    subprocess.run(_tmux(session, "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command), check=True, env=env)
    try:
        _wait_for(session, "known errors in")
        subprocess.run(_tmux(session, "send-keys", "-t", session, "-l",
                        "pydantic.errors.PydanticImportError: `BaseSettings` has been moved"), check=True)
        screen = _wait_for(session, "Root cause")
        assert "PydanticImportError" in screen
        subprocess.run(_tmux(session, "send-keys", "-t", session, "F3"), check=True)
        _wait_for(session, "Platform")
        subprocess.run(_tmux(session, "send-keys", "-t", session, "C-q"), check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and subprocess.run(_tmux(session, "has-session", "-t", session),
                                                              capture_output=True).returncode == 0:
            time.sleep(0.1)
        assert subprocess.run(_tmux(session, "has-session", "-t", session), capture_output=True).returncode != 0
    finally:
        subprocess.run(_tmux(session, "kill-server"), capture_output=True)


def test_the_tui_hands_its_terminal_to_a_prompt_and_a_password_and_comes_back(kb, tmp_path):
    """The real App.suspend(): the run screen gives way to the command, the operator answers it there."""
    from terminal_helpers import SECRET, classes_runbook, write_askpass

    kb.repo.config_writer().set_value("user", "name", "Ann Op").release()
    kb.repo.config_writer().set_value("user", "email", "ann@example.com").release()
    log = tmp_path / "app.log"
    log.write_text("a marker line\n")
    (kb.runbooks_dir / "classes.md").write_text(classes_runbook(write_askpass(tmp_path), log), encoding="utf-8")
    kb.close()
    session = f"runbook-e2e-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "HOME": str(tmp_path), "TERM": "xterm-256color", "PYTHONPATH": str(ROOT),
           "ASKPASS_WANTS": SECRET}
    command = f"{sys.executable} -m runbook.cli --kb {kb.root} run classes"
    subprocess.run(_tmux(session, "new-session", "-d", "-s", session, "-x", "110", "-y", "34", command), check=True, env=env)

    def wait(text: str) -> str:
        return _wait_for(session, text, seconds=40.0)  # generous: a loaded machine starts Textual slowly

    def keys(*names: str) -> None:
        subprocess.run(_tmux(session, "send-keys", "-t", session, *names), check=True)

    def run_step() -> None:
        keys("r")
        wait("Run exactly this command?")
        keys("y")

    try:
        wait("Step 1/5: Confirm with a prompt")
        run_step()
        wait("has your terminal")
        screen = wait("\nType yes:")
        assert "t In terminal" not in screen  # the run screen gave way to the command
        subprocess.run(_tmux(session, "send-keys", "-t", session, "-l", "yes"), check=True)
        keys("Enter")
        wait("Step 2/5: Unlock with a password")  # and came back
        run_step()
        wait("\n[check] password for ann:")
        subprocess.run(_tmux(session, "send-keys", "-t", session, "-l", SECRET), check=True)
        keys("Enter")
        wait("Step 3/5: See a terminal")
        run_step()
        wait("Step 4/5: List in colour")
        run_step()
        wait("Step 5/5: Follow the log")
        run_step()
        wait("e ends it")
        with log.open("a") as handle:
            handle.write("one more line\n")
        wait("one more line")
        keys("e")
        wait("Run completed")
        keys("q")
    finally:
        subprocess.run(_tmux(session, "kill-server"), capture_output=True)
    record = sorted((kb.root / "runs").glob("*.md"))[-1].read_text(encoding="utf-8")
    assert "outcome: completed" in record and "access granted" in record and "True True" in record
    assert "Type yes: [typed]" in record and "one more line" in record
    history = subprocess.run(["git", "log", "-p"], cwd=kb.root, capture_output=True, text=True).stdout
    assert SECRET not in history and SECRET not in record
