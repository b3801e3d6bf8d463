"""The search server (runbook/search_server.py): real `runbook search` processes, a real server process
on a real Unix socket, real KBs. It must answer exactly as the in-process search does, see what changed
on disk, never be needed (killed, off, declined: the search still answers), and stop by itself."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES, ingest_report

CARD_QUERY = "Error: listen EADDRINUSE: address already in use :::3000"
NO_MATCH = "zqxwv flurbo grommet unmatched"


@pytest.fixture
def sockets(monkeypatch):
    """A private socket folder of the test's own (short: a socket's path must fit in 108 bytes), with the
    server allowed; any server left is stopped, then killed."""
    folder = tempfile.mkdtemp(prefix="rbs-")
    monkeypatch.setenv("RUNBOOK_SERVER_DIR", folder)
    monkeypatch.setenv("RUNBOOK_SEARCH_SERVER", "on")
    yield Path(folder)
    from runbook.cli import search_client

    status = search_client.ask({"status": True})
    search_client.ask({"stop": True})
    if status:
        _wait_gone(status["pid"])
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def samples_kb(kb):
    from kb.ingest import ingest

    ingest(kb, [SAMPLES])
    return kb


def _search(kb_root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(kb_root), "search", *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env or dict(os.environ))
    return done.returncode, done.stdout, done.stderr


def _status() -> dict | None:
    from runbook.cli import search_client

    return search_client.ask({"status": True})


def _wait_for_server(kb_root: Path, seconds: float = 60.0, not_pid: int | None = None) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = _status()
        if status and str(kb_root) in status["kbs"] and status["pid"] != not_pid:
            return status
        time.sleep(0.1)
    raise AssertionError("the search server did not come up")


def _wait_gone(pid: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def _off() -> dict[str, str]:
    return {**os.environ, "RUNBOOK_SEARCH_SERVER": "off"}


def test_the_server_answers_every_shape_of_search_exactly_as_the_in_process_search(samples_kb, sockets):
    first = _search(samples_kb.root, CARD_QUERY)  # no server yet: in-process, and it starts one
    assert first[0] == 0 and "EADDRINUSE" in first[1]
    assert _wait_for_server(samples_kb.root)["served"] == 0
    shapes = [(CARD_QUERY,), ("--json", CARD_QUERY), ("-k", "1", CARD_QUERY), (NO_MATCH,), ("--json", NO_MATCH),
              ("ssh: connect to host port 22: Connection timed out",)]
    for shape in shapes:
        assert _search(samples_kb.root, *shape) == _search(samples_kb.root, *shape, env=_off()), shape
    assert _status()["served"] == len(shapes)  # each answered by the server, not in-process
    assert _search(samples_kb.root, NO_MATCH)[0] == 1  # nothing found: exit 1, as in-process


def test_a_report_ingested_after_the_server_opened_the_kb_is_found_by_it(samples_kb, sockets, tmp_path):
    _search(samples_kb.root, CARD_QUERY)
    _wait_for_server(samples_kb.root)
    served = _status()["served"]
    assert _search(samples_kb.root, "FluxCapacitorOverload: coil 7 drew 1210 amps")[1].count("FluxCapacitor") == 0
    ingest_report(samples_kb, tmp_path, "flux.md", "# Flux coil incident\n\n## Error\n\n```\nFluxCapacitorOverload: "
                  "coil 7 drew 1210 amps\n```\n\n**Root cause**: the coil limiter was bypassed.\n\n"
                  "**Fix**: restored the limiter and capped the coil at 1000 amps.\n")
    code, out, _ = _search(samples_kb.root, "FluxCapacitorOverload: coil 7 drew 1210 amps")
    assert code == 0 and "restored the limiter" in out.split("\n\n")[0]
    assert _status()["served"] == served + 2  # the server itself saw the new report


def test_a_server_killed_alone_with_kill_9_costs_the_next_search_nothing(samples_kb, sockets):
    expected = _search(samples_kb.root, CARD_QUERY, env=_off())
    _search(samples_kb.root, CARD_QUERY)
    killed = _wait_for_server(samples_kb.root)["pid"]
    os.kill(killed, signal.SIGKILL)
    _wait_gone(killed)
    assert _search(samples_kb.root, CARD_QUERY) == expected  # its socket is left: searched in-process
    again = _wait_for_server(samples_kb.root, not_pid=killed)  # and a new server took the socket's name
    assert _search(samples_kb.root, CARD_QUERY) == expected
    assert _status()["served"] == again["served"] + 1


def test_with_the_server_off_none_starts_and_a_running_one_is_not_asked(samples_kb, sockets):
    _search(samples_kb.root, CARD_QUERY, env=_off())
    time.sleep(1.0)
    assert not list(sockets.iterdir())  # none started
    _search(samples_kb.root, CARD_QUERY)
    _wait_for_server(samples_kb.root)
    served = _status()["served"]
    assert _search(samples_kb.root, CARD_QUERY, env=_off())[0] == 0
    assert _status()["served"] == served


def test_by_default_a_small_kb_starts_no_server_and_makes_no_folder(samples_kb, sockets):
    env = {key: value for key, value in os.environ.items() if key != "RUNBOOK_SEARCH_SERVER"}  # auto
    env["RUNBOOK_SERVER_DIR"] = str(sockets / "not-yet")
    assert _search(samples_kb.root, CARD_QUERY, env=env)[0] == 0
    time.sleep(1.0)
    assert not list(sockets.iterdir())  # 19 reports: far below the 1,000 that make it worth a process


def test_a_socket_folder_others_can_open_is_never_used(samples_kb, sockets):
    sockets.chmod(0o755)
    assert _search(samples_kb.root, CARD_QUERY)[0] == 0
    time.sleep(1.0)
    assert not list(sockets.iterdir())


def test_an_idle_server_stops_by_itself_and_removes_its_socket(samples_kb, sockets):
    env = {**os.environ, "RUNBOOK_SEARCH_SERVER_IDLE": "1"}
    _search(samples_kb.root, CARD_QUERY, env=env)
    pid = _wait_for_server(samples_kb.root)["pid"]
    _wait_gone(pid, seconds=15)  # idle 1 s, looked at every 2 s
    assert not list(sockets.iterdir())


def test_a_kb_that_is_not_there_gets_the_same_one_line_error_with_a_server_running(samples_kb, sockets, tmp_path):
    _search(samples_kb.root, CARD_QUERY)
    _wait_for_server(samples_kb.root)
    missing = tmp_path / "no-kb-here"
    code, out, err = _search(missing, CARD_QUERY)
    assert (code, out, err) == _search(missing, CARD_QUERY, env=_off())
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1


def test_a_served_search_imports_nothing_of_the_search_itself(samples_kb, sockets):
    _search(samples_kb.root, CARD_QUERY)
    _wait_for_server(samples_kb.root)
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "runbook.cli", "--kb", str(samples_kb.root),
                           "search", CARD_QUERY], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0 and "EADDRINUSE" in done.stdout
    modules = {line.split("|")[2].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    ours = {name for name in modules if name.split(".")[0] in ("kb", "runbook")}
    assert ours <= {"runbook", "runbook.cli", "runbook.cli.__main__", "runbook.cli.search_client", "runbook.pager"}, \
        sorted(ours)
    assert not {"sqlite3", "json", "socket", "re"} & modules


def test_runbook_server_start_status_and_stop(samples_kb, sockets, runner):
    from runbook.cli import cli

    assert runner.invoke(cli, ["server", "status"]).exit_code == 1
    started = runner.invoke(cli, ["--kb", str(samples_kb.root), "server", "start"])
    assert started.exit_code == 0, started.output
    status = runner.invoke(cli, ["server", "status"])
    assert status.exit_code == 0 and f"open: {samples_kb.root}" in status.output
    pid = _status()["pid"]
    assert runner.invoke(cli, ["server", "stop"]).exit_code == 0
    _wait_gone(pid)
    assert runner.invoke(cli, ["server", "status"]).exit_code == 1


def test_a_server_whose_code_changed_declines_and_stops(samples_kb, sockets, tmp_path):
    """An upgrade under a running server: it answers no more (the new code does, in-process)."""
    import types

    from runbook import search_server

    probe = tmp_path / "probe.py"
    probe.write_text("", encoding="utf-8")
    module = types.ModuleType("runbook._test_probe")
    module.__file__ = str(probe)
    sys.modules[module.__name__] = module
    path = str(sockets / "probe.sock")
    server = search_server.SearchServer(search_server.listen(path), path, idle=60)
    try:
        message = {"search": ["--kb", str(samples_kb.root), "search", CARD_QUERY], "cwd": "/", "env": dict(os.environ),
                   "tty": False}
        assert server.handle(message)["served"]
        os.utime(probe, ns=(time.time_ns(), time.time_ns() + 10**9))
        server.code_checked = 0.0
        assert server.handle(message) == {"served": False} and server.stopping
    finally:
        del sys.modules[module.__name__]
        server.close()
    assert not os.path.exists(path)


def test_a_search_the_server_declines_is_answered_in_process_and_keeps_that_server(samples_kb, sockets):
    _search(samples_kb.root, CARD_QUERY)
    pid = _wait_for_server(samples_kb.root)["pid"]
    expected = _search(samples_kb.root, CARD_QUERY, env=_off())
    served = _status()["served"]
    state = samples_kb.root / ".runbook" / "index" / "generation.json"
    state.unlink()  # an index to rebuild: declined
    assert _search(samples_kb.root, CARD_QUERY) == expected  # rebuilt and answered in-process
    assert state.exists()  # the in-process search rebuilt it
    time.sleep(2.0)
    status = _status()
    assert status["pid"] == pid and status["served"] == served  # declined, and not replaced by a new server
    assert _search(samples_kb.root, CARD_QUERY) == expected
    assert _status()["served"] == status["served"] + 1  # the rebuilt index, opened again and served


def test_a_piped_paste_is_served_exactly_as_the_in_process_search_reads_it(samples_kb, sockets):
    _search(samples_kb.root, CARD_QUERY)
    _wait_for_server(samples_kb.root)
    log = "2026-01-02T03:04:05Z INFO starting api\n" + CARD_QUERY + "\nINFO exiting\n"

    def piped(*args: str, env=None, text: str = log) -> tuple[int, str, str]:
        done = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(samples_kb.root), "search", *args],
                              input=text, capture_output=True, text=True, timeout=120, cwd=ROOT,
                              env=env or dict(os.environ))
        return done.returncode, done.stdout, done.stderr

    served = _status()["served"]
    for shape in [(), ("-",), ("--json", "-"), ("-k", "1")]:
        answer = piped(*shape)
        assert answer[0] == 0 and "EADDRINUSE" in answer[1] and answer == piped(*shape, env=_off()), shape
    assert _status()["served"] == served + 4  # each read from the pipe and answered by the server
    empty = piped(text="  \n")  # declined: the in-process search says it, reading the same (empty) text
    assert empty == piped(env=_off(), text="  \n") and empty[0] == 2 and "empty" in empty[2]


def test_a_garbled_or_oversized_message_is_refused_and_the_server_goes_on(samples_kb, sockets):
    import socket

    from runbook.cli import search_client

    _search(samples_kb.root, CARD_QUERY)
    pid = _wait_for_server(samples_kb.root)["pid"]
    for payload in (b"\x00\x00\x00\x05hello", (search_client.MAX_MESSAGE + 1).to_bytes(4, "big") + b"x" * 100,
                    b"\x00\x00"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(search_client.socket_path())
            client.sendall(payload)
            client.shutdown(socket.SHUT_WR)
            try:
                assert client.recv(100) == b""  # no reply: the connection is closed
            except ConnectionResetError:  # closed with the oversized message unread
                pass
    assert _search(samples_kb.root, CARD_QUERY) == _search(samples_kb.root, CARD_QUERY, env=_off())
    assert _status()["pid"] == pid


def _wait_until_warmed(kb_root: Path, seconds: float = 60.0) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = _status()
        if status and str(kb_root) in status["kbs"] and not status["warming"]:
            return status
        time.sleep(0.1)
    raise AssertionError("the search server did not finish warming")


def test_an_idle_server_warms_with_the_kbs_most_seen_errors_and_answers_the_same(samples_kb, sockets, runner,
                                                                                monkeypatch):
    """While nobody asks, the server searches the KB's most-seen errors, answers thrown away, so a first
    paste finds the team's vocabulary loaded; what it answers stays the in-process search's, and
    RUNBOOK_SEARCH_SERVER_WARM=0 turns the warming off."""
    from runbook.cli import cli

    messages = samples_kb.store.conn.execute(
        "select count(*) from error_groups g join errors e on e.id = g.best where e.message != ''").fetchone()[0]
    assert messages > 20
    _search(samples_kb.root, CARD_QUERY)  # an in-process search starts the server
    status = _wait_until_warmed(samples_kb.root)
    assert status["warmed"][str(samples_kb.root)] == min(messages, 200)
    shown = runner.invoke(cli, ["server", "status"]).output
    assert f"warmed with {min(messages, 200)} of its most-seen errors" in shown
    pastes = [CARD_QUERY, "ECONNREFUSED 127.0.0.1:5432", "disk full no space left on device", NO_MATCH]
    assert [_search(samples_kb.root, paste) for paste in pastes] == [
        _search(samples_kb.root, paste, env=_off()) for paste in pastes]
    assert _status()["served"] == len(pastes)

    search_client_stop = runner.invoke(cli, ["server", "stop"])
    assert search_client_stop.exit_code == 0
    _wait_gone(status["pid"])
    monkeypatch.setenv("RUNBOOK_SEARCH_SERVER_WARM", "0")
    _search(samples_kb.root, CARD_QUERY)
    cold = _wait_until_warmed(samples_kb.root)
    assert cold["pid"] != status["pid"] and cold["warmed"][str(samples_kb.root)] == 0
    assert "warmed with" not in runner.invoke(cli, ["server", "status"]).output
