"""`kill -9` of one runbook process, as a user or the OOM killer does it: its workers go with it, and the
KB's write lock is free at once for the next writer (real processes, real SIGKILL of one pid)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads children from /proc")

ROOT = Path(__file__).resolve().parent.parent
CODE = "import sys; from runbook.cli import main; sys.argv[0] = 'runbook'; main()"


def _reports(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"outage-{number:04d}.md").write_text(
            f"# Outage {number}\n\n## Error: QuotaError: bucket b{number} refused the upload\n\n"
            f"```\nQuotaError: bucket b{number} refused the upload after 3 retries\n```\n\n"
            f"**Root cause**: bucket b{number} was full.\n\n**Fix**: raised the quota of b{number}.\n\n"
            + "".join(f"## Note {n}\n\nLine {n} of the timeline of outage {number}.\n\n" for n in range(30)),
            encoding="utf-8")
    return folder


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.com", **extra}
    env.pop("RUNBOOK_NO_PDEATHSIG", None)
    env.update(extra)
    return env


def _start(kbdir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A runbook process in a session of its own: its pid is also its process group's id."""
    return subprocess.Popen([sys.executable, "-c", CODE, "--kb", str(kbdir), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env or _env(), start_new_session=True, cwd=ROOT)


def _run(kbdir: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120):
    return subprocess.run([sys.executable, "-c", CODE, "--kb", str(kbdir), *args], capture_output=True, text=True,
                          env=env or _env(), timeout=timeout, cwd=ROOT)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.update(int(child) for child in handle.read().split())
    except OSError:
        pass
    return found


def _python(pid: int) -> bool:
    try:
        return "python" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _kill_alone(process: subprocess.Popen) -> None:
    """SIGKILL the one pid, as `kill -9 PID` does: its children are not signalled."""
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def _reap(pids: set[int]) -> None:
    for pid in pids:  # a test that failed must not leave its workers behind
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def kbdir(tmp_path) -> Path:
    path = tmp_path / "kb"
    assert _run(path, "init").returncode == 0
    return path


@pytest.mark.parametrize("how", ["signal", "watch"])
def test_a_killed_ingest_leaves_no_worker_and_no_lock(kbdir, tmp_path, how):
    """The pool's workers die with their parent, by the kernel's parent-death signal or (the portable way) by
    watching for the parent to go; the next ingest neither waits for the lock nor finds work undone."""
    folder = _reports(tmp_path / "in", 240)
    env = _env(**({"RUNBOOK_NO_PDEATHSIG": "1"} if how == "watch" else {}))
    ingest = _start(kbdir, "ingest", str(folder), env=env)
    workers: set[int] = set()
    try:
        assert _wait_for(lambda: bool({pid for pid in _children(ingest.pid) if _python(pid)}), 60), "no pool started"
        workers = {pid for pid in _children(ingest.pid) if _python(pid)}
        _kill_alone(ingest)
        assert _wait_for(lambda: not any(_alive(pid) for pid in workers), 3), "workers outlived their parent"
        began = time.monotonic()
        again = _run(kbdir, "ingest", str(folder), env=_env(RUNBOOK_LOCK_TIMEOUT="20"))
        assert again.returncode == 0, again.stderr
        assert "KB busy" not in again.stderr  # it started at once
        assert "failed 0" in again.stdout
        assert time.monotonic() - began < 60
        status = subprocess.run(["git", "status", "--porcelain"], cwd=kbdir, capture_output=True, text=True).stdout
        assert status == ""
    finally:
        _reap(workers)


def test_a_killed_reindex_leaves_no_index_writer_process(kbdir, tmp_path):
    """Whoosh's writer processes (a large batch, made small here) die with the reindex that started them."""
    folder = _reports(tmp_path / "in", 80)
    assert _run(kbdir, "ingest", str(folder)).returncode == 0
    reindex = _start(kbdir, "reindex", env=_env(RUNBOOK_PARALLEL_INDEX_DOCS="1"))
    seen: set[int] = set()
    writers: set[int] = set()

    def index_writers() -> bool:  # children that come after the parse pool's workers are gone
        now = {pid for pid in _children(reindex.pid) if _python(pid)}
        if not seen:
            seen.update(now)
            return False
        if now - seen and not (now & seen):
            writers.update(now - seen)
            return True
        seen.update(now)
        return False

    try:
        assert _wait_for(index_writers, 60), "no index writer process seen"
        _kill_alone(reindex)
        assert _wait_for(lambda: not any(_alive(pid) for pid in writers), 3), "index writers outlived their parent"
        again = _run(kbdir, "reindex", env=_env(RUNBOOK_LOCK_TIMEOUT="20"))
        assert again.returncode == 0 and "KB busy" not in again.stderr, again.stderr
    finally:
        _reap(writers | seen)


_HOLDER = """
import os, signal, subprocess, sys, time
from kb.store.knowledge_base import KnowledgeBase
from kb.store import lock
kb = KnowledgeBase(sys.argv[1])
with lock.write_lock(kb, "ingest"):
    mode = sys.argv[2]
    if mode == "fork":  # a child forked while the lock is held (as a pool worker is), then the parent dies
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        print(os.getpid(), flush=True)
    elif mode == "escaped":  # some process outside the holder's group kept the lock file open
        fd = lock._held[str(kb.derived_dir / lock.LOCK_NAME)].fd
        child = subprocess.Popen(["sleep", "30"], pass_fds=[fd], start_new_session=True)
        print(child.pid, flush=True)
    else:  # alive, holding it
        print(os.getpid(), flush=True)
        time.sleep(30)
    if mode != "alive":
        os.kill(os.getpid(), signal.SIGKILL)
"""


def _holder(kbdir: Path, mode: str) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen([sys.executable, "-c", _HOLDER, str(kbdir), mode], stdout=subprocess.PIPE, text=True,
                               cwd=ROOT, env=_env(), start_new_session=True)
    return process, int(process.stdout.readline())


def test_a_child_forked_by_the_holder_does_not_keep_the_lock(kbdir):
    """The holder's forked child closes its copy of the lock: once the holder is killed, the KB is free although
    the child (in the holder's own process group, so the group is not gone) lives on."""
    _run(kbdir, "reindex")
    holder, _ = _holder(kbdir, "fork")
    holder.wait(timeout=30)
    try:
        assert any(_alive(pid) for pid in _group(holder.pid))
        result = _run(kbdir, "reindex", env=_env(RUNBOOK_LOCK_TIMEOUT="3"))
        assert result.returncode == 0, result.stderr
        assert "KB busy" not in result.stderr  # it did not wait at all
    finally:
        _kill_group(holder.pid)


def _group(pgid: int) -> set[int]:
    found = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                    found.add(int(name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_a_lock_kept_by_a_process_outside_a_dead_holders_group_is_taken_over(kbdir):
    """The recorded holder is gone and its process group is empty, yet the lock file is still locked (another
    process kept it open): the next writer takes the lock over at once instead of waiting for its timeout."""
    _run(kbdir, "reindex")
    holder, keeper = _holder(kbdir, "escaped")
    holder.wait(timeout=30)
    try:
        assert _alive(keeper)
        result = _run(kbdir, "reindex", env=_env(RUNBOOK_LOCK_TIMEOUT="10"))
        assert result.returncode == 0, result.stderr
        assert "KB busy" not in result.stderr  # taken over at once, not after waiting
        assert _alive(keeper)  # nobody was killed: the lock file was replaced
    finally:
        _kill_group(keeper)


def test_a_lock_held_by_a_live_process_in_another_group_is_waited_for(kbdir):
    _run(kbdir, "reindex")
    holder, pid = _holder(kbdir, "alive")
    try:
        result = _run(kbdir, "reindex", env=_env(RUNBOOK_LOCK_TIMEOUT="2"))
        assert result.returncode == 1
        assert result.stderr.strip().splitlines()[-1].startswith(f"error: KB busy: another runbook process (pid {pid}, "
                                                                 "ingest) has been writing")
        record = json.loads((kbdir / ".runbook" / "write.lock").read_text())
        assert record["pid"] == pid and record["pgid"] == pid
    finally:
        _kill_group(holder.pid)
        holder.wait(timeout=30)


def test_copies_of_an_ingest_killed_before_its_store_are_undone_by_the_next_ingest(kbdir, tmp_path):
    """Killed while writing its copies (their records not stored yet): the next ingest, of another file, removes
    those copies (kb/store/copy_journal.py) instead of leaving them untracked for good."""
    folder = _reports(tmp_path / "in", 240)
    ingest = _start(kbdir, "ingest", str(folder))
    journal = kbdir / ".runbook" / "copies.json"
    try:
        assert _wait_for(lambda: journal.exists() and len(list((kbdir / "reports").glob("outage-*.md"))) >= 3, 60)
        os.kill(ingest.pid, signal.SIGKILL)
        ingest.communicate(timeout=30)
    finally:
        _reap(_children(ingest.pid))
    assert list((kbdir / "reports").glob("outage-*.md"))  # copies were left
    other = tmp_path / "other.md"
    other.write_text("# Kiln outage\n\n## Error: KilnError: kiln 3 cooled early\n\n**Fix**: relight kiln 3.\n",
                     encoding="utf-8")
    result = _run(kbdir, "ingest", str(other))
    assert result.returncode == 0, result.stderr
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=kbdir, capture_output=True,
                            text=True).stdout
    assert status == "", (status, result.stderr)
    assert not list((kbdir / "reports").glob("outage-*.md"))
    assert not journal.exists()


def test_an_ingest_killed_after_its_store_is_committed_whole_by_the_next_one(kbdir, tmp_path):
    """Killed after its records (and stable ids) were stored, before its commit: the next ingest commits the
    copies and refs.tsv with them; nothing stays modified for good. The KB has ingested before, so its
    source state says all was committed: only the mark the killed ingest left before its first copy
    (.runbook/sources.dirty) tells the next one to look for uncommitted copies."""
    first = tmp_path / "first.md"
    first.write_text("# Kiln outage\n\n## Error: KilnError: kiln 3 cooled early\n\n**Fix**: relight kiln 3.\n",
                     encoding="utf-8")
    assert _run(kbdir, "ingest", str(first)).returncode == 0
    folder = _reports(tmp_path / "in", 240)
    ingest = _start(kbdir, "ingest", str(folder), env=_env(RUNBOOK_PARALLEL_INDEX_DOCS="100000000"))
    journal, refs = kbdir / ".runbook" / "copies.json", kbdir / "refs.tsv"
    seen_journal = []
    try:
        def stored() -> bool:
            if journal.exists():
                seen_journal.append(True)
            return bool(seen_journal) and not journal.exists() and refs.exists()

        assert _wait_for(stored, 60)
        os.kill(ingest.pid, signal.SIGKILL)
        ingest.communicate(timeout=30)
    finally:
        _reap(_children(ingest.pid))
    head = subprocess.run(["git", "log", "--oneline"], cwd=kbdir, capture_output=True, text=True).stdout
    if "ingest: 240 reports" in head:
        pytest.skip("the ingest committed before it was killed")
    again = _run(kbdir, "ingest", str(folder))  # all stored already: only what was left to commit
    assert again.returncode == 0 and "ingested 0, unchanged 240" in again.stdout, again.stdout + again.stderr
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=kbdir, capture_output=True,
                            text=True).stdout
    assert status == ""
    assert len(json.loads(_run(kbdir, "list", "--json").stdout)) == 241


def test_a_git_command_outliving_its_killed_ingest_is_let_finish(kbdir, tmp_path):
    """Killed (its pid alone) while its `git add` runs: the git command goes on; the next ingest waits for it
    instead of removing its index.lock under it, and commits everything."""
    folder = _reports(tmp_path / "in", 240)
    ingest = _start(kbdir, "ingest", str(folder))
    git_child = []

    def git_running() -> bool:
        for pid in _children(ingest.pid):
            try:
                args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if args and args[0].endswith(b"git") and b"add" in args:
                git_child.append(pid)
                return True
        return False

    try:
        assert _wait_for(git_running, 120), "git add never started"
        os.kill(ingest.pid, signal.SIGKILL)
        ingest.communicate(timeout=30)
        again = _run(kbdir, "ingest", str(folder), env=_env(RUNBOOK_LOCK_TIMEOUT="20"))
        assert again.returncode == 0, again.stderr
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=kbdir,
                                capture_output=True, text=True).stdout
        assert status == "", status
        assert len(json.loads(_run(kbdir, "list", "--json").stdout)) == 240
    finally:
        _reap(set(git_child))
