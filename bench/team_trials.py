"""Team trials: a KB shared through git, put in the states a team puts it in, then every writer tried on it.

    python bench/team_trials.py              # 20 rounds of each state
    python bench/team_trials.py --rounds 5

Each round makes an origin and two real clones (`a` made the KB and pushed a report; `b` cloned it), edits the
same line of the same report on both, pushes a's edit, and brings `b` into one state:

- merge: `git pull --no-rebase` stopped at the conflict;
- rebase: `git pull --rebase` stopped at it;
- cherry-pick: `git cherry-pick origin/main` stopped at it;
- stash pop: a stashed edit popped onto a commit that changed the same line (unmerged paths, no MERGE_HEAD);
- detached HEAD: `git checkout --detach`;
- committed conflict: the merge committed with its markers in (`git commit -a` too soon);
- read-only: the KB mounted read-only (a bind mount in a private mount namespace; left out where that is
  not allowed).

Then `ingest`, `reindex`, `run --yes` (a trusted runbook whose step writes a file), `resume` and onboarding's
record are tried, and counted: writes not refused (or, for a committed conflict, reindex/ingest not naming the
conflicted file), refusals that are not one line saying what to do, tracebacks, a changed HEAD, index or work
tree (anything staged, committed or copied), a command that ran, conflict markers reaching the list or search,
and reads (search, list, show, history) failing on the read-only KB. Prints the figures README quotes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = "import sys; from runbook.cli import main; sys.argv[0] = 'runbook'; main()"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "Team Drill", "GIT_AUTHOR_EMAIL": "drill@example.com",
       "GIT_COMMITTER_NAME": "Team Drill", "GIT_COMMITTER_EMAIL": "drill@example.com"}
REPORT = ("# Gateway outage\n\n**Platform**: Kubernetes\n\n## Error: TollboothError: gate 7 rejected the pass\n\n"
          "```\nTollboothError: gate 7 rejected the pass\n```\n\n**Root cause**: the pass list was stale.\n\n"
          "**Fix**: reload the pass list.\n")
RUNBOOK = ("---\ntitle: Drill\ntrusted: true\n---\n# Drill\n\n- [ ] Touch\n  ```bash\n  touch {marker}; echo touched-ok\n"
           "  # expected: touched-ok\n  ```\n")
ADVICE = {"merge": "git merge --abort", "rebase": "git rebase --abort", "cherry-pick": "git cherry-pick --abort",
          "stash pop": "git add", "detached HEAD": "git switch", "read-only": "needs to write to it"}
MOUNT_RO = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'


def runbook(kb: Path, *args: str, input: str = "", read_only: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", CODE, "--kb", str(kb), *args]
    if read_only:
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", MOUNT_RO, str(kb), *command]
    return subprocess.run(command, capture_output=True, text=True, input=input, env=ENV, cwd=ROOT, timeout=300)


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=ENV)


def snapshot(kb: Path) -> tuple:
    return (git(kb, "rev-parse", "HEAD").stdout, git(kb, "ls-files", "--stage").stdout,
            git(kb, "status", "--porcelain", "--untracked-files=all").stdout)


def clones(work: Path) -> tuple[Path, Path, Path]:
    """origin, a (made the KB, pushed a report and a runbook), b (a clone); and a scratch folder."""
    git(work, "init", "-q", "--bare", str(work / "origin.git"))
    a, b, scratch = work / "a", work / "b", work / "scratch"
    scratch.mkdir()
    runbook(a, "init")
    (scratch / "gateway.md").write_text(REPORT, encoding="utf-8")
    (a / "runbooks" / "drill.md").write_text(RUNBOOK.format(marker=scratch / "ran"), encoding="utf-8")
    runbook(a, "ingest", str(scratch / "gateway.md"))
    git(a, "add", "runbooks")
    git(a, "commit", "-qm", "drill")
    git(a, "remote", "add", "origin", str(work / "origin.git"))
    git(a, "push", "-q", "origin", "HEAD:main")
    git(work, "clone", "-q", "-b", "main", str(work / "origin.git"), str(b))
    runbook(b, "reindex")
    ENV["XDG_STATE_HOME"] = str(work / "state")  # trust is kept here, not in the operator's own state
    runbook(b, "trust", "drill", "--yes")  # b's operator trusts it, so `run --yes` meets only the git state
    (scratch / "other.md").write_text("# Kiln outage\n\n## Error: KilnError: kiln 3 cooled early\n\n"
                                      "**Fix**: relight kiln 3.\n", encoding="utf-8")
    return a, b, scratch


def edit_both(a: Path, b: Path) -> None:
    for clone, words in ((a, "reload the pass list twice"), (b, "rebuild the pass list")):
        path = clone / "reports" / "gateway.md"
        path.write_text(path.read_text(encoding="utf-8").replace("reload the pass list.", words + "."), encoding="utf-8")
        git(clone, "commit", "-qam", f"edit on {clone.name}")
    git(a, "push", "-q", "origin", "HEAD:main")


def bring(state: str, a: Path, b: Path) -> None:
    if state == "detached HEAD":
        git(b, "checkout", "-q", "--detach", "HEAD")
        return
    if state == "read-only":
        return
    if state == "stash pop":
        path = b / "reports" / "gateway.md"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("reload the pass list.", "flush the cache."), encoding="utf-8")
        git(b, "stash", "-q")
        path.write_text(text.replace("reload the pass list.", "restart the gate."), encoding="utf-8")
        git(b, "commit", "-qam", "another fix")
        git(b, "stash", "pop")
        return
    edit_both(a, b)
    if state in ("merge", "committed conflict"):
        git(b, "pull", "-q", "--no-rebase", "origin", "main")
        if state == "committed conflict":
            git(b, "commit", "-qam", "merge")
    elif state == "rebase":
        git(b, "pull", "-q", "--rebase", "origin", "main")
    elif state == "cherry-pick":
        git(b, "fetch", "-q", "origin")
        git(b, "cherry-pick", "origin/main")


def refused_well(result: subprocess.CompletedProcess, advice: str) -> tuple[bool, bool]:
    """(refused, in one line that says what to do)."""
    errors = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("note: ")]
    refused = result.returncode != 0 and any("refused" in line or "read-only" in line for line in errors)
    return refused, refused and len(errors) == 1 and advice in errors[0]


def round_of(state: str, work: Path, counts: dict[str, int]) -> None:
    a, b, scratch = clones(work)
    bring(state, a, b)
    read_only = state == "read-only"
    before = snapshot(b)
    if state == "committed conflict":
        for args in (("reindex",), ("ingest", str(b / "reports" / "gateway.md"))):
            result = runbook(b, *args)
            counts["tracebacks"] += "Traceback" in result.stderr
            if "gateway.md: holds git conflict markers (line" not in result.stderr:
                counts["conflicted file not named"] += 1
        for args in (("list", "--json"), ("search", "--json", "TollboothError gate 7 rejected the pass")):
            if "<<<<<<<" in runbook(b, *args).stdout:
                counts["conflict markers listed or found"] += 1
        return
    writes = [("ingest", str(scratch / "other.md")), ("reindex",), ("run", "drill", "--yes", "--no-tui")]
    for args in writes:
        result = runbook(b, *args, read_only=read_only)
        counts["writes tried"] += 1
        counts["tracebacks"] += "Traceback" in result.stderr
        refused, well = refused_well(result, ADVICE[state])
        counts["writes not refused"] += int(not refused)
        counts["refusals not one line saying what to do"] += int(refused and not well)
    topics = json.loads(runbook(b, "onboard", "--json", read_only=read_only).stdout or "[]")
    if topics:
        result = runbook(b, "onboard", topics[0]["topic"], "--operator", "Ann <ann@example.com>", input="n\n" * 40,
                         read_only=read_only)
        counts["writes tried"] += 1
        counts["tracebacks"] += "Traceback" in result.stderr
        if ADVICE[state] not in result.stderr:
            counts["writes not refused"] += 1
    if (scratch / "ran").exists():
        counts["commands run"] += 1
    if snapshot(b) != before:
        counts["HEAD, index or work tree changed"] += 1
    if read_only:
        for args in (("search", "TollboothError gate 7 rejected the pass"), ("list",), ("show", "e1"), ("history",),
                     ("resume",)):
            result = runbook(b, *args, read_only=True)
            if result.returncode != 0 or "Traceback" in result.stderr or "is read-only" not in result.stderr:
                counts["reads failing on a read-only KB"] += 1


def can_mount_read_only(work: Path) -> bool:
    probe = work / "probe"
    probe.mkdir()
    try:
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", MOUNT_RO, str(probe),
                               "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="rounds of each state (default 20)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="runbook-team-"))
    states = ["merge", "rebase", "cherry-pick", "stash pop", "detached HEAD", "committed conflict"]
    if shutil.which("unshare") and can_mount_read_only(work):
        states.append("read-only")
    else:
        print("read-only: left out (cannot bind-mount read-only here)")
    try:
        began = time.monotonic()
        for state in states:
            counts = {"rounds": args.rounds, "writes tried": 0, "writes not refused": 0,
                      "refusals not one line saying what to do": 0, "tracebacks": 0, "commands run": 0,
                      "HEAD, index or work tree changed": 0}
            if state == "committed conflict":
                counts = {"rounds": args.rounds, "conflicted file not named": 0, "conflict markers listed or found": 0,
                          "tracebacks": 0}
            if state == "read-only":
                counts["reads failing on a read-only KB"] = 0
            for number in range(args.rounds):
                folder = work / f"{state.replace(' ', '-')}-{number}"
                folder.mkdir()
                round_of(state, folder, counts)
                shutil.rmtree(folder, ignore_errors=True)
            print(f"{state + ':':<20}", json.dumps(counts), flush=True)
        print(f"total {time.monotonic() - began:.0f} s on {os.cpu_count()} cores")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
