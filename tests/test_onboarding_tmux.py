"""End to end in a real terminal (tmux): a newcomer walks the Redis topic, answers its drill, walks its dry
run and finishes; the record is committed as the name they gave."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import git
import pytest

from conftest import ROOT
from onboarding_reports import write_reports
from test_tmux_e2e import _screen, _tmux, _wait_for

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _keys(session: str, *keys: str, literal: bool = False) -> None:
    subprocess.run(_tmux(session, "send-keys", "-t", session, *(["-l"] if literal else []), *keys), check=True)


def test_a_newcomer_walks_a_topic_with_its_drill_in_tmux(kb, tmp_path):
    from kb.ingest import ingest

    ingest(kb, [write_reports(tmp_path / "in")])
    kb.close()
    session = f"runbook-onboard-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config"),
           "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    command = f"{sys.executable} -m runbook.cli --kb {kb.root}"
    subprocess.run(_tmux(session, "new-session", "-d", "-s", session, "-x", "120", "-y", "45", command), check=True, env=env)
    try:
        _wait_for(session, "known errors in", 30)
        _keys(session, "F5")
        _wait_for(session, "redis")
        _keys(session, "Enter")
        _wait_for(session, "Who is reading?")  # no git identity on this machine: asked, as the run form does
        _keys(session, "Ada Ops <ada@example.com>", literal=True)
        _keys(session, "Enter")
        _wait_for(session, "How redis is set up here")
        assert "pool_size: 50" in _screen(session)
        for title in ("What went wrong with redis", "The errors you will meet with redis",
                      "Procedures and checklists that touch redis", "Lessons learned about redis",
                      "Another machine printed this"):
            _keys(session, "n")
            _wait_for(session, title)
        screen = _screen(session)
        assert "6379" in screen and "maxclients" not in screen  # the error, not yet its fix
        _keys(session, "raise maxclients", literal=True)
        _keys(session, "Enter")
        _wait_for(session, "The recorded fix")
        _keys(session, "g")
        _wait_for(session, "got it")
        _keys(session, "n")
        _wait_for(session, "Practice: a dry run of c1")
        assert "redis-cli -h cache-01 ping" in _screen(session)
        _keys(session, "n")
        _wait_for(session, "Completed redis as Ada Ops")
        _keys(session, "C-q")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and subprocess.run(_tmux(session, "has-session", "-t", session),
                                                              capture_output=True).returncode == 0:
            time.sleep(0.1)
    finally:
        subprocess.run(_tmux(session, "kill-server"), capture_output=True)
    head = git.Repo(kb.root).head.commit
    assert (head.author.name, head.author.email) == ("Ada Ops", "ada@example.com")
    assert head.message.startswith("onboard: Ada Ops completed redis (drills 1/1)")
    record = (kb.root / head.message.split("Record: ")[1].strip()).read_text(encoding="utf-8")
    assert "**got it**" in record and "answered: raise maxclients" in record and "c1 · Checklist before a deploy" in record
