"""Crash trials: `kill -9` at random moments, then recover, then count what was lost.

    python bench/crash_trials.py                      # 100 run trials + 100 ingest trials of 300 reports
    python bench/crash_trials.py --runs 20 --ingests 20

Run trials: a 6-step runbook, trusted (`runbook trust drill --yes`), runs headless (`runbook run --yes --no-tui`); its whole process
group (python, the step's shell, any git child) gets SIGKILL at a random moment; then
`runbook resume ID --no-tui` finishes it. Counted: step outcomes lost or recorded twice, run records
committed other than exactly once, `git fsck` errors, commands (list, search, history) failing after.

Ingest trials: `runbook ingest` of 300 synthetic reports into a fresh KB, SIGKILLed at a random moment,
then a second `runbook ingest` of the same folder. Counted: reports missing from SQLite or from git,
copies differing from what SQLite recorded, `git fsck` errors, commands failing after (the second
ingest, list, search).

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
ENV = {**os.environ, "GIT_AUTHOR_NAME": "Crash Drill", "GIT_AUTHOR_EMAIL": "drill@example.com",
       "GIT_COMMITTER_NAME": "Crash Drill", "GIT_COMMITTER_EMAIL": "drill@example.com"}


def runbook(kb: Path, *args: str, input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CODE, "--kb", str(kb), *args], input=input, capture_output=True,
                          text=True, timeout=timeout, env=ENV)


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


def run_trials(work: Path, trials: int, rng: random.Random) -> dict[str, int]:
    counts = {"trials": trials, "killed mid-run": 0, "lost step outcomes": 0, "duplicated step outcomes": 0,
              "records not committed exactly once": 0, "git fsck errors": 0, "commands failing after": 0}
    template = work / "run-template"
    ENV["XDG_STATE_HOME"] = str(work / "state")  # each copy is trusted here, not in the operator's own state
    runbook(template, "init")
    (template / "runbooks" / "drill.md").write_text(RUNBOOK, encoding="utf-8")
    runbook(template, "trust", "drill", "--yes")
    start_time = time.monotonic()
    runbook(template, "search", "warm up")
    full = runbook(template, "run", "drill", "--yes", "--no-tui", input="\n" * (STEPS + 2))
    duration = time.monotonic() - start_time
    assert full.returncode == 0, full.stderr
    shutil.rmtree(template / "runs")
    subprocess.run(["git", "checkout", "--", "runs"], cwd=template, capture_output=True)
    for trial in range(trials):
        kb = work / f"run-{trial}"
        shutil.copytree(template, kb)
        runbook(kb, "trust", "drill", "--yes")  # trust is per KB path: a copy is another KB
        process = start(kb, "run", "drill", "--yes", "--no-tui", input="\n" * (STEPS + 2))
        if kill_at(process, rng.uniform(0.05, duration)):
            counts["killed mid-run"] += 1
        listed = runbook(kb, "resume")
        failing = traceback_in(listed)
        for line in listed.stdout.splitlines():
            if line.startswith("no interrupted runs") or not line.strip():
                continue
            run_id = line.split()[0]
            resumed = runbook(kb, "resume", run_id, "--no-tui", input="r\ny\n" * (STEPS + 2))
            failing = failing or traceback_in(resumed)
        records = sorted((kb / "runs").glob("*.md"))
        if not records:  # killed before the run state existed: nothing started, nothing to lose
            records = []
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
        shutil.rmtree(kb, ignore_errors=True)
    counts["uninterrupted run seconds"] = round(duration, 2)
    return counts


def ingest_trials(work: Path, trials: int, reports: int, rng: random.Random) -> dict[str, int]:
    counts = {"trials": trials, "killed mid-ingest": 0, "reports missing from SQLite": 0,
              "reports missing from git": 0, "copies differing from SQLite": 0, "git fsck errors": 0,
              "commands failing after": 0}
    corpus = work / "corpus"
    write_corpus(corpus, reports)
    template = work / "ingest-template"
    made = runbook(template, "init")
    assert made.returncode == 0 and template.exists(), (made.stdout, made.stderr)
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
        if kill_at(process, rng.uniform(0.05, duration)):
            counts["killed mid-ingest"] += 1
        again = runbook(kb, "ingest", str(corpus))
        failing = again.returncode != 0 or "Traceback" in again.stderr
        listed = runbook(kb, "list", "--json")
        try:
            rows = json.loads(listed.stdout)
        except ValueError:
            rows, failing = [], True
        stored = {row["path"] for row in rows}
        counts["reports missing from SQLite"] += reports - len(stored)
        tracked = set(git_lines(kb, "ls-files", "reports/*.md"))
        counts["reports missing from git"] += reports - len(tracked)
        dirty = git_lines(kb, "status", "--porcelain", "reports")
        counts["copies differing from SQLite"] += len([l for l in dirty if l.endswith(".md")])
        counts["git fsck errors"] += fsck_errors(kb)
        search = runbook(kb, "search", "Connection refused")
        failing = failing or traceback_in(search) or search.returncode != 0
        counts["commands failing after"] += int(failing)
        shutil.rmtree(kb, ignore_errors=True)
    counts["uninterrupted ingest seconds"] = round(duration, 2)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100, help="run trials (default 100)")
    parser.add_argument("--ingests", type=int, default=100, help="ingest trials (default 100)")
    parser.add_argument("--reports", type=int, default=300, help="reports per ingest (default 300)")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="runbook-crash-"))
    try:
        began = time.monotonic()
        if args.runs:
            print("runs:   ", json.dumps(run_trials(work, args.runs, rng)), flush=True)
        if args.ingests:
            print("ingests:", json.dumps(ingest_trials(work, args.ingests, args.reports, rng)), flush=True)
        print(f"total {time.monotonic() - began:.0f} s on {os.cpu_count()} cores")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
