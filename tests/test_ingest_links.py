"""Ingesting a folder reads only what is in it: a symlink out of it, or into a .git directory, is left out
and said in one line; a symlink named on the command line is read as the file it points to."""

from __future__ import annotations

import json
import subprocess

from conftest import run_cli

SECRET_LINE = "not-a-report-line-7Qx2"


def _folder(tmp_path):
    """Reports of ours, and the links a careless or hostile folder holds."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.md").write_text(f"# Private\n\n{SECRET_LINE}\n", encoding="utf-8")
    (outside / "more").mkdir()
    (outside / "more" / "deep.md").write_text(f"# Deep\n\n{SECRET_LINE}\n", encoding="utf-8")
    folder = tmp_path / "postmortems"
    (folder / "2025").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    (folder / ".git" / "notes.md").write_text(f"# In git\n\n{SECRET_LINE}\n", encoding="utf-8")
    (folder / "2025" / "outage.md").write_text("# Outage\n\n## Error: gizmo queue refused\n", encoding="utf-8")
    (folder / "2025" / "same-outage.md").symlink_to("outage.md")  # inside the folder: read
    (folder / "passwd.md").symlink_to(outside / "private.md")
    (folder / "2025" / "config.md").symlink_to("../.git/config")
    (folder / "in-git.md").symlink_to(".git/notes.md")
    (folder / "elsewhere").symlink_to(outside / "more")
    return folder, outside


def test_a_folder_walk_never_leaves_the_folder_nor_reads_git(runner, tmp_path):
    folder, _ = _folder(tmp_path)
    kbdir = tmp_path / "kb"
    run_cli(runner, kbdir, "init")
    result = run_cli(runner, kbdir, "ingest", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("ingested 2, unchanged 0, failed 0")
    assert sorted(p.relative_to(kbdir / "reports").as_posix() for p in (kbdir / "reports").rglob("*.md")) == [
        "2025/outage.md", "2025/same-outage.md"]
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped: ")]
    assert len(skipped) == 5, result.stderr
    for name, why in (("passwd.md", "outside"), ("elsewhere", "outside"), ("2025/config.md", "into a .git directory"),
                      ("in-git.md", "into a .git directory"), (".git", "a .git directory")):
        assert any(f"{folder}/{name}: " in line and why in line for line in skipped), (name, skipped)
    log = subprocess.run(["git", "log", "-p", "--all"], cwd=kbdir, capture_output=True, text=True).stdout
    assert SECRET_LINE not in log and "[core]" not in log and "repositoryformatversion" not in log
    checked = json.loads(run_cli(runner, kbdir, "ingest", "--check", "--json", str(folder)).stdout)
    assert checked["checked"] == 2 and len(checked["skipped"]) == 5


def test_a_symlink_named_on_the_command_line_is_read_as_its_file(runner, tmp_path):
    folder, outside = _folder(tmp_path)
    kbdir = tmp_path / "kb"
    run_cli(runner, kbdir, "init")
    result = run_cli(runner, kbdir, "ingest", str(folder / "passwd.md"))
    assert result.exit_code == 0 and "skipped" not in result.stderr
    assert (kbdir / "reports" / "passwd.md").read_text(encoding="utf-8") == (outside / "private.md").read_text()


def test_a_folder_inside_git_is_not_read(runner, tmp_path):
    folder, _ = _folder(tmp_path)
    kbdir = tmp_path / "kb"
    run_cli(runner, kbdir, "init")
    result = run_cli(runner, kbdir, "ingest", str(folder / ".git"))
    assert "ingested 0" in result.stdout and "inside a .git directory" in result.stderr
    assert not list((kbdir / "reports").rglob("*.md"))
