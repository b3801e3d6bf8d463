"""Crash trials: `kill -9` at random moments, then recover, then count what was lost.

    python bench/crash_trials.py                      # 100 trials of each of the 6 kinds below
    python bench/crash_trials.py --runs 20 --ingests 20 --parent-runs 20 --parent-ingests 20 --parent-reindexes 20 \
        --added-ingests 20

Run trials: a 6-step runbook, trusted (`runbook trust drill --yes`), runs headless (`runbook run --yes --no-tui`); its whole process
group (python, the step's shell, any git child) gets SIGKILL at a random moment; then
`runbook resume ID --no-tui` finishes it. Counted: step outcomes lost or recorded twice, run records
committed other than exactly once, `git fsck` errors, commands (list, search, history) failing after.

Ingest trials: `runbook ingest` of 300 synthetic reports into a fresh KB, SIGKILLed at a random moment,
then a second `runbook ingest` of the same folder. Counted: reports missing from SQLite or from git,
copies differing from what SQLite recorded, `git fsck` errors, commands failing after (the second
ingest, list, search).

Adding trials: the same, into a KB that already holds all but 20 of the reports (ingested from the same
folder, settled): the killed ingest adds a few to a KB in use, as most ingests do.

Parent-alone trials (issue 22): the same, but SIGKILL goes to the runbook process's pid alone, as a user's
`kill -9 PID` or the OOM killer sends it: ingest's pool workers, Whoosh's writer processes, a git child and a
run step's shell are not signalled. Kinds: a headless run, an ingest of 300 reports, a reindex of them.

Every kind also counts: processes of the KB left alive once the recovery is done (any process, zombies aside,
whose command line names the KB or that holds a file in it open), the next write not starting within 5 s
(it runs with RUNBOOK_LOCK_TIMEOUT=5: a lock still held makes it fail "KB busy"), and `git status` not clean
after the recovery; run trials count an interrupted step whose resume did not say its command may have run.

Prints the figures README quotes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import write_corpus  # noqa: E402

STEPS = 6
RUNBOOK = "---\ntitle: Crash drill\n---\n# Crash drill\n\n" + "".join(
    f"- [ ] Step {n}\n  ```bash\n  sleep 0.2; echo step-{n}-ok\n  # expected: step-{n}-ok\n  ```\n" for n in range(1, STEPS + 1))
CODE = "import sys; from runbook.cli import main; sys.argv[0] = 'runbook'; main()"
ENV = {**os.environ, "RUNBOOK_SEARCH_SERVER": "off",  # every search in-process, as the trials were written
       "GIT_AUTHOR_NAME": "Crash Drill", "GIT_AUTHOR_EMAIL": "drill@example.com",
       "GIT_COMMITTER_NAME": "Crash Drill", "GIT_COMMITTER_EMAIL": "drill@example.com",
       # ingest stores its reports 50 at a time (not 500) into one transaction: a kill lands between batches too
       "RUNBOOK_STORE_BATCH": "50"}


NEXT_WRITE = {**ENV, "RUNBOOK_LOCK_TIMEOUT": "5"}  # the write right after a kill: a lock held longer fails it


def runbook(kb: Path, *args: str, input: str | None = None, timeout: float = 300,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CODE, "--kb", str(kb), *args], input=input, capture_output=True,
                          text=True, timeout=timeout, env=env or ENV)


def start(kb: Path, *args: str, input: str = "") -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", CODE, "--kb", str(kb), *args], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, stdin=subprocess.PIPE, start_new_session=True, env=ENV,
                               text=True)
    try:
        process.stdin.write(input)
        process.stdin.close()
    except OSError:
        pass
    return process


def kill_at(process: subprocess.Popen, seconds: float) -> bool:
    """SIGKILL the process group after `seconds`; False if it had already finished."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        time.sleep(0.005)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    process.wait()
    return True


def kill_alone_at(process: subprocess.Popen, seconds: float) -> bool:
    """SIGKILL the process's pid alone after `seconds` (its children are not signalled); False if it had
    already finished."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        time.sleep(0.005)
    process.step_running = step_running(process.pid)  # type: ignore[attr-defined]
    try:
        os.kill(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    process.wait()
    return True


def step_running(pid: int) -> bool:
    """Is a step's shell (`bash -c ... step-N-ok`) a child of the run right now?"""
    try:
        children = [int(c) for task in os.listdir(f"/proc/{pid}/task")
                    for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:
        return False
    for child in children:
        try:
            if b"step-" in Path(f"/proc/{child}/cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False


def reap_group(process: subprocess.Popen) -> None:
    """After the counting: whatever a failed trial left in the killed process's group goes."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kb_processes(kb: Path) -> list[str]:
    """Live processes (not zombies, not this one) that name the KB on their command line or hold a file in it."""
    if not os.path.isdir("/proc"):
        return []
    root = str(kb)
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            if Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            holds = any(os.readlink(f"/proc/{name}/fd/{fd}").startswith(root + "/")
                        for fd in os.listdir(f"/proc/{name}/fd"))
        except (OSError, IndexError):
            continue
        if root in cmdline or holds:
            found.append(f"{name}: {cmdline[:100]}")
    return found


def left_alive(kb: Path) -> int:
    """Processes of the KB still there (a second's grace for ones that are ending)."""
    deadline = time.monotonic() + 1.0
    while True:
        found = kb_processes(kb)
        if not found or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    for line in found:
        print(f"  left alive: {line}", file=sys.stderr)
    return len(found)


def waited(result: subprocess.CompletedProcess) -> bool:
    """Did the next write fail because the lock was still held after 5 s?"""
    late = "KB busy" in result.stderr and result.returncode != 0
    if late:
        print(f"  next write waited: {result.stderr.strip().splitlines()[-1][:160]}", file=sys.stderr)
    return late


def unclean(kb: Path) -> bool:
    status = git_lines(kb, "status", "--porcelain", "--untracked-files=all")
    if status:
        print(f"  git status: {status[:3]}", file=sys.stderr)
    return bool(status)


def traceback_in(result: subprocess.CompletedProcess) -> bool:
    failed = "Traceback" in result.stderr or result.returncode not in (0, 1)
    if failed:
        print(f"  failing: {' '.join(result.args[3:])[-120:]} -> {result.returncode}: "
              f"{result.stderr.strip().splitlines()[-1:] if result.stderr.strip() else ''}", file=sys.stderr)
    return failed


def fsck_errors(kb: Path) -> int:
    result = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=kb, capture_output=True, text=True)
    return 0 if result.returncode == 0 else max(1, len([l for l in result.stderr.splitlines() if "error" in l]))


def git_lines(kb: Path, *args: str) -> list[str]:
    return [l for l in subprocess.run(["git", *args], cwd=kb, capture_output=True, text=True).stdout.splitlines() if l]


def run_trials(work: Path, trials: int, rng: random.Random, alone: bool = False) -> dict[str, int]:
    counts = {"trials": trials, "killed mid-run": 0, "lost step outcomes": 0, "duplicated step outcomes": 0,
              "records not committed exactly once": 0, "git fsck errors": 0, "commands failing after": 0,
              "processes of the KB left alive": 0, "next write not started within 5 s": 0,
              "git status not clean": 0, "in-flight steps resumed without a warning": 0}
    template = work / ("run-template-alone" if alone else "run-template")
    ENV["XDG_STATE_HOME"] = str(work / "state")  # each copy is trusted here, not in the operator's own state
    runbook(template, "init")
    (template / "runbooks" / "drill.md").write_text(RUNBOOK, encoding="utf-8")
    subprocess.run(["git", "add", "runbooks"], cwd=template, capture_output=True)
    subprocess.run(["git", "commit", "-qm", "drill"], cwd=template, capture_output=True, env=ENV)
    runbook(template, "trust", "drill", "--yes")
    runbook(template, "search", "warm up")
    start_time = time.monotonic()  # the run alone: kills land within it
    full = runbook(template, "run", "drill", "--yes", "--no-tui", input="\n" * (STEPS + 2))
    duration = time.monotonic() - start_time
    assert full.returncode == 0, full.stderr
    subprocess.run(["git", "reset", "-q", "--hard", "HEAD~1"], cwd=template, capture_output=True)
    (template / ".runbook" / "runs.sqlite").unlink(missing_ok=True)
    for trial in range(trials):
        kb = work / f"run-{trial}"
        shutil.copytree(template, kb)
        runbook(kb, "trust", "drill", "--yes")  # trust is per KB path: a copy is another KB
        process = start(kb, "run", "drill", "--yes", "--no-tui", input="\n" * (STEPS + 2))
        if (kill_alone_at if alone else kill_at)(process, rng.uniform(0.05, duration)):
            counts["killed mid-run"] += 1
        # a step's command was running at the kill (it goes on: the kill reached the run's pid alone)
        in_flight = alone and getattr(process, "step_running", False)
        listed = runbook(kb, "resume", env=NEXT_WRITE)
        failing = traceback_in(listed)
        for line in listed.stdout.splitlines():
            if line.startswith("no interrupted runs") or not line.strip():
                continue
            run_id = line.split()[0]
            resumed = runbook(kb, "resume", run_id, "--no-tui", input="r\ny\n" * (STEPS + 2), env=NEXT_WRITE)
            failing = failing or traceback_in(resumed)
            counts["next write not started within 5 s"] += int(waited(resumed))
            if in_flight and "may already have run" not in resumed.stdout:
                counts["in-flight steps resumed without a warning"] += 1
        records = sorted((kb / "runs").glob("*.md"))
        for record in records:
            text = record.read_text(encoding="utf-8")
            for n in range(1, STEPS + 1):
                headers = text.count(f"## {n}. ")
                done = f"## {n}. [x] Step {n}" in text
                counts["duplicated step outcomes"] += max(0, headers - 1)
                counts["lost step outcomes"] += 0 if done else 1
            commits = git_lines(kb, "log", "--format=%H", "--", str(record.relative_to(kb)))
            counts["records not committed exactly once"] += 0 if len(commits) == 1 else 1
        counts["git fsck errors"] += fsck_errors(kb)
        for args in (("list",), ("search", "step-3-ok failed"), ("history",)):
            failing = failing or traceback_in(runbook(kb, *args))
        counts["commands failing after"] += int(failing)
        counts["processes of the KB left alive"] += left_alive(kb)
        counts["git status not clean"] += int(unclean(kb))
        reap_group(process)
        shutil.rmtree(kb, ignore_errors=True)
    counts["uninterrupted run seconds"] = round(duration, 2)
    return counts


def ingest_trials(work: Path, trials: int, reports: int, rng: random.Random, alone: bool = False,
                  added: int = 0) -> dict[str, int]:
    """added: the KB already holds all but that many of the reports, ingested from the same folder, so the
    killed ingest adds a few to a settled KB (its ingest state takes them as an appended line)."""
    counts = {"trials": trials, "killed mid-ingest": 0, "reports missing from SQLite": 0,
              "reports missing from git": 0, "copies differing from SQLite": 0, "git fsck errors": 0,
              "commands failing after": 0, "processes of the KB left alive": 0,
              "next write not started within 5 s": 0, "git status not clean": 0}
    corpus = _corpus(work, reports)
    template = work / ("ingest-template" if not added else f"ingest-template-{added}")
    if not template.exists():
        made = runbook(template, "init")
        assert made.returncode == 0 and template.exists(), (made.stdout, made.stderr)
        if added:
            aside = work / "aside"
            aside.mkdir(exist_ok=True)
            later = sorted(corpus.glob("*.md"))[-added:]
            for path in later:
                path.rename(aside / path.name)
            time.sleep(2.2)  # older than the ingest state's stat slack, as a user's files are
            assert runbook(template, "ingest", str(corpus)).returncode == 0
            for path in later:
                (aside / path.name).rename(path)
    probe = work / "probe"
    shutil.copytree(template, probe)
    began = time.monotonic()
    assert runbook(probe, "ingest", str(corpus)).returncode == 0
    duration = time.monotonic() - began
    shutil.rmtree(probe)
    for trial in range(trials):
        kb = work / f"ingest-{trial}"
        shutil.copytree(template, kb)
        runbook(kb, "trust", "drill", "--yes")  # trust is per KB path: a copy is another KB
        process = start(kb, "ingest", str(corpus))
        if (kill_alone_at if alone else kill_at)(process, rng.uniform(0.05, duration)):
            counts["killed mid-ingest"] += 1
        again = runbook(kb, "ingest", str(corpus), env=NEXT_WRITE)
        if waited(again):  # counted, and what holds the lock goes: the rest measures whether the KB recovers
            counts["next write not started within 5 s"] += 1
            counts["processes of the KB left alive"] += left_alive(kb)
            reap_group(process)
            again = runbook(kb, "ingest", str(corpus))
        failing = again.returncode != 0 or "Traceback" in again.stderr
        failing = _stored_and_committed(kb, reports, counts) or failing
        search = runbook(kb, "search", "Connection refused")
        failing = failing or traceback_in(search) or search.returncode != 0
        counts["commands failing after"] += int(failing)
        counts["processes of the KB left alive"] += left_alive(kb)
        counts["git status not clean"] += int(unclean(kb))
        reap_group(process)
        shutil.rmtree(kb, ignore_errors=True)
    counts["uninterrupted ingest seconds"] = round(duration, 2)
    return counts


def reindex_trials(work: Path, trials: int, reports: int, rng: random.Random) -> dict[str, int]:
    """A KB holding the reports, `runbook reindex` killed (its pid alone) at a random moment, reindexed again."""
    counts = {"trials": trials, "killed mid-reindex": 0, "reports missing from SQLite": 0,
              "reports missing from git": 0, "copies differing from SQLite": 0, "git fsck errors": 0,
              "commands failing after": 0, "processes of the KB left alive": 0,
              "next write not started within 5 s": 0, "git status not clean": 0}
    corpus = _corpus(work, reports)
    template = work / "reindex-template"
    assert runbook(template, "init").returncode == 0
    assert runbook(template, "ingest", str(corpus)).returncode == 0
    began = time.monotonic()
    assert runbook(template, "reindex").returncode == 0
    duration = time.monotonic() - began
    for trial in range(trials):
        kb = work / f"reindex-{trial}"
        shutil.copytree(template, kb)
        process = start(kb, "reindex")
        if kill_alone_at(process, rng.uniform(0.05, duration)):
            counts["killed mid-reindex"] += 1
        again = runbook(kb, "reindex", env=NEXT_WRITE)
        if waited(again):
            counts["next write not started within 5 s"] += 1
            counts["processes of the KB left alive"] += left_alive(kb)
            reap_group(process)
            again = runbook(kb, "reindex")
        failing = again.returncode != 0 or "Traceback" in again.stderr
        failing = _stored_and_committed(kb, reports, counts) or failing
        search = runbook(kb, "search", "Connection refused")
        failing = failing or traceback_in(search) or search.returncode != 0
        counts["commands failing after"] += int(failing)
        counts["processes of the KB left alive"] += left_alive(kb)
        counts["git status not clean"] += int(unclean(kb))
        reap_group(process)
        shutil.rmtree(kb, ignore_errors=True)
    counts["uninterrupted reindex seconds"] = round(duration, 2)
    return counts


def _corpus(work: Path, reports: int) -> Path:
    corpus = work / "corpus"
    if not corpus.exists():
        write_corpus(corpus, reports)
    return corpus


def _stored_and_committed(kb: Path, reports: int, counts: dict[str, int]) -> bool:
    """Count reports missing from SQLite or git and copies differing from what was committed; True when the
    list itself failed."""
    listed = runbook(kb, "list", "--json")
    try:
        rows = json.loads(listed.stdout)
    except ValueError:
        rows = None
    stored = {row["path"] for row in rows or []}
    counts["reports missing from SQLite"] += reports - len(stored)
    tracked = set(git_lines(kb, "ls-files", "reports/*.md"))
    counts["reports missing from git"] += reports - len(tracked)
    dirty = git_lines(kb, "status", "--porcelain", "reports")
    counts["copies differing from SQLite"] += len([l for l in dirty if l.endswith(".md")])
    counts["git fsck errors"] += fsck_errors(kb)
    return rows is None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100, help="run trials, process group killed (default 100)")
    parser.add_argument("--ingests", type=int, default=100, help="ingest trials, process group killed (default 100)")
    parser.add_argument("--parent-runs", type=int, default=100, help="run trials, the pid alone killed (default 100)")
    parser.add_argument("--parent-ingests", type=int, default=100,
                        help="ingest trials, the pid alone killed (default 100)")
    parser.add_argument("--parent-reindexes", type=int, default=100,
                        help="reindex trials, the pid alone killed (default 100)")
    parser.add_argument("--added-ingests", type=int, default=100,
                        help="ingest trials into a KB holding all but --added of the reports, group killed (default 100)")
    parser.add_argument("--added", type=int, default=20, help="reports the --added-ingests trials add (default 20)")
    parser.add_argument("--reports", type=int, default=300, help="reports per ingest (default 300)")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="runbook-crash-"))
    try:
        began = time.monotonic()
        if args.runs:
            print("runs (group killed):     ", json.dumps(run_trials(work, args.runs, rng)), flush=True)
        if args.ingests:
            print("ingests (group killed):  ", json.dumps(ingest_trials(work, args.ingests, args.reports, rng)),
                  flush=True)
        if args.parent_runs:
            print("runs (pid alone):        ", json.dumps(run_trials(work, args.parent_runs, rng, alone=True)),
                  flush=True)
        if args.parent_ingests:
            print("ingests (pid alone):     ", json.dumps(ingest_trials(work, args.parent_ingests, args.reports, rng,
                                                                      alone=True)), flush=True)
        if args.added_ingests:
            print(f"adding {args.added} (group killed):", json.dumps(ingest_trials(work, args.added_ingests, args.reports,
                                                                          rng, added=args.added)), flush=True)
        if args.parent_reindexes:
            print("reindexes (pid alone):   ", json.dumps(reindex_trials(work, args.parent_reindexes, args.reports,
                                                                       rng)), flush=True)
        print(f"total {time.monotonic() - began:.0f} s on {os.cpu_count()} cores")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
