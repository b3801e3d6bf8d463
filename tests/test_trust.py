"""Nothing from a shared KB runs unasked: trust is the operator's, on this machine, for the exact content.

Each exploit is tried as an attacker or a careless teammate would, with a real KB, real git and a real
`runbook run ... --no-tui --yes` process with stdin closed; the proof is that the command's marker
file is never created."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pilot_wait import until as _until

REPORT = """---
trusted: true
---
# Disk cleanup after the outage

## Checklist

- [ ] Clear the scratch files
  ```bash
  touch {marker}
  ```
"""

RUNBOOK = """---
title: Cleanup
trusted: true
---
# Cleanup

- [ ] include: health
- [ ] Clean up
  ```bash
  touch {marker}
  ```
"""

HEALTH = """# Health

- [ ] Check it is alive
  ```bash
  echo alive
  # expected: alive
  ```
"""


def runbook(kb: Path, *args: str, input: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real command, as a process: stdin closed unless input is given."""
    return subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(kb), *args], input=input,
                          stdin=subprocess.DEVNULL if input is None else None, capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Tess Mate", "-c", "user.email=tess@example.com", *args], cwd=cwd,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def one_line_error(result: subprocess.CompletedProcess) -> bool:
    return (result.returncode != 0 and "Traceback" not in result.stderr
            and len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: "))


@pytest.fixture
def kbdir(tmp_path):
    kb = tmp_path / "kb"
    assert runbook(kb, "init").returncode == 0
    return kb


# -- reports can never be trusted ------------------------------------------------------------------------

def test_a_report_runs_nothing_unasked_by_any_name_or_path(kbdir, tmp_path):
    marker = tmp_path / "pwned-by-report"
    source = tmp_path / "incoming" / "cleanup-notes.md"
    source.parent.mkdir()
    source.write_text(REPORT.format(marker=marker), encoding="utf-8")
    assert runbook(kbdir, "ingest", str(source)).returncode == 0
    names = ["c1", "reports/cleanup-notes.md", "../reports/cleanup-notes", "../reports/cleanup-notes.md",
             "reports/cleanup-notes.md#1", str(kbdir / "reports" / "cleanup-notes.md"), "Clear the scratch"]
    for name in names:
        ran = runbook(kbdir, "run", name, "--no-tui", "--yes")
        assert one_line_error(ran), (name, ran.stdout, ran.stderr)
        assert not marker.exists(), name
        trusted = runbook(kbdir, "trust", name, "--yes")
        assert one_line_error(trusted), (name, trusted.stdout, trusted.stderr)
        assert not marker.exists(), name
    assert json.loads(runbook(kbdir, "trust", "--list", "--json").stdout) == []
    # its steps still run, each after the operator saw it and said yes
    asked = runbook(kbdir, "run", "c1", "--no-tui", input="r\ny\n")
    assert f"touch {marker}" in asked.stdout and "Run it?" in asked.stdout and marker.exists()


def test_a_symlink_in_runbooks_to_a_report_is_not_a_runbook(kbdir, tmp_path):
    marker = tmp_path / "pwned-by-link"
    source = tmp_path / "notes.md"
    source.write_text(REPORT.format(marker=marker), encoding="utf-8")
    runbook(kbdir, "ingest", str(source))
    (kbdir / "runbooks" / "notes.md").symlink_to("../reports/notes.md")
    for args in (("run", "notes", "--no-tui", "--yes"), ("trust", "notes", "--yes"), ("run", "notes", "--dry-run")):
        result = runbook(kbdir, *args)
        assert one_line_error(result) and "not a runbook" in result.stderr, (args, result.stderr)
    assert not marker.exists()


# -- include stays inside runbooks/ ------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["../reports/leak", "../../elsewhere/leak", "ABSOLUTE", "outlink"])
def test_include_cannot_reach_outside_runbooks(kbdir, tmp_path, target):
    marker = tmp_path / "pwned-by-include"
    leak = f"# Leak\n\n- [ ] go\n  ```bash\n  touch {marker}\n  ```\n"
    (kbdir / "reports" / "leak.md").write_text(leak, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "leak.md").write_text(leak, encoding="utf-8")
    (kbdir / "runbooks" / "outlink.md").symlink_to(elsewhere / "leak.md")
    target = str(elsewhere / "leak.md") if target == "ABSOLUTE" else target
    (kbdir / "runbooks" / "evil.md").write_text(f"---\ntrusted: true\n---\n# Evil\n\n- [ ] include: {target}\n",
                                              encoding="utf-8")
    for args in (("run", "evil", "--no-tui", "--yes"), ("trust", "evil", "--yes"), ("run", "evil", "--dry-run"),
                 ("run", "evil", "--no-tui")):
        result = runbook(kbdir, *args, input="r\ny\nr\ny\n" if args[-1] == "--no-tui" else None)
        assert one_line_error(result), (args, result.stdout, result.stderr)
        assert "evil.md: include" in result.stderr and "outside" in result.stderr or "no '..'" in result.stderr
    assert not marker.exists()


def test_an_include_cycle_is_a_one_line_error(kbdir):
    (kbdir / "runbooks" / "a.md").write_text("# A\n\n- [ ] include: b\n", encoding="utf-8")
    (kbdir / "runbooks" / "b.md").write_text("# B\n\n- [ ] include: a\n- [ ] echo\n", encoding="utf-8")
    result = runbook(kbdir, "run", "a", "--dry-run")
    assert one_line_error(result)
    assert "include cycle (runbooks/a.md -> runbooks/b.md -> runbooks/a.md)" in result.stderr


def test_included_steps_name_their_file_in_the_dry_run_and_the_record(kbdir, tmp_path):
    marker = tmp_path / "cleaned"
    (kbdir / "runbooks" / "cleanup.md").write_text(RUNBOOK.format(marker=marker), encoding="utf-8")
    (kbdir / "runbooks" / "health.md").write_text(HEALTH, encoding="utf-8")
    dry = runbook(kbdir, "run", "cleanup", "--dry-run")
    assert "1. Check it is alive   (from runbooks/health.md)" in dry.stdout
    assert "2. Clean up\n" in dry.stdout and "from runbooks/cleanup.md" not in dry.stdout
    assert "--yes refuses it" in dry.stdout and "author's suggestion" in dry.stdout
    assert runbook(kbdir, "trust", "cleanup", "--yes").returncode == 0
    ran = runbook(kbdir, "run", "cleanup", "--no-tui", "--yes")
    assert ran.returncode == 0, ran.stderr
    record = next((kbdir / "runs").glob("*cleanup*.md")).read_text(encoding="utf-8")
    alive = record.index("Check it is alive")
    assert "- from: runbooks/health.md (included)" in record[alive:record.index("Clean up")]


# -- trust is the operator's, for the exact content, on this machine ---------------------------------------

def test_trust_travels_neither_with_the_file_nor_past_an_edit(tmp_path):
    """A teammate pushes a runbook marked `trusted: true`; after a pull, --yes refuses it until this operator
    trusts it; an edit to it, or to what it includes, needs trusting again."""
    first, second, third = (tmp_path / name for name in ("pwned-on-pull", "pwned-after-edit", "pwned-by-include"))
    team = tmp_path / "team-kb"
    assert runbook(team, "init").returncode == 0
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(team), str(remote))
    mine = tmp_path / "my-kb"
    git(tmp_path, "clone", "-q", str(remote), str(mine))
    git(team, "remote", "add", "origin", str(remote))

    def push(name: str, text: str) -> None:
        (team / "runbooks" / name).write_text(text, encoding="utf-8")
        git(team, "add", "-A")
        git(team, "commit", "-q", "-m", f"runbooks: {name}")
        git(team, "push", "-q", "origin", "HEAD")
        git(mine, "pull", "-q", "--no-rebase", "--no-edit")

    push("health.md", HEALTH)
    push("cleanup.md", RUNBOOK.format(marker=first))
    refused = runbook(mine, "run", "cleanup", "--no-tui", "--yes")
    assert one_line_error(refused) and "not trusted on this machine" in refused.stderr
    assert "author's suggestion" in refused.stderr and "runbook trust cleanup" in refused.stderr
    assert not first.exists()

    shown = runbook(mine, "trust", "cleanup", input="y\n")
    assert shown.returncode == 0, shown.stderr
    assert f"touch {first}" in shown.stdout and "echo alive" in shown.stdout
    assert "runbooks/health.md" in shown.stdout and "(included)" in shown.stdout
    assert runbook(mine, "run", "cleanup", "--no-tui", "--yes").returncode == 0 and first.exists()
    assert git(mine, "status", "--porcelain", "--untracked-files=all") == ""  # nothing to commit, or to push

    push("cleanup.md", RUNBOOK.format(marker=second))
    changed = runbook(mine, "run", "cleanup", "--no-tui", "--yes")
    assert one_line_error(changed) and "changed since you trusted it" in changed.stderr
    assert "runbooks/cleanup.md" in changed.stderr and not second.exists()

    assert runbook(mine, "trust", "cleanup", "--yes").returncode == 0
    push("health.md", HEALTH + f"- [ ] And one more\n  ```bash\n  touch {third}\n  ```\n")
    included = runbook(mine, "run", "cleanup", "--no-tui", "--yes")
    assert one_line_error(included) and "(runbooks/health.md)" in included.stderr
    assert not third.exists() and not second.exists()
    listed = runbook(mine, "trust", "--list")
    assert "cleanup  changed: runbooks/health.md" in listed.stdout


def test_trust_is_kept_outside_the_kb_and_apart_per_clone(kbdir, tmp_path):
    marker = tmp_path / "ran"
    (kbdir / "runbooks" / "cleanup.md").write_text(RUNBOOK.format(marker=marker), encoding="utf-8")
    (kbdir / "runbooks" / "health.md").write_text(HEALTH, encoding="utf-8")
    git(kbdir, "add", "-A")
    git(kbdir, "commit", "-q", "-m", "runbooks")
    assert runbook(kbdir, "trust", "cleanup", "--yes").returncode == 0
    state = Path(os.environ["XDG_STATE_HOME"]) / "runbook" / "trust"
    files = list(state.glob("*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["runbooks"]["runbooks/cleanup.md"]["files"]
    assert git(kbdir, "status", "--porcelain", "--untracked-files=all") == ""
    assert not files[0].resolve().is_relative_to(kbdir.resolve())

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(kbdir), str(clone))
    other = runbook(clone, "run", "cleanup", "--no-tui", "--yes")
    assert one_line_error(other) and "not trusted on this machine" in other.stderr and not marker.exists()


def test_trust_shows_what_it_trusts_asks_and_can_be_listed_and_revoked(kbdir, tmp_path):
    marker = tmp_path / "ran"
    (kbdir / "runbooks" / "cleanup.md").write_text(RUNBOOK.format(marker=marker), encoding="utf-8")
    (kbdir / "runbooks" / "health.md").write_text(HEALTH, encoding="utf-8")
    closed = runbook(kbdir, "trust", "cleanup")  # stdin closed: nobody said yes
    assert closed.returncode == 1 and "nothing was recorded" in closed.stderr
    assert "Trust exactly this content (2 commands, 2 files)?" in closed.stdout
    declined = runbook(kbdir, "trust", "cleanup", input="n\n")
    assert declined.returncode == 1
    assert json.loads(runbook(kbdir, "trust", "--list", "--json").stdout) == []
    assert runbook(kbdir, "trust", "cleanup", input="y\n").returncode == 0
    (row,) = json.loads(runbook(kbdir, "trust", "--list", "--json").stdout)
    assert (row["runbook"], row["state"], row["commands"]) == ("cleanup", "trusted", 2)
    assert list(row["files"]) == ["runbooks/cleanup.md", "runbooks/health.md"]
    again = runbook(kbdir, "trust", "cleanup")
    assert again.returncode == 0 and "Already trusted, unchanged" in again.stdout
    catalogue = {r["ref"]: r for r in json.loads(runbook(kbdir, "list", "runbooks", "--json").stdout)}
    assert catalogue["cleanup"]["trusted"] and catalogue["cleanup"]["author_trusted"]
    assert not catalogue["health"]["trusted"] and not catalogue["health"]["author_trusted"]
    revoked = runbook(kbdir, "trust", "--revoke", "cleanup")
    assert revoked.returncode == 0 and "revoked: cleanup" in revoked.stdout
    assert one_line_error(runbook(kbdir, "trust", "--revoke", "cleanup"))
    refused = runbook(kbdir, "run", "cleanup", "--no-tui", "--yes")
    assert one_line_error(refused) and not marker.exists()


# -- the TUI's run screen asks the same question -----------------------------------------------------------

async def _screen_runs_unasked(kb, name: str) -> bool:
    """Open the run screen as `runbook run NAME --yes` does and press r: does the command run without a question?"""
    from kb.runs import runbooks
    from kb.runs.walk import RunWalk
    from runbook.app import RunbookApp

    walk = RunWalk.start(kb, runbooks.load(kb, name), "Ann Op <ann@example.com>", {}, set())
    app = RunbookApp(kb, run_walk=walk, run_options={"yes": True, "author": ("Ann Op", "ann@example.com")})
    async with app.run_test(size=(110, 34)) as pilot:
        await _until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and bool(app.screen.query("#step-title")))
        await pilot.press("r")
        await _until(pilot, lambda: type(app.screen).__name__ == "ConfirmCommand"
                     or walk.run.steps[0].exit_code is not None)
        asked = type(app.screen).__name__ == "ConfirmCommand"
        if asked:
            await pilot.press("n")
        walk.store.close()
    return not asked


async def test_the_run_screen_asks_unless_this_exact_content_is_trusted(kb, tmp_path):
    from kb.runs import runbooks
    from kb.runs.trust import trust

    marker = tmp_path / "ran"
    text = f"---\ntrusted: true\n---\n# Touch\n\n- [ ] touch\n  ```bash\n  touch {marker}\n  ```\n"
    (kb.runbooks_dir / "touch.md").write_text(text, encoding="utf-8")
    assert not await _screen_runs_unasked(kb, "touch")  # front matter alone: asks
    assert not marker.exists()
    trust(kb, runbooks.load(kb, "touch"))
    (kb.runbooks_dir / "touch.md").write_text(text + "- [ ] one more\n", encoding="utf-8")
    assert not await _screen_runs_unasked(kb, "touch")  # changed since trusted: asks
    assert not marker.exists()
    trust(kb, runbooks.load(kb, "touch"))
    assert await _screen_runs_unasked(kb, "touch")  # trusted, unchanged: runs
    assert marker.exists()


async def _runbooks_detail(kb, name: str) -> str:
    """The F4 detail pane of a runbook, as the operator reads it before pressing Enter."""
    from runbook.app import RunbookApp

    app = RunbookApp(kb)
    async with app.run_test(size=(110, 34)) as pilot:
        await _until(pilot, lambda: app.current_mode == "search" and bool(app.screen.query("#paste")))
        await pilot.press("f4")
        await _until(pilot, lambda: app.current_mode == "runbooks" and bool(app.screen.query("#checklist-detail")))
        table = app.screen.table
        await _until(pilot, lambda: table.row_count > 0)
        table.move_cursor(row=next(i for i in range(table.row_count) if str(table.get_row_at(i)[0]) == name))
        detail = app.screen.query_one("#checklist-detail")
        await _until(pilot, lambda: "**Trust**" in detail._markdown)
        return detail._markdown


async def test_the_tui_says_whether_a_runbook_is_trusted_and_that_its_own_say_so_decides_nothing(kb, tmp_path):
    from kb.runs import runbooks
    from kb.runs.trust import trust

    text = f"---\ntrusted: true\n---\n# Touch\n\n- [ ] touch\n  ```bash\n  touch {tmp_path / 'ran'}\n  ```\n"
    (kb.runbooks_dir / "touch.md").write_text(text, encoding="utf-8")
    shown = await _runbooks_detail(kb, "touch")
    assert "not trusted on this machine" in shown and "author's suggestion, not your decision" in shown
    trust(kb, runbooks.load(kb, "touch"))
    shown = await _runbooks_detail(kb, "touch")
    assert "trusted on this machine on" in shown and "runbook run touch --yes" in shown


async def test_a_run_asked_to_go_unattended_says_why_it_asks(kb, tmp_path):
    from kb.runs import runbooks
    from kb.runs.walk import RunWalk
    from runbook.app import RunbookApp

    text = f"---\ntrusted: true\n---\n# Touch\n\n- [ ] touch\n  ```bash\n  touch {tmp_path / 'ran'}\n  ```\n"
    (kb.runbooks_dir / "touch.md").write_text(text, encoding="utf-8")
    walk = RunWalk.start(kb, runbooks.load(kb, "touch"), "Ann Op <ann@example.com>", {}, set())
    app = RunbookApp(kb, run_walk=walk, run_options={"yes": True, "author": ("Ann Op", "ann@example.com")})
    async with app.run_test(size=(110, 34)) as pilot:
        await _until(pilot, lambda: any("Each command asks first" in n.message for n in app._notifications))
        (note,) = [n.message for n in app._notifications if "Each command asks first" in n.message]
        assert "touch is not trusted on this machine" in note and "author's suggestion" in note
        walk.store.close()


def test_a_link_swapped_between_its_check_and_its_read_is_refused(kb, tmp_path, monkeypatch):
    """runbooks/deploy.md is a link to runbooks/real.md (allowed). If it is pointed at a report in the
    moment between the check of where it leads and the read, the report's content must not run under the
    runbook's name: the file actually opened is checked."""
    import kb.runs.runbooks as runbooks_module
    from kb.store.knowledge_base import KBError

    real = kb.runbooks_dir / "real.md"
    real.write_text("# Deploy\n\n- [ ] say hello\n  ```bash\n  echo hello\n  ```\n", encoding="utf-8")
    report = kb.reports_dir / "incident.md"
    report.write_text("# Incident\n\n- [ ] wipe\n  ```bash\n  echo wiped\n  ```\n", encoding="utf-8")
    link = kb.runbooks_dir / "deploy.md"
    link.symlink_to(real)
    assert runbooks_module.load(kb, "deploy").steps[0].commands[0].command == "echo hello"  # a link inside: fine

    checked = runbooks_module.kb_path

    def check_then_swap(knowledge, path):
        here = checked(knowledge, path)
        link.unlink()
        link.symlink_to(report)  # the swap, right after the check
        return here

    monkeypatch.setattr(runbooks_module, "kb_path", check_then_swap)
    with pytest.raises(KBError, match="changed into another file"):
        runbooks_module.load(kb, "deploy")
