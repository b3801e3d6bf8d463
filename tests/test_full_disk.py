"""A full disk, for real: the KB on a small tmpfs (a private mount namespace), filled until ingest hits ENOSPC at
one phase or another (copies, SQLite, the index, git). Ingest says so in one line and leaves no temporary file
and no untracked copy; once there is room, the next ingest (of another file) finishes what was left. Skipped
where tmpfs cannot be mounted."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

_DRIVER = r'''
import json, os, subprocess, sys
from pathlib import Path

mount, reports, other, free_kb = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], check=True)
code = "import sys; from runbook.cli import main; sys.argv[0] = 'runbook'; main()"
kb = mount / "kb"

def runbook(*args):
    return subprocess.run([sys.executable, "-c", code, "--kb", str(kb), *args], capture_output=True, text=True)

def git(*args):
    return subprocess.run(["git", *args], cwd=kb, capture_output=True, text=True).stdout

def debris():
    return sorted(str(p.relative_to(kb)) for p in kb.rglob("*") if p.name.endswith(".tmp") or p.name == "pathspec"
                  or p.name.endswith(".doclist") or (p.parent.name == ".git" and p.name.endswith(".lock")))

out = {"init": runbook("init").returncode}
filler = mount / "filler"
stat = os.statvfs(mount)
size = stat.f_bavail * stat.f_frsize - free_kb * 1024
with open(filler, "wb") as handle:  # really allocated: tmpfs counts written pages
    chunk = b"\0" * (1 << 20)
    while size > 0:
        handle.write(chunk[: min(size, len(chunk))])
        size -= len(chunk)
full = runbook("ingest", reports)
out["full"] = {"code": full.returncode, "stderr": full.stderr, "stdout": full.stdout}
out["debris_after_full"] = debris()
out["untracked_after_full"] = [l for l in git("status", "--porcelain", "--untracked-files=all").splitlines()
                               if l.startswith("??")]
filler.unlink()
after = runbook("ingest", other)
out["next"] = {"code": after.returncode, "stderr": after.stderr, "stdout": after.stdout}
out["status_after_next"] = git("status", "--porcelain", "--untracked-files=all")
again = runbook("ingest", reports)
out["again"] = {"code": again.returncode, "stdout": again.stdout, "stderr": again.stderr}
out["status_at_end"] = git("status", "--porcelain", "--untracked-files=all")
out["debris_at_end"] = debris()
out["stored"] = len(json.loads(runbook("list", "--json").stdout))
out["fsck"] = subprocess.run(["git", "fsck", "--strict"], cwd=kb, capture_output=True).returncode
found = runbook("search", "--json", "QuotaError: bucket b7 refused the upload")
out["search"] = found.returncode
print(json.dumps(out))
'''


@functools.lru_cache(maxsize=1)
def _can_mount_tmpfs() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"runbook-tmpfs-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "mount", "-t", "tmpfs", "-o",
                               "size=1m", "tmpfs", str(probe)], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        shutil.rmtree(probe, ignore_errors=True)


pytestmark = pytest.mark.skipif(not _can_mount_tmpfs(), reason="cannot mount a tmpfs here")


def _reports(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    for number in range(count):
        (folder / f"quota-{number:03d}.md").write_text(
            f"# Upload outage {number}\n\n## Error: QuotaError: bucket b{number} refused the upload\n\n"
            f"```\nQuotaError: bucket b{number} refused the upload after 3 retries\n```\n\n"
            f"**Root cause**: bucket b{number} was full.\n\n**Fix**: raised the quota of b{number}.\n\n"
            + "".join(f"## Step {n}\n\nChecked replica {n} of bucket b{number} and found it {n * 7} MB short.\n\n"
                      for n in range(40)), encoding="utf-8")
    return folder


@pytest.mark.parametrize("free_kb", [40, 300, 900, 2500, 3500, 5000])
def test_a_full_disk_leaves_nothing_behind_and_the_next_ingest_finishes(tmp_path, free_kb):
    """The free space left decides where ingest runs out: writing copies, SQLite's transaction, the index, git."""
    reports = _reports(tmp_path / "in", 120)
    other = tmp_path / "other.md"
    other.write_text("# Kiln outage\n\n## Error: KilnError: kiln 3 cooled early\n\n**Fix**: relight kiln 3.\n",
                     encoding="utf-8")
    mount = tmp_path / "mnt"
    mount.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable, "-c", _DRIVER,
                             str(mount), str(reports), str(other), str(free_kb)], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    full = out["full"]
    assert "Traceback" not in full["stderr"], full["stderr"]
    if full["code"] != 0:  # it ran out of room: one line saying so (git's own words when git did)
        errors = [line for line in full["stderr"].splitlines() if line.startswith("error: ")]
        assert len(errors) >= 1 and all("space" in line.lower() for line in errors), full["stderr"]
    assert out["debris_after_full"] == []
    untracked = out["untracked_after_full"]
    assert not [line for line in untracked if "reports/" in line], full  # no copy nobody knows of
    if "the reports that were stored are kept" not in full["stderr"]:
        assert untracked == [], full
    else:  # records in, the stable ids could not even be staged: the next ingest commits them with the copies
        assert set(untracked) <= {"?? refs.tsv", "?? .gitattributes"}
    assert out["next"]["code"] == 0, out["next"]
    assert out["status_after_next"] == ""  # the next ingest, of another file, committed what was left
    assert out["again"]["code"] == 0 and "failed 0" in out["again"]["stdout"], out["again"]
    assert out["status_at_end"] == "" and out["debris_at_end"] == []
    assert out["stored"] == 121
    assert out["fsck"] == 0 and out["search"] == 0


def test_at_least_one_free_space_made_ingest_run_out(tmp_path):
    """The sizes above do hit ENOSPC (else the test above would prove nothing): the smallest one fails."""
    reports = _reports(tmp_path / "in", 120)
    mount = tmp_path / "mnt"
    mount.mkdir()
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable, "-c", _DRIVER,
                             str(mount), str(reports), str(reports / "quota-000.md"), "40"], capture_output=True,
                            text=True, cwd=ROOT, timeout=600,
                            env={**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
                                 "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com"})
    out = json.loads(result.stdout)
    assert out["full"]["code"] == 1
    lines = out["full"]["stderr"].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: no space left on the device of {mount / 'kb'}: ")
