"""Runbook runs with real subprocesses and real git repositories in temp dirs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT, SAMPLES, run_cli
from kb.runs.runner import CommandRun
from kb.runs.records import RunStore

SMOKE = """---
title: Smoke test
variables: GREETING=hello
---
# Smoke test

- [ ] Say hello
  ```bash
  echo "$GREETING from ${PORT:-8000}"
  # expected: hello from
  ```
- [ ] Use the token
  ```bash
  echo "auth with API_TOKEN=$API_TOKEN" && test -n "$API_TOKEN"
  ```
"""

FAILING = """# Broken deploy

- [ ] Start the proxy
  ```bash
  echo "Error response from daemon: Bind for 0.0.0.0:8080 failed: port is already allocated"; exit 1
  ```
- [ ] Never reached
  ```bash
  echo after
  ```
"""

TREE = """---
title: Port busy tree
---
# Port busy tree

```mermaid
graph TD
    A[Service will not start] --> B{Port in use?}
    B -->|yes| C[Stop the old process]
    B -->|no| D{Config valid?}
    D -->|yes| E[Read the logs]
    D -->|no| F[Fix the config]
```
"""

SLOW = """# Slow

- [ ] Wait too long
  ```bash
  sleep 30
  ```
"""

TRUSTED = """---
title: Trusted
trusted: true
---
# Trusted

- [ ] Write a marker
  ```bash
  touch "$MARKER_FILE"
  ```
"""


@pytest.fixture
def kbdir(kb):
    kb.repo.config_writer().set_value("user", "name", "Ann Op").release()
    kb.repo.config_writer().set_value("user", "email", "ann@example.com").release()
    for name, text in (("smoke", SMOKE), ("broken", FAILING), ("tree", TREE), ("slow", SLOW), ("trusted", TRUSTED)):
        (kb.runbooks_dir / f"{name}.md").write_text(text, encoding="utf-8")
    kb.close()
    return kb.root


def _record(kbdir):
    records = sorted((kbdir / "runs").glob("*.md"))
    assert records, "no run record written"
    return records[-1].read_text(encoding="utf-8")


def test_a_passing_run_is_recorded_and_committed_as_the_operator(runner, kbdir):
    answers = "9000\n\nsecret-token-123\nr\ny\nr\ny\n"
    result = run_cli(runner, kbdir, "run", "smoke", "--no-tui", input=answers)
    assert result.exit_code == 0, result.output
    assert "hello from 9000" in result.output
    import git

    repo = git.Repo(kbdir)
    head = repo.head.commit
    assert head.message.splitlines()[0] == "run: Smoke test [smoke] completed 2/2"
    assert (head.author.name, head.author.email) == ("Ann Op", "ann@example.com")
    record = _record(kbdir)
    assert "outcome: completed" in record and "exit code: 0" in record and "PORT=9000" in record


def test_commands_are_shown_exactly_and_never_run_without_a_yes(runner, kbdir, tmp_path):
    marker = tmp_path / "marker"
    result = run_cli(runner, kbdir, "run", "trusted", "--no-tui", "--var", f"MARKER_FILE={marker}",
                     input="r\nn\na\n")
    assert f'touch "{marker}"' in result.output and "Run it?" in result.output
    assert not marker.exists()
    refused = run_cli(runner, kbdir, "run", "smoke", "--no-tui", "--yes", input="")
    assert refused.exit_code == 2 and "runbook trust smoke" in refused.stderr
    assert run_cli(runner, kbdir, "trust", "trusted", "--yes").exit_code == 0
    trusted = run_cli(runner, kbdir, "run", "trusted", "--no-tui", "--yes", "--var", f"MARKER_FILE={marker}",
                      input="r\n")
    assert trusted.exit_code == 0 and marker.exists() and "Run it?" not in trusted.output


def test_a_failing_step_shows_known_fixes_from_the_kb(runner, kbdir):
    run_cli(runner, kbdir, "ingest", str(SAMPLES))
    result = run_cli(runner, kbdir, "run", "broken", "--no-tui", input="r\ny\nf\nn\n")
    assert result.exit_code == 1
    assert "Known fixes for this output" in result.output
    assert "docker-compose-reporting-outage" in result.output  # the report with this error's fix
    assert "outcome: failed" in _record(kbdir) and "after" not in _record(kbdir).split("Never reached")[1][:80]


def test_a_learned_fix_becomes_a_searchable_report(runner, kbdir):
    answers = "r\ny\nl\nold proxy container kept the port\ndocker rm -f old-proxy before starting\nf\nn\n"
    result = run_cli(runner, kbdir, "run", "broken", "--no-tui", input=answers)
    assert "the next search finds it" in result.output
    found = run_cli(runner, kbdir, "search", "--json", "Bind for 0.0.0.0:8080 failed: port is already allocated")
    import json

    top = json.loads(found.stdout)[0]
    assert "docker rm -f old-proxy" in top["fix"] and top["report"]["path"].startswith("reports/learned-")


def test_a_timeout_kills_the_command_and_fails_the_step(runner, kbdir):
    start = time.monotonic()
    result = run_cli(runner, kbdir, "run", "slow", "--no-tui", "--timeout", "1", input="r\ny\nf\n")
    assert time.monotonic() - start < 10
    assert "timed out after 1 s" in result.output
    assert "status: **failed**" in _record(kbdir)


def _group_members(pgid: int) -> list[int]:
    members = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(pid))
    return members


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_cancel_kills_the_whole_process_group():
    command = CommandRun("sleep 300 | cat & (sleep 300; echo never) & sleep 300", timeout=60)
    done: dict = {}
    worker = threading.Thread(target=lambda: done.setdefault("result", command.run()))
    worker.start()
    for _ in range(100):
        time.sleep(0.02)
        if command.pid and len(_group_members(command.pid)) >= 4:
            break
    pgid = command.pid
    assert len(_group_members(pgid)) >= 4
    command.cancel()
    worker.join(timeout=10)
    assert done["result"].cancelled and done["result"].exit_code is None
    assert _group_members(pgid) == []


def test_variables_are_prompted_once_with_defaults_and_secrets_masked(runner, kbdir):
    result = run_cli(runner, kbdir, "run", "smoke", "--no-tui", input="\n\ntop-secret-xyz\nr\ny\nr\ny\n")
    assert "PORT [8000]:" in result.output
    assert "hello from 8000" in result.output
    assert 'auth with API_TOKEN=••••••' in result.output.split("About to run exactly")[2]


def test_a_decision_tree_is_walked_by_the_operators_choices(runner, kbdir):
    # the first node has a single way on: Enter follows it, nobody is asked to pick "1"
    result = run_cli(runner, kbdir, "run", "tree", "--no-tui", input="\n2\n1\ny\n")
    assert result.exit_code == 0, result.output
    assert "Step 1: Service will not start" in result.output
    assert "Step 2 · 2 choices: Port in use?" in result.output
    assert "Step 3 · 2 choices: Config valid?" in result.output
    assert "Step 4 · the end: Read the logs" in result.output
    record = _record(kbdir)
    path = [line for line in record.splitlines() if line.startswith("## ")]
    assert path == ["## 1. [x] Service will not start", "## 2. [x] Port in use?", "## 3. [x] Config valid?",
                    "## 4. [x] Read the logs"]
    assert "Path taken (4 steps): Service will not start → Port in use? → Config valid? → Read the logs" in record
    assert "chose: no" in record and "chose: yes" in record
    import git

    assert git.Repo(kbdir).head.commit.message.splitlines()[0] == "run: Port busy tree [tree] completed"


def test_a_tree_walk_that_ends_unresolved_fails_at_that_node(runner, kbdir):
    result = run_cli(runner, kbdir, "run", "tree", "--no-tui", input="\n1\nn\n")
    assert result.exit_code == 1, result.output
    import git

    assert git.Repo(kbdir).head.commit.message.splitlines()[0] == "run: Port busy tree [tree] failed at Stop the old process"
    assert "outcome: failed" in _record(kbdir)


def test_a_tree_dry_run_names_nodes_by_their_text(runner, kbdir):
    result = run_cli(runner, kbdir, "run", "tree", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "then: Port in use?" in result.output
    assert "yes -> Stop the old process" in result.output and "no -> Config valid?" in result.output
    import re

    assert not re.search(r"(?m)(?:->|then:) [A-F]$", result.output), result.output  # no internal node ids


def test_from_starts_at_the_chosen_step(runner, kbdir):
    result = run_cli(runner, kbdir, "run", "smoke", "--no-tui", "--from", "2", input="\n\ntok-123456\nd\n")
    assert result.exit_code == 0
    assert "Step 1/2" not in result.output and "Step 2/2" in result.output
    assert "before --from" in _record(kbdir)


def test_no_secret_reaches_the_git_history(runner, kbdir):
    secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    run_cli(runner, kbdir, "run", "smoke", "--no-tui", input=f"\n\n{secret}\nr\ny\nr\ny\n")
    (kbdir / "runbooks" / "leaky.md").write_text(
        "# Leaky\n\n- [ ] call\n  ```bash\n  echo 'Authorization: Bearer abcdef1234567890' password=hunter22 "
        "https://bob:pa55word@db.example.com\n  ```\n", encoding="utf-8")
    run_cli(runner, kbdir, "run", "leaky", "--no-tui", input="r\ny\n")
    history = subprocess.run(["git", "log", "-p", "--all"], cwd=kbdir, capture_output=True, text=True).stdout
    for leaked in (secret, "abcdef1234567890", "hunter22", "pa55word"):
        assert leaked not in history
    assert "[REDACTED:" in history


def test_a_commit_that_cannot_happen_keeps_the_record_and_retries(runner, kbdir):
    lock = kbdir / ".git" / "index.lock"
    lock.write_text("")
    result = run_cli(runner, kbdir, "run", "smoke", "--no-tui", input="\n\ntok-abcdef\nr\ny\nr\ny\n")
    assert "the next start commits it" in result.output
    record = sorted((kbdir / "runs").glob("*.md"))[-1]
    assert record.exists()
    lock.unlink()
    again = run_cli(runner, kbdir, "list")
    assert "committed the record of run" in again.stderr
    import git

    assert git.Repo(kbdir).head.commit.message.startswith("run: Smoke test [smoke] completed")


def test_no_git_identity_commits_as_the_fallback_identity_and_says_so(runner, kb):
    (kb.runbooks_dir / "hello.md").write_text("# Hello\n\n- [ ] hi\n  ```bash\n  echo hi\n  ```\n", encoding="utf-8")
    kb.close()
    result = run_cli(runner, kb.root, "run", "hello", "--no-tui", input="r\ny\n")
    assert result.exit_code == 0, result.output
    assert "committed as runbook <runbook@localhost>" in result.output
    import git

    head = git.Repo(kb.root).head.commit
    assert (head.author.name, head.author.email) == ("runbook", "runbook@localhost")
    assert head.message.startswith("run: Hello [hello] completed")
    assert "runs/" not in git.Repo(kb.root).git.status("--porcelain")


def test_kill_9_mid_run_then_resume_loses_nothing(kbdir, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "runbook.cli", "--kb", str(kbdir), "run", "smoke", "--no-tui"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    process.stdin.write(b"7000\n\ntoken-first\nr\ny\n")
    process.stdin.flush()
    store = RunStore(__import__("kb.store.knowledge_base", fromlist=["KnowledgeBase"]).KnowledgeBase(kbdir))
    run_id = None
    for _ in range(600):  # generous: a loaded machine can take seconds to start the process
        time.sleep(0.05)
        rows = list(store.db.query("select r.id, s.status from runs r join steps s on s.run_id = r.id "
                                   "where s.position = 0"))
        if rows and rows[0]["status"] == "done":
            run_id = rows[0]["id"]
            break
    assert run_id, "step 1 was never recorded"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=5)
    listed = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(kbdir), "resume"], capture_output=True,
                            text=True, env=env)
    assert run_id in listed.stdout and "step 2/2" in listed.stdout
    resumed = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(kbdir), "resume", run_id, "--no-tui"],
                             input="token-second\nr\ny\n", capture_output=True, text=True, env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    record = _record(kbdir)
    assert "hello from 7000" in record  # step 1's output survived the kill
    assert "outcome: completed" in record and "token-second" not in record
    store.close()
