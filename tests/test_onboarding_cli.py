"""`runbook onboard` as a user meets it: in a pipe, with --all and --json, and page by page on a real
terminal (a pty) with a drill, a dry run and the record committed as whoever is reading."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time

import git
import pytest

from conftest import ROOT, run_cli
from onboarding_reports import write_reports

PAGE_TITLES = ("How redis is set up here", "What went wrong with redis, in time order",
               "The errors you will meet with redis (2), most frequent first",
               "Procedures and checklists that touch redis", "Lessons learned about redis", "Practice: drill 1 of 1",
               "Practice: a dry run of c1")


@pytest.fixture
def cache_kb(runner, tmp_path):
    """A KB of our reports with no git identity (a fresh machine): whose a record is must come from runbook."""
    kbdir = tmp_path / "kb"
    run_cli(runner, kbdir, "init", str(kbdir))
    assert run_cli(runner, kbdir, "ingest", str(write_reports(tmp_path / "in"))).exit_code == 0
    return kbdir


def _env(tmp_path) -> dict:
    return {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config"), "COLUMNS": "100",
            "LINES": "40", "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}


def _read_until(fd: int, wanted: bytes, seconds: float = 30) -> bytes:
    out = b""
    deadline = time.monotonic() + seconds
    while wanted not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    if wanted not in out:
        raise AssertionError(f"{wanted!r} never came:\n{out.decode('utf-8', 'replace')[-3000:]}")
    return out


def _plain(data: bytes) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", data.decode("utf-8", "replace"))


class Terminal:
    """`runbook` on a real terminal: both stdin and stdout a pty, as an operator runs it."""

    def __init__(self, args: list[str], env: dict) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([sys.executable, "-m", "runbook.cli", *args], stdin=slave, stdout=slave,
                                        stderr=slave, cwd=ROOT, env=env, close_fds=True)
        os.close(slave)
        self.seen = b""
        self.position = 0  # what expect() has matched so far: the next expect looks after it

    def expect(self, text: str, seconds: float = 60) -> str:
        """Wait until `text` is printed after what was last expected; the screen so far, as plain text."""
        wanted = text.encode()
        deadline = time.monotonic() + seconds
        while self.seen.find(wanted, self.position) < 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never came:\n{_plain(self.seen[-3000:])}")
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk and self.process.poll() is not None:
                    raise AssertionError(f"{text!r} never came (the process ended):\n{_plain(self.seen[-3000:])}")
                self.seen += chunk
        self.position = self.seen.find(wanted, self.position) + len(wanted)
        return _plain(self.seen)

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self, seconds: float = 60) -> int:
        """Wait for the process, reading what it still prints (a full pty would block it), then tidy up."""
        deadline = time.monotonic() + seconds
        try:
            while self.process.poll() is None and time.monotonic() < deadline:
                ready, _, _ = select.select([self.master], [], [], 0.1)
                if ready:
                    try:
                        self.seen += os.read(self.master, 65536)
                    except OSError:
                        time.sleep(0.05)
            if self.process.poll() is None:
                self.process.kill()
            return self.process.wait(timeout=10)
        finally:
            os.close(self.master)


def test_in_a_pipe_onboard_prints_the_whole_walkthrough_and_asks_nothing(cache_kb, tmp_path):
    """`runbook onboard redis | cat` from a terminal: stdin is a terminal, stdout a pipe."""
    master, slave = pty.openpty()
    try:
        result = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(cache_kb), "onboard", "redis"],
                                stdin=slave, capture_output=True, text=True, cwd=ROOT, env=_env(tmp_path), timeout=120)
    finally:
        os.close(slave)
        os.close(master)
    assert result.returncode == 0, result.stderr
    assert "Aborted" not in result.stdout + result.stderr and "[n]ext" not in result.stdout
    assert result.stdout.startswith("# Onboarding: redis\n")
    for number, title in enumerate(PAGE_TITLES, start=1):
        assert f"## {number}. {title}\n" in result.stdout
    assert "FINAL-STEP-MARKER" in result.stdout and "#### The recorded fix:" in result.stdout
    assert not list((cache_kb / "runs").glob("onboarding/*.md"))  # reading in a pipe records nothing


def test_with_stdin_not_a_terminal_onboard_prints_the_walkthrough_and_asks_nothing(cache_kb, tmp_path):
    """`… | runbook onboard redis` or a script with stdin closed: output on a terminal, nothing to answer with."""
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "runbook.cli", "--kb", str(cache_kb), "onboard", "redis"],
                               stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, cwd=ROOT, env=_env(tmp_path),
                               close_fds=True)
    os.close(slave)
    try:
        screen = _plain(_read_until(master, b"## 7. Practice: a dry run of c1"))
    finally:
        code = process.wait(timeout=60)
        os.close(master)
    assert code == 0 and "[n]ext" not in screen and "Aborted" not in screen
    assert "# Onboarding: redis" in screen


def test_onboard_all_prints_the_whole_walkthrough_even_on_a_terminal(cache_kb, tmp_path):
    terminal = Terminal(["--kb", str(cache_kb), "onboard", "redis", "--all"], _env(tmp_path))
    screen = terminal.expect("## 7. Practice: a dry run of c1")
    assert terminal.close() == 0
    assert "[n]ext" not in screen and "Aborted" not in screen and "## 1. How redis is set up here" in screen


def test_onboard_json_gives_the_walkthroughs_structure(runner, cache_kb):
    result = run_cli(runner, cache_kb, "onboard", "redis", "--json")
    data = json.loads(result.stdout)
    assert [page["title"] for page in data["pages"]] == list(PAGE_TITLES)
    assert [page["kind"] for page in data["pages"]][-2:] == ["drill", "dry-run"]
    assert data["topic"] == "redis" and "6379" in data["names"]
    assert sorted(data["errors"][0]["refs"]) == ["e1", "e3"] and len(data["errors"][0]["write_ups"]) == 2
    assert data["drills"][0]["ref"] in ("e1", "e3") and data["dry_run"]["ref"] == "c1"
    assert data["setup"][0]["source"]["path"] == "reports/cache-outage.en.md"


def test_on_a_terminal_a_walkthrough_asks_a_drill_walks_a_dry_run_and_records_whose_it_is(cache_kb, tmp_path):
    env = _env(tmp_path)
    terminal = Terminal(["--kb", str(cache_kb), "onboard", "redis", "--operator", "Alice Ops <alice@example.com>"], env)
    try:
        for _ in range(5):  # the reading pages
            terminal.expect("[n]ext [p]revious [q]uit")
            terminal.send("n\n")
        screen = terminal.expect("Your answer")
        assert "Another machine printed this" in screen and "6379" in screen
        terminal.send("raise maxclients and roll the workers\n")
        screen = terminal.expect("Did you get it?")
        assert "The recorded fix" in screen and "shares" not in screen and "share: " in screen
        terminal.send("y\n")
        terminal.expect("Recorded: got it.")
        terminal.expect("[n]ext")
        terminal.send("n\n")
        screen = terminal.expect("step 1 of 3")
        assert "redis-cli -h cache-01 ping" in screen
        terminal.send("\n")
        terminal.expect("step 2 of 3")
        terminal.send("\n")
        terminal.expect("step 3 of 3")
        terminal.expect("[f]inish")
        terminal.send("f\n")
        screen = terminal.expect("Completed the redis walkthrough as Alice Ops <alice@example.com>")
    finally:
        code = terminal.close()
    assert code == 0
    head = git.Repo(cache_kb).head.commit
    assert head.author.name == "Alice Ops" and head.author.email == "alice@example.com"
    assert head.message.startswith("onboard: Alice Ops completed redis (drills 1/1)")
    record = next((cache_kb / "runs" / "onboarding").glob("*-redis-alice-ops.md")).read_text(encoding="utf-8")
    assert "operator: Alice Ops <alice@example.com>" in record and "**got it**" in record
    assert "answered: raise maxclients and roll the workers" in record and "c1 · Checklist before a deploy: walked" in record
    team = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(cache_kb), "onboard", "--team"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=60).stdout
    assert "Alice Ops <alice@example.com>  redis  completed" in team and "drills 1 of 1 got" in team


def test_leaving_at_a_prompt_keeps_the_page_and_says_so_without_a_raw_abort(cache_kb, tmp_path):
    env = _env(tmp_path)
    terminal = Terminal(["--kb", str(cache_kb), "onboard", "redis"], env)
    try:
        screen = terminal.expect("[n]ext [p]revious [q]uit")
        assert "no git identity" in screen and "runbook <runbook@localhost>" in screen  # said, not silent
        terminal.send("n\n")
        terminal.expect("[2/7]")
        terminal.expect("[n]ext [p]revious [q]uit")
        terminal.send("\x04")  # ctrl+d at the prompt
        screen = terminal.expect("resumes where you were")
    finally:
        code = terminal.close()
    assert code == 0 and "Aborted!" not in screen
    again = Terminal(["--kb", str(cache_kb), "onboard", "redis"], env)
    try:
        assert "Resuming at page 2 of 7." in again.expect("[n]ext [p]revious [q]uit")
        again.send("q\n")
        again.expect("resumes at page 2")
    finally:
        assert again.close() == 0


def test_an_unknown_topic_is_a_one_line_error(runner, cache_kb):
    result = run_cli(runner, cache_kb, "onboard", "cobol")
    assert result.exit_code == 1 and result.stderr.startswith("error: no topic 'cobol'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_topic_is_opened_by_any_of_its_names(runner, cache_kb):
    assert run_cli(runner, cache_kb, "onboard", "redis-cli").stdout.startswith("# Onboarding: redis")
