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


def _screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True, text=True).stdout


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
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], check=True, env=env)
    try:
        _wait_for(session, "known errors in")
        subprocess.run(["tmux", "send-keys", "-t", session, "-l",
                        "pydantic.errors.PydanticImportError: `BaseSettings` has been moved"], check=True)
        screen = _wait_for(session, "Root cause")
        assert "PydanticImportError" in screen
        subprocess.run(["tmux", "send-keys", "-t", session, "F3"], check=True)
        _wait_for(session, "Platform")
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and subprocess.run(["tmux", "has-session", "-t", session],
                                                              capture_output=True).returncode == 0:
            time.sleep(0.1)
        assert subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode != 0
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
