"""Commands run as in the operator's own terminal: a pty, prompts, passwords, colour, follow mode.

Real processes in real pseudo-terminals: the runner's pty, and a second pty standing for the
operator's terminal (tests/terminal_helpers.py), typed into as a person would.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from conftest import run_cli
from kb.runs.runner import CommandRun, Terminal
from terminal_helpers import SECRET, Operator, classes_runbook, runbook_argv, runbook_env, write_askpass


def _answer(operator: Operator, prompt: str, answer: str) -> threading.Thread:
    """The person at the terminal: waits for the prompt, then types the answer and Enter."""
    def act() -> None:
        operator.expect(prompt, seconds=60)
        operator.line(answer)

    thread = threading.Thread(target=act, daemon=True)
    thread.start()
    return thread


def _terminal(operator: Operator) -> Terminal:
    return Terminal(operator.slave, operator.slave)


# -- the runner: a pty for every command --------------------------------------------------------------------

def test_a_command_sees_a_terminal_on_stdin_and_stdout():
    lines: list[str] = []
    result = CommandRun("python3 -c 'import sys; print(sys.stdin.isatty(), sys.stdout.isatty())'",
                        on_output=lines.append).run()
    assert result.exit_code == 0
    assert result.output.strip() == "True True"
    assert lines == ["True True\n"]


def test_colour_reaches_the_live_lines_and_never_the_kept_output(tmp_path):
    (tmp_path / "words.txt").write_text("a marker line\n")
    lines: list[str] = []
    result = CommandRun(f"grep --color=auto marker {tmp_path / 'words.txt'}; ls --color=auto -d {tmp_path}",
                        on_output=lines.append).run()
    assert result.exit_code == 0
    assert any("\x1b[" in line and "marker" in line for line in lines)  # grep saw a terminal and coloured
    assert "\x1b" not in result.output and "a marker line" in result.output and str(tmp_path) in result.output


def test_output_is_line_buffered_as_on_a_terminal():
    """Python buffers a pipe but flushes each line to a terminal: the first line arrives before the second."""
    arrivals: list[float] = []
    start = time.monotonic()
    CommandRun("python3 -c 'import time; print(\"one\"); time.sleep(1.5); print(\"two\")'",
               on_output=lambda line: arrivals.append(time.monotonic() - start)).run()
    assert len(arrivals) == 2 and arrivals[1] - arrivals[0] > 1.0


def test_a_progress_meter_is_kept_as_its_last_drawing():
    result = CommandRun(r"printf 'copy 10%%\rcopy 50%%\rcopy 100%%\n'; printf '\033[1;32mok\033[0m\n'").run()
    assert result.output == "copy 100%\nok\n"


def test_a_prompt_typed_into_on_the_operators_terminal(tmp_path):
    operator = Operator()
    try:
        helper = _answer(operator, "Type yes:", "yes")
        result = CommandRun('read -p "Type yes: " answer && test "$answer" = yes && echo confirmed').run(
            _terminal(operator))
        helper.join(5)
        assert result.exit_code == 0 and result.attached
        assert "confirmed" in result.output
        assert "Type yes: [typed]" in result.output  # what the operator typed is not kept
    finally:
        operator.close()


def test_a_password_asked_through_dev_tty_is_answered_and_never_kept(tmp_path):
    askpass = write_askpass(tmp_path)
    operator = Operator()
    try:
        helper = _answer(operator, "password for ann:", SECRET)
        result = CommandRun(f"python3 {askpass}", env={"ASKPASS_WANTS": SECRET}).run(_terminal(operator))
        helper.join(5)
        assert result.exit_code == 0 and "access granted" in result.output
        assert SECRET not in result.output
        assert SECRET.encode() not in operator.seen  # echo was off: not even the screen showed it
    finally:
        operator.close()


def test_a_program_run_without_a_shell_still_has_the_pty_as_its_terminal(tmp_path):
    """ssh to another host runs with no bash in between: the pty must be its controlling terminal itself."""
    askpass = write_askpass(tmp_path)
    operator = Operator()
    try:
        helper = _answer(operator, "password for ann:", SECRET)
        result = CommandRun("askpass", argv=[sys.executable, str(askpass)], env={"ASKPASS_WANTS": SECRET}).run(
            _terminal(operator))
        helper.join(5)
        assert result.exit_code == 0 and "access granted" in result.output, result.output
    finally:
        operator.close()


def test_a_prompt_nobody_expected_is_noticed_and_the_terminal_handed_over_mid_run(tmp_path):
    askpass = write_askpass(tmp_path)
    operator = Operator()
    waited: list[str] = []
    command = CommandRun(f"echo before; python3 {askpass}", env={"ASKPASS_WANTS": SECRET})

    def hand_over(prompt: str) -> None:
        waited.append(prompt)
        _answer(operator, "password for ann:", SECRET)
        command.attach(_terminal(operator), wait=False, replay=True)

    command.on_waiting = hand_over
    try:
        result = command.run()
        assert waited == ["[check] password for ann:"]
        assert result.exit_code == 0 and result.attached
        assert result.output.startswith("before\n") and "access granted" in result.output
        assert b"before" in operator.seen  # the replay showed what it printed before the prompt
        assert SECRET not in result.output
    finally:
        operator.close()


def test_a_prompt_is_noticed_by_its_echo_being_off_whatever_it_says(tmp_path):
    askpass = write_askpass(tmp_path)
    waited: list[str] = []
    command = CommandRun(f"python3 {askpass}", env={"ASKPASS_PROMPT": "one time code please "})
    command.on_waiting = lambda prompt: (waited.append(prompt), command.cancel())
    result = command.run()
    assert waited == ["one time code please"] and result.cancelled


def test_a_follow_command_ended_by_the_operator_is_complete(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("started\n")
    lines: list[str] = []
    command = CommandRun(f"tail -f {log}", follow=True, timeout=0.5, on_output=lines.append)
    appender = threading.Timer(1.0, lambda: log.open("a").write("request served\n"))
    appender.start()
    ender = threading.Timer(2.5, command.end)
    ender.start()
    result = command.run()
    assert result.ended and not result.timed_out and not result.cancelled  # no timeout for what runs until stopped
    assert result.output == "started\nrequest served\n"
    assert lines == ["started\n", "request served\n"]


def test_a_followed_log_is_checked_against_what_was_expected_when_it_ends(runner, kb, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("worker started\n")
    (kb.runbooks_dir / "watch.md").write_text(
        f"# Watch\n\n- [ ] Watch it come up\n  ```bash\n  tail -f {log}\n  # expected: \"ready to serve\"\n  ```\n",
        encoding="utf-8")
    kb.close()
    from kb.runs import runbooks
    from kb.runs.walk import RunWalk
    from kb.store.knowledge_base import KnowledgeBase

    knowledge = KnowledgeBase(kb.root)
    walk = RunWalk.start(knowledge, runbooks.load(knowledge, "watch"), "Ann Op", {}, set())
    command = walk.commands()[0]
    threading.Timer(1.5, walk.end).start()
    _, verdict = walk.run_command(command)
    assert verdict.passed is False and verdict.reason.startswith("followed for")
    assert "output lacks 'ready to serve'" in verdict.reason
    log.open("a").write("ready to serve\n")
    threading.Timer(1.5, walk.end).start()
    _, verdict = walk.run_command(command)
    assert verdict.passed is True, verdict
    walk.finish("completed")


def test_a_timeout_still_kills_a_command_that_was_expected_to_end():
    result = CommandRun("sleep 30", timeout=0.5).run()
    assert result.timed_out and result.exit_code is None and result.duration < 5


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
@pytest.mark.parametrize("under_nohup", [False, True], ids=["plain", "under-nohup"])
def test_a_killed_run_leaves_no_command_behind(tmp_path, under_nohup):
    """kill -9 of runbook mid-command: the pty closes, the session is hung up, its processes go; also when
    runbook itself was started with SIGHUP ignored, as `nohup` starts it (the command must not inherit that)."""
    marker = tmp_path / "pid"
    script = ("import sys; sys.path.insert(0, %r); from kb.runs.runner import CommandRun; "
              "CommandRun('sleep 300 & echo $! > %s; sleep 300').run()") % (str(tmp_path.parent), marker)
    ignore_hup = (lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN)) if under_nohup else None
    process = subprocess.Popen([sys.executable, "-c", script], cwd=os.getcwd(), start_new_session=True,
                               env={**os.environ, "PYTHONPATH": os.getcwd()}, preexec_fn=ignore_hup)
    for _ in range(200):
        if marker.exists() and marker.read_text().strip():
            break
        time.sleep(0.05)
    child = int(marker.read_text())
    os.kill(child, 0)  # running
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    for _ in range(200):  # 10 s: CI's loaded machine once needed more than 5
        if not _alive(child):
            break
        time.sleep(0.05)
    assert not _alive(child), f"the command outlived the run that started it: {_described(child)}"


def _described(pid: int) -> str:
    """state, parent, process group, session and terminal of a process (what /proc/PID/stat says), for a failure
    to say why a process was still there."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return f"state {fields[0]}, ppid {fields[1]}, pgid {fields[2]}, sid {fields[3]}, tty {fields[4]}"
    except OSError:
        return "gone"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# -- the CLI, at a real terminal ---------------------------------------------------------------------------

@pytest.fixture
def classes_kb(kb, tmp_path):
    kb.repo.config_writer().set_value("user", "name", "Ann Op").release()
    kb.repo.config_writer().set_value("user", "email", "ann@example.com").release()
    askpass = write_askpass(tmp_path)
    log = tmp_path / "app.log"
    log.write_text("a marker line\n")
    (kb.runbooks_dir / "classes.md").write_text(classes_runbook(askpass, log), encoding="utf-8")
    (kb.runbooks_dir / "classes-trusted.md").write_text(classes_runbook(askpass, log, trusted=True), encoding="utf-8")
    kb.close()
    return kb.root, log


def _no_secret_anywhere(kb_root, secret: str) -> None:
    history = subprocess.run(["git", "log", "-p", "--all"], cwd=kb_root, capture_output=True, text=True).stdout
    assert secret not in history
    for path in (kb_root / "runs").rglob("*.md"):
        assert secret not in path.read_text(encoding="utf-8")
    with sqlite3.connect(kb_root / ".runbook" / "runs.sqlite") as db:
        assert not any(secret in str(value) for row in db.execute("select * from steps") for value in row)
        assert not any(secret in str(value) for row in db.execute("select * from runs") for value in row)


def test_no_tui_at_a_terminal_runs_every_class_as_an_operator_expects(classes_kb, tmp_path):
    kb_root, log = classes_kb
    operator = Operator(runbook_argv(kb_root, "run", "classes", "--no-tui"),
                        env=runbook_env(tmp_path, ASKPASS_WANTS=SECRET))
    try:
        operator.expect("needs your terminal (read waits for a line from you)")
        operator.expect("[r]un [t]erminal")
        operator.line("r")
        operator.expect("Run it?")
        operator.line("y")
        operator.expect("runbook hands it your terminal")
        operator.expect("Type yes: ")
        operator.line("yes")
        operator.expect("✓ exit code 0")
        operator.expect("[r]un")
        operator.line("r")  # the password program is not known to need a terminal: it is noticed at its prompt
        operator.expect("Run it?")
        operator.line("y")
        operator.expect("it waits for input")
        operator.line(SECRET)
        operator.expect("✓ output has 'access granted'")
        operator.expect("[r]un")
        operator.line("r")
        operator.expect("Run it?")
        operator.line("y")
        operator.expect("| True True")
        operator.expect("[r]un")
        operator.line("r")
        operator.expect("Run it?")
        operator.line("y")
        screen = operator.expect("✓ exit code 0")
        assert "\x1b[01;31mmarker" in screen  # grep coloured its match; only the colour reached the screen
        operator.expect("follows until you stop it")
        operator.expect("[r]un")
        operator.line("r")
        operator.expect("Run it?")
        operator.line("y")
        operator.expect("| a marker line")
        log.open("a").write("one more line\n")
        operator.expect("| one more line")
        operator.type("\x03")  # ctrl+c ends what follows: the step completes
        operator.expect("✓ followed for")
        assert operator.wait() == 0, operator.text
        assert "Run completed" in operator.text
    finally:
        operator.close()
    assert SECRET.encode() not in operator.seen
    record = sorted((kb_root / "runs").glob("*.md"))[-1].read_text(encoding="utf-8")
    assert "outcome: completed" in record
    assert "Type yes: [typed]" in record and "access granted" in record and "True True" in record
    assert "one more line" in record and "\x1b" not in record
    _no_secret_anywhere(kb_root, SECRET)


def test_a_step_with_no_command_is_not_offered_a_run(runner, kb):
    (kb.runbooks_dir / "manual.md").write_text("# Manual\n\n- [ ] Call the on-call lead\n", encoding="utf-8")
    kb.close()
    result = run_cli(runner, kb.root, "run", "manual", "--no-tui", input="d\n")
    assert result.exit_code == 0, result.output
    assert "[d]one [s]kip" in result.output and "[r]un" not in result.output
    refused = run_cli(runner, kb.root, "run", "manual", "--no-tui", input="r\nd\n")
    assert "Error: 'r' is not one of" in refused.output


def test_unattended_runs_refuse_a_terminal_or_follow_step_before_anything_runs(runner, classes_kb, tmp_path):
    kb_root, _ = classes_kb
    run_cli(runner, kb_root, "trust", "classes-trusted", "--yes")  # --yes runs only what this operator trusted
    result = run_cli(runner, kb_root, "run", "classes-trusted", "--no-tui", "--yes")
    assert result.exit_code == 2
    assert "step 1 (Confirm with a prompt) needs a terminal" in result.output
    assert "(nothing was run)" in result.output
    assert not list((kb_root / "runs").glob("*.md"))
    (kb_root / "runbooks" / "follows.md").write_text(
        "---\ntrusted: true\n---\n# Follows\n\n- [ ] ok\n  ```bash\n  true\n  ```\n- [ ] watch\n  ```bash\n"
        "  docker compose logs -f api\n  ```\n", encoding="utf-8")
    run_cli(runner, kb_root, "trust", "follows", "--yes")  # --yes runs only what this operator trusted
    follows = run_cli(runner, kb_root, "run", "follows", "--no-tui", "--yes")
    assert follows.exit_code == 2 and "step 2 (watch) runs until stopped" in follows.output


def test_unattended_runs_take_the_authors_non_interactive_forms(runner, kb, tmp_path):
    kb.repo.config_writer().set_value("user", "name", "Ann Op").release()
    kb.repo.config_writer().set_value("user", "email", "ann@example.com").release()
    (kb.runbooks_dir / "forms.md").write_text(
        "---\ntrusted: true\n---\n# Forms\n\n- [ ] bounded follow\n  ```bash\n  timeout 1 tail -f /dev/null; "
        "echo stopped\n  # expected: stopped\n  ```\n- [ ] a prompt fed from a file\n  ```bash\n"
        "  read -r answer < /etc/hostname && echo \"read $answer\"\n  # expected: read\n  ```\n", encoding="utf-8")
    kb.close()
    run_cli(runner, kb.root, "trust", "forms", "--yes")  # --yes runs only what this operator trusted
    result = run_cli(runner, kb.root, "run", "forms", "--no-tui", "--yes")
    assert result.exit_code == 0, result.output


def test_an_unattended_command_waiting_for_input_is_stopped_not_left_hanging(runner, kb, tmp_path):
    askpass = write_askpass(tmp_path)
    (kb.runbooks_dir / "hidden.md").write_text(
        f"---\ntrusted: true\n---\n# Hidden prompt\n\n- [ ] unlock\n  ```bash\n  python3 {askpass}\n  ```\n",
        encoding="utf-8")
    kb.close()
    start = time.monotonic()
    run_cli(runner, kb.root, "trust", "hidden", "--yes")  # --yes runs only what this operator trusted
    result = run_cli(runner, kb.root, "run", "hidden", "--no-tui", "--yes")
    assert time.monotonic() - start < 30
    assert result.exit_code == 1
    assert "stopped: it waited for input ('[check] password for ann:')" in result.output


def test_an_unattended_command_reading_its_input_gets_end_of_file_as_from_dev_null(runner, kb):
    (kb.runbooks_dir / "reads.md").write_text(
        "---\ntrusted: true\n---\n# Reads\n\n- [ ] drain\n  ```bash\n  cat; wc -l; echo \"input ended\"\n"
        "  # expected: input ended\n  ```\n", encoding="utf-8")
    kb.close()
    start = time.monotonic()
    run_cli(runner, kb.root, "trust", "reads", "--yes")  # --yes runs only what this operator trusted
    result = run_cli(runner, kb.root, "run", "reads", "--no-tui", "--yes", "--timeout", "60")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - start < 30  # not the 60 s timeout: nobody types, so the reads end


def test_dry_run_marks_terminal_and_follow_commands(runner, classes_kb):
    kb_root, _ = classes_kb
    result = run_cli(runner, kb_root, "run", "classes", "--dry-run")
    assert "needs your terminal (read waits for a line from you)" in result.output
    assert "follows until you stop it (tail -f follows the file)" in result.output


def test_a_password_typed_as_soon_as_its_prompt_shows_is_never_echoed(kb, tmp_path):
    """The captured command's prompt shows before runbook notices it waits and hands the terminal over; an
    operator who types the password at once must not see it echoed (nor anyone behind them)."""
    askpass = write_askpass(tmp_path)
    (kb.runbooks_dir / "unlock.md").write_text(
        f"# Unlock\n\n- [ ] Unlock\n  ```bash\n  python3 {askpass}\n  # expected: access granted\n  ```\n",
        encoding="utf-8")
    kb.close()
    operator = Operator(runbook_argv(kb.root, "run", "unlock", "--no-tui"),
                        env=runbook_env(tmp_path, ASKPASS_WANTS=SECRET))
    try:
        operator.expect("[r]un")
        operator.line("r")
        operator.expect("Run it?")
        operator.line("y")
        operator.expect("password for ann: ")
        operator.line(SECRET)  # at once: runbook has not handed the terminal over yet
        operator.expect("✓ output has 'access granted'")
        assert operator.wait() == 0, operator.text
    finally:
        operator.close()
    assert SECRET.encode() not in operator.seen
