"""What the command line prints, as a reader sees it: headers, counts, commits without a SHA, Markdown on a
terminal, a bad --since. Real KBs, the real CLI through CliRunner, and a real pty where a terminal matters."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time

import pytest

from conftest import ROOT, run_cli

POOL_REPORT = """# nginx upstream pool exhausted

## Error: upstream timed out

```
upstream timed out (110: Connection timed out) while reading response header from upstream
```

**Root cause**:

- the app's database pool was too small for the new traffic
- every worker held its connection while waiting on the slow query

**Fix**: raise the pool (nginx itself needed no change), commit `fix(db): raise the pool size to 20`.
"""


@pytest.fixture
def pool_kb(runner, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "pool.md").write_text(POOL_REPORT, encoding="utf-8")
    kbdir = tmp_path / "kb"
    run_cli(runner, kbdir, "init", str(kbdir))
    assert run_cli(runner, kbdir, "ingest", str(folder)).exit_code == 0
    return kbdir


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@pytest.mark.parametrize("kind,header", [("reports", ["REF", "TITLE", "ERRORS", "CHECKLISTS", "COMMANDS", "PATH"]),
                                         ("errors", ["REF", "MESSAGE", "REPORT"]),
                                         ("checklists", ["REF", "TITLE", "KIND", "PHASE", "ITEMS", "REPORT"])])
def test_list_prints_column_headers_over_aligned_columns(runner, tmp_path, kind, header):
    from conftest import SAMPLES

    kbdir = tmp_path / "kb"
    run_cli(runner, kbdir, "init", str(kbdir))
    run_cli(runner, kbdir, "ingest", str(SAMPLES))
    lines = run_cli(runner, kbdir, "list", kind).stdout.splitlines()
    assert lines[0].split() == header
    last = lines[0].index(header[-1])  # the last column starts at the same place on every line, CJK or not
    for line in lines[1:]:
        prefix = line[: len(line) - len(line.lstrip())]
        cells = re.split(r"  +", line)
        start = _display_width(line[: line.rindex(cells[-1])])
        assert start == last, line
        assert not prefix


def test_counts_read_one_report_two_errors(runner, pool_kb):
    topics = run_cli(runner, pool_kb, "onboard").stdout
    assert "nginx" in topics and "1 report, 1 error, 0 checklists" in topics
    assert "reindexed 1 report," in run_cli(runner, pool_kb, "reindex").stdout


def test_plural():
    from kb.parse.words import plural

    assert [plural(1, "report"), plural(2, "error"), plural(0, "checklist"), plural(1, "entry", "entries"),
            plural(3, "entry", "entries")] == ["1 report", "2 errors", "0 checklists", "1 entry", "3 entries"]


def test_a_commit_without_a_sha_is_its_message_not_dashes(runner, pool_kb):
    for args in (("show", "e1"), ("show", "r1"), ("search", "upstream timed out while reading response header")):
        out = run_cli(runner, pool_kb, *args).stdout
        assert "fix(db): raise the pool size to 20" in out
        assert "-------" not in out, args


def test_a_cause_that_is_a_list_starts_under_its_label(runner, pool_kb):
    out = run_cli(runner, pool_kb, "search", "upstream timed out while reading response header").stdout
    lines = out.splitlines()
    cause = next(i for i, line in enumerate(lines) if line.strip().startswith("cause:"))
    assert lines[cause].strip() == "cause:"  # not "cause: - the app's database pool…"
    assert lines[cause + 1].strip() == "- the app's database pool was too small for the new traffic"


def test_ingest_since_not_a_date_is_a_one_line_error(runner, pool_kb, tmp_path):
    import git

    repo = git.Repo.init(tmp_path / "project")
    (tmp_path / "project" / "a.txt").write_text("a", encoding="utf-8")
    repo.index.add(["a.txt"])
    repo.index.commit("fix: the first fix", author=git.Actor("A", "a@example.com"))
    result = runner.invoke(__import__("runbook.cli", fromlist=["cli"]).cli,
                           ["--kb", str(pool_kb), "ingest", "--repo", str(tmp_path / "project"), "--since", "notadate"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --since 'notadate' is not a date: give YYYY-MM-DD, or e.g. '2 weeks ago'"
    assert "Traceback" not in result.output
    good = run_cli(runner, pool_kb, "ingest", "--repo", str(tmp_path / "project"), "--since", "2 weeks ago")
    assert good.exit_code == 0 and "1 new commit," in good.stdout


def _read_until(fd: int, wanted: bytes, seconds: float = 30) -> bytes:
    out = b""
    deadline = time.monotonic() + seconds
    while wanted not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def test_onboard_pages_render_markdown_on_a_terminal_and_stay_markdown_in_a_pipe(runner, pool_kb):
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "LINES": "40", "TERM": "xterm-256color"}
    process = subprocess.Popen([sys.executable, "-m", "runbook.cli", "--kb", str(pool_kb), "onboard", "nginx"],
                               stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env, close_fds=True)
    os.close(slave)
    try:
        screen = _read_until(master, b"[q]uit")
        os.write(master, b"q\n")
        screen += _read_until(master, b"resumes at page")
    finally:
        process.wait(timeout=30)
        os.close(master)
    text = re.sub(r"\x1b\[[0-9;]*m", "", screen.decode("utf-8", "replace"))
    assert "What the team has written about nginx" in text
    assert "**" not in text  # bold is shown as bold, not as asterisks
    piped = run_cli(runner, pool_kb, "onboard", "nginx", input="q\n").stdout
    assert "What the team has written about **nginx**" in piped  # a file or a pipe keeps the Markdown itself
