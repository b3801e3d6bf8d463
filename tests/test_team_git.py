"""A KB shared through git, as a team has it: real clones of one origin, a real conflicting pull, a rebase, a
cherry-pick, a stash pop, a detached HEAD. Every writer refuses in one line that says what to do, before it
copies, stores or stages anything; reindex never indexes a file with conflict markers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = "import sys; from runbook.cli import main; sys.argv[0] = 'runbook'; main()"
ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
       "GIT_COMMITTER_EMAIL": "t@example.com"}
REPORT = ("# Gateway outage\n\n**Platform**: Kubernetes\n\n## Error: TollboothError: gate 7 rejected the pass\n\n"
          "```\nTollboothError: gate 7 rejected the pass\n```\n\n**Root cause**: the pass list was stale.\n\n"
          "**Fix**: reload the pass list.\n\n## Checklist\n\n- [ ] Reload\n  ```bash\n  touch {marker}\n"
          "  # expected: exit 0\n  ```\n")
RUNBOOK = ("---\ntitle: Drill\ntrusted: true\n---\n# Drill\n\n- [ ] Touch\n  ```bash\n  touch {marker}\n"
           "  # expected: exit 0\n  ```\n")


def runbook(kb: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CODE, "--kb", str(kb), *args], capture_output=True, text=True,
                          input=input, env={**os.environ, **ENV}, cwd=ROOT, timeout=300)


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **ENV})
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {result.stderr}")
    return result


def snapshot(kb: Path) -> tuple[str, str, str, list[str]]:
    """What a refused write must leave as it was: HEAD, the index, the work tree, the reports."""
    return (git(kb, "rev-parse", "HEAD").stdout, git(kb, "ls-files", "--stage").stdout,
            git(kb, "status", "--porcelain", "--untracked-files=all").stdout,
            sorted(path.name for path in (kb / "reports").iterdir()))


@pytest.fixture
def team(tmp_path):
    """An origin, clone `a` that made the KB and pushed a report, and clone `b` of it; returns (a, b, scratch)."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--bare", "-q", str(origin))
    a = tmp_path / "a"
    assert runbook(a, "init").returncode == 0
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "gateway.md").write_text(REPORT.format(marker=scratch / "ran"), encoding="utf-8")
    (a / "runbooks" / "drill.md").write_text(RUNBOOK.format(marker=scratch / "ran"), encoding="utf-8")
    assert runbook(a, "ingest", str(scratch / "gateway.md")).returncode == 0
    git(a, "add", "runbooks")
    git(a, "commit", "-qm", "drill")
    git(a, "remote", "add", "origin", str(origin))
    git(a, "push", "-q", "origin", "HEAD:main")
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", "-b", "main", str(origin), str(b))
    assert runbook(b, "reindex").returncode == 0
    assert runbook(b, "trust", "drill", "--yes").returncode == 0  # this operator's say, so --yes would run it
    (scratch / "other.md").write_text("# Other outage\n\n## Error: KilnError: kiln 3 cooled early\n\n"
                                      "**Fix**: relight kiln 3.\n", encoding="utf-8")
    return a, b, scratch


def edit_both(a: Path, b: Path) -> None:
    """The same line of the same report changed on both clones; a's change pushed."""
    for clone, words in ((a, "reload the pass list twice"), (b, "rebuild the pass list")):
        path = clone / "reports" / "gateway.md"
        path.write_text(path.read_text(encoding="utf-8").replace("reload the pass list.", words + "."),
                        encoding="utf-8")
        git(clone, "commit", "-qam", f"edit on {clone.name}")
    git(a, "push", "-q", "origin", "HEAD:main")


def assert_refused(result: subprocess.CompletedProcess, *advice: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for words in advice:
        assert words in lines[0], lines[0]


def writers_refuse(b: Path, scratch: Path, *advice: str) -> None:
    """ingest, ingest --repo, reindex, run and resume each refuse, and leave HEAD, index and files as they were."""
    before = snapshot(b)
    assert_refused(runbook(b, "ingest", str(scratch / "other.md")), *advice)
    assert_refused(runbook(b, "reindex"), *advice)
    assert_refused(runbook(b, "run", "drill", "--yes", "--no-tui"), *advice)
    assert not (scratch / "ran").exists()  # refused before anything ran
    assert snapshot(b) == before


def test_a_conflicting_pull_stops_every_writer_until_the_merge_is_finished(team):
    a, b, scratch = team
    edit_both(a, b)
    assert git(b, "pull", "-q", "--no-rebase", "origin", "main", check=False).returncode != 0
    assert "<<<<<<<" in (b / "reports" / "gateway.md").read_text(encoding="utf-8")
    writers_refuse(b, scratch, "a merge is in progress", "git merge --continue", "git merge --abort")
    # the search index is not rebuilt from the conflicted file either
    found = runbook(b, "search", "--json", "TollboothError gate 7")
    assert "<<<<<<<" not in found.stdout
    git(b, "merge", "--abort")
    done = runbook(b, "ingest", str(scratch / "other.md"))
    assert done.returncode == 0, done.stderr
    assert git(b, "rev-list", "--merges", "HEAD").stdout == ""  # no merge commit was made by ingest


def test_onboarding_refuses_to_record_during_a_merge(team):
    """Completing a walkthrough commits its record: during a merge it refuses in one line, and writes nothing."""
    a, b, scratch = team
    edit_both(a, b)
    git(b, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    before = snapshot(b)
    from kb import onboarding
    from kb.store.knowledge_base import KnowledgeBase

    record, problem = onboarding.complete(KnowledgeBase(b), "Ann <ann@example.com>", "gateway", [], None)
    assert record == "" and "recording the walkthrough refused: a merge is in progress" in problem
    assert "git merge --abort" in problem and "\n" not in problem
    assert snapshot(b) == before
    assert not (b / "runs" / "onboarding").exists()


def test_a_rebase_stopped_at_a_conflict_is_refused(team):
    a, b, scratch = team
    edit_both(a, b)
    assert git(b, "pull", "-q", "--rebase", "origin", "main", check=False).returncode != 0
    writers_refuse(b, scratch, "a rebase is in progress", "git rebase --continue", "git rebase --abort")


def test_a_cherry_pick_stopped_at_a_conflict_is_refused(team):
    a, b, scratch = team
    edit_both(a, b)
    git(b, "fetch", "-q", "origin")
    assert git(b, "cherry-pick", "origin/main", check=False).returncode != 0
    writers_refuse(b, scratch, "a cherry-pick is in progress", "git cherry-pick --abort")


def test_unmerged_paths_without_an_operation_are_refused(team):
    """`git stash pop` that conflicts leaves unmerged paths and no MERGE_HEAD."""
    a, b, scratch = team
    path = b / "reports" / "gateway.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("reload the pass list.", "flush the cache."), encoding="utf-8")
    git(b, "stash", "-q")
    path.write_text(text.replace("reload the pass list.", "restart the gate."), encoding="utf-8")
    git(b, "commit", "-qam", "another fix")
    assert git(b, "stash", "pop", check=False).returncode != 0
    assert not (b / ".git" / "MERGE_HEAD").exists()
    writers_refuse(b, scratch, "reports/gateway.md is unmerged", "git add")


def test_a_detached_head_is_refused_by_ingest_as_by_run(team):
    a, b, scratch = team
    git(b, "checkout", "-q", "--detach", "HEAD")
    writers_refuse(b, scratch, "HEAD is detached", "git switch main")
    git(b, "switch", "-q", "main")
    assert runbook(b, "ingest", str(scratch / "other.md")).returncode == 0


def test_reindex_never_indexes_a_committed_conflict(team):
    """A merge committed with its markers in (`git commit -a` too soon): reindex names the file and its line, and
    neither the list nor search shows the markers."""
    a, b, scratch = team
    edit_both(a, b)
    git(b, "pull", "-q", "--no-rebase", "origin", "main", check=False)
    git(b, "commit", "-qam", "merge")
    result = runbook(b, "reindex")
    assert result.returncode == 1
    assert "reports/gateway.md: holds git conflict markers (line" in result.stderr
    assert "<<<<<<<" not in runbook(b, "list", "--json").stdout
    assert "<<<<<<<" not in runbook(b, "search", "--json", "TollboothError gate 7 rejected").stdout
    again = runbook(b, "ingest", str(b / "reports" / "gateway.md"))
    assert again.returncode == 1 and "conflict markers" in again.stderr


def test_a_report_that_quotes_a_conflict_in_code_is_ingested(kb, tmp_path):
    from kb.ingest import ingest

    source = tmp_path / "merge-howto.md"
    source.write_text("# Merge went wrong\n\n## Error: the build read a conflicted file\n\n```text\n<<<<<<< HEAD\n"
                      "port = 1\n=======\nport = 2\n>>>>>>> feature\n```\n\n**Fix**: resolve before building.\n",
                      encoding="utf-8")
    conflicted = tmp_path / "broken.md"
    conflicted.write_text("# Half merged\n\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> abc1234\n", encoding="utf-8")
    result = ingest(kb, [source, conflicted])
    assert result.ingested == ["reports/merge-howto.md"]
    assert result.failed == ["reports/broken.md: holds git conflict markers (line 3); resolve the conflict (keep the "
                             "right side, remove the <<<<<<< ======= >>>>>>> lines), then ingest or reindex again"]
    assert not (kb.root / "reports" / "broken.md").exists()


def test_a_fresh_clone_is_searched_from_its_reports_not_from_an_empty_database(team, tmp_path):
    """`.runbook/` is git-ignored, so a clone comes without its database: its first command builds it from
    the reports (saying so), with the ids the team sees, instead of answering every paste from nothing. Where
    it cannot (a merge under way), one line says why, and once the merge is undone the next search builds it."""
    a, b, scratch = team
    c = tmp_path / "c"
    git(tmp_path, "clone", "-q", str(a), str(c))
    first = runbook(c, "search", "TollboothError: gate 7 rejected the pass")
    assert first.returncode == 0, first.stderr
    assert "building it from them" in first.stderr and "Traceback" not in first.stderr
    assert first.stdout == runbook(a, "search", "TollboothError: gate 7 rejected the pass").stdout  # the same refs
    again = runbook(c, "search", "TollboothError: gate 7 rejected the pass")
    assert again.stdout == first.stdout and "building" not in again.stderr

    edit_both(a, b)
    assert git(b, "pull", "-q", "--no-rebase", "origin", "main", check=False).returncode != 0
    for name in os.listdir(b / ".runbook"):  # b as a fresh clone that pulled before its first search
        path = b / ".runbook" / name
        if path.is_file() and name.startswith("kb.sqlite"):
            path.unlink()
    assert_refused(runbook(b, "search", "TollboothError: gate 7 rejected the pass"), "a merge is in progress",
                   "has reports but its database has none")
    git(b, "merge", "--abort")
    found = runbook(b, "search", "TollboothError: gate 7 rejected the pass")
    assert found.returncode == 0 and "rebuild the pass list" in found.stdout, found.stderr  # b's own edit
