"""`runbook run NAME --on HOST`: every step through the system's ssh, to a real sshd started here.

The sshd has its own host key, authorized_keys and a high port on 127.0.0.1 (`-D -e -f config`);
ssh is pointed at it with `RUNBOOK_SSH="ssh -F <config>"`. Skipped where sshd is not installed.
"""

from __future__ import annotations

import threading

import pytest

from conftest import run_cli
from pilot_wait import until
from terminal_helpers import Operator, runbook_argv, runbook_env, start_sshd

REMOTE = """---
title: Remote check
trusted: {trusted}
---
# Remote check

- [ ] Where am I
  ```bash
  echo "connected from ${{SSH_CONNECTION%% *}}"
  # expected: connected from 127.0.0.1
  ```
- [ ] See a terminal there
  ```bash
  python3 -c 'import sys; print(sys.stdin.isatty(), sys.stdout.isatty())'
  # expected: True True
  ```
"""

PROMPT_STEP = """- [ ] Confirm there
  ```bash
  read -p "Type yes: " answer && test "$answer" = yes && echo "confirmed on $(hostname)"
  # expected: confirmed on
  ```
"""


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    if server is None:
        pytest.skip("sshd is not installed or cannot start here")
    yield server
    server.stop()


@pytest.fixture
def remote_kb(kb, sshd, monkeypatch):
    monkeypatch.setenv("RUNBOOK_SSH", f"ssh -F {sshd.config}")
    kb.repo.config_writer().set_value("user", "name", "Ann Op").release()
    kb.repo.config_writer().set_value("user", "email", "ann@example.com").release()
    (kb.runbooks_dir / "remote.md").write_text(REMOTE.format(trusted="true"), encoding="utf-8")
    (kb.runbooks_dir / "remote-prompt.md").write_text(REMOTE.format(trusted="false") + PROMPT_STEP, encoding="utf-8")
    kb.close()
    return kb.root


def _record(kb_root) -> str:
    return sorted((kb_root / "runs").glob("*.md"))[-1].read_text(encoding="utf-8")


def test_an_unattended_run_on_another_host_goes_through_ssh_and_names_the_host(runner, remote_kb, sshd):
    run_cli(runner, remote_kb, "trust", "remote", "--yes")  # --yes runs only what this operator trusted
    result = run_cli(runner, remote_kb, "run", "remote", "--no-tui", "--yes", "--on", sshd.alias)
    assert result.exit_code == 0, result.output
    assert "| connected from 127.0.0.1" in result.output
    assert "| True True" in result.output  # a pseudo-terminal on that host too
    record = _record(remote_kb)
    assert f"host: {sshd.alias}" in record and "via: ssh from" in record
    assert f"Commands ran on `{sshd.alias}`" in record


def test_a_host_that_cannot_be_reached_is_one_line_and_nothing_runs(runner, remote_kb, sshd, tmp_path, monkeypatch):
    config = tmp_path / "ssh_config"
    config.write_text(sshd.config.read_text().replace(f"Port {sshd.port}", "Port 1"))
    monkeypatch.setenv("RUNBOOK_SSH", f"ssh -F {config}")
    run_cli(runner, remote_kb, "trust", "remote", "--yes")  # --yes runs only what this operator trusted
    result = run_cli(runner, remote_kb, "run", "remote", "--no-tui", "--yes", "--on", sshd.alias)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: --on {sshd.alias}: could not connect: ssh: connect to host")
    assert "(nothing was run)" in result.output and "Traceback" not in result.output
    assert not (remote_kb / "runs").exists() or not list((remote_kb / "runs").glob("*.md"))
    bad = run_cli(runner, remote_kb, "run", "remote", "--no-tui", "--on", "-oProxyCommand=x")
    assert bad.exit_code == 1 and "give a host as ssh takes it" in bad.output


def test_a_terminal_step_on_another_host_gets_the_operators_terminal(remote_kb, sshd, tmp_path):
    operator = Operator(runbook_argv(remote_kb, "run", "remote-prompt", "--no-tui", "--on", sshd.alias),
                        env=runbook_env(tmp_path, RUNBOOK_SSH=f"ssh -F {sshd.config}"))
    try:
        for _ in range(2):
            operator.expect("[r]un")
            operator.line("r")
            operator.expect("Run it?")
            operator.line("y")
            operator.expect("✓ ")
        operator.expect("[r]un")
        operator.line("r")
        operator.expect("Run it?")
        operator.line("y")
        operator.expect("Type yes: ")
        operator.line("yes")
        operator.expect("✓ output has 'confirmed on'")
        assert operator.wait() == 0, operator.text
    finally:
        operator.close()
    record = _record(remote_kb)
    assert "outcome: completed" in record and f"host: {sshd.alias}" in record
    assert "Type yes: [typed]" in record


async def test_the_run_screen_runs_steps_on_the_host(remote_kb, sshd):
    from kb.runs import runbooks
    from kb.runs.remote import SshTarget
    from kb.runs.runner import Terminal
    from kb.runs.walk import RunWalk
    from kb.store.knowledge_base import KnowledgeBase
    from runbook.app import RunbookApp

    kb = KnowledgeBase(remote_kb)
    remote = SshTarget.parse(sshd.alias)
    remote.connect(unattended=True)
    operator = Operator()
    try:
        walk = RunWalk.start(kb, runbooks.load(kb, "remote-prompt"), "Ann Op <ann@example.com>", {}, set(),
                             remote=remote)
        app = RunbookApp(kb, run_walk=walk, run_options={"author": ("Ann Op", "ann@example.com")})
        app.handover_terminal = Terminal(operator.slave, operator.slave)
        async with app.run_test(size=(110, 34)) as pilot:
            await until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and bool(app.screen.query("#step-title")))
            await until(pilot, lambda: f"on {sshd.alias}" in (app.screen.sub_title or ""))
            for position in range(3):
                if position == 2:
                    threading.Thread(target=lambda: (operator.expect("Type yes: ", 60), operator.line("yes")),
                                     daemon=True).start()
                await pilot.press("r")
                await until(pilot, lambda: type(app.screen).__name__ == "ConfirmCommand")
                await pilot.press("y")
                await until(pilot, lambda: walk.finished or walk.run.current > position, tries=1200)
            await until(pilot, lambda: walk.finished, tries=1200)
        assert walk.run.outcome == "completed", [s.check for s in walk.run.steps]
        assert "connected from 127.0.0.1" in walk.run.steps[0].output
        assert walk.run.steps[2].output.startswith("Type yes: [typed]")
    finally:
        remote.close()
        operator.close()


def test_an_interrupted_run_on_another_host_resumes_there(runner, remote_kb, sshd):
    from kb.runs import runbooks
    from kb.runs.remote import SshTarget
    from kb.runs.walk import RunWalk
    from kb.store.knowledge_base import KnowledgeBase

    kb = KnowledgeBase(remote_kb)
    remote = SshTarget.parse(sshd.alias)
    remote.connect(unattended=True)
    try:
        walk = RunWalk.start(kb, runbooks.load(kb, "remote"), "Ann Op <ann@example.com>", {}, set(), remote=remote)
        walk.note("the laptop's lid closed here")
        walk.store.close()  # interrupted here: this process is the run's, and it is not running it any more
    finally:
        remote.close()
    result = run_cli(runner, remote_kb, "resume", walk.run.id, "--no-tui", input="r\ny\nr\ny\n")
    assert result.exit_code == 0, result.output
    assert f"Resuming Remote check at step 1/2 on {sshd.alias}" in result.output
    assert "| connected from 127.0.0.1" in result.output  # through ssh again, not here
    record = _record(remote_kb)
    assert "outcome: completed" in record and f"host: {sshd.alias}" in record
    assert "connected from 127.0.0.1" in record
