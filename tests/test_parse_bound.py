"""A giant report (a generated handbook of 50,000 headings, a log dumped as Markdown) is read as sections only up
to the parse bound (kb/parse/bound.py): its first sections become cards and passages as in any report, the rest is
kept whole in the KB's copy and searchable as plain text up to a cap, and ingest and reindex say so in one line.
Reports within the bound are read exactly as before (tests/test_ingest_golden.py). Speed: bench/hostile_speed.py."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from kb.parse.bound import MAX_CHARS, MAX_LINES, MAX_SECTIONS, TAIL_PASSAGE_CHARS, TAIL_SEARCH_CHARS, find_cut
from kb.parse.report import parse_report

ROOT = Path(__file__).resolve().parent.parent


def _handbook(sections: int) -> str:
    return "# Kiln controller handbook\n\n" + "".join(
        f"## Kiln step {n}\n\nThe kiln-{n} relay is checked with probe tag zq{n}x before firing.\n\n"
        for n in range(sections))


def _runbook(kb: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(kb), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def _hits(kb: Path, query: str) -> list[dict]:
    done = _runbook(kb, "search", query, "--json")
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout or "[]")


def _notes(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("note: ")]


def test_a_50000_heading_report_is_read_up_to_the_bound_and_kept_whole(tmp_path):
    text = _handbook(50_000)
    source = tmp_path / "handbook.md"
    source.write_text(text, encoding="utf-8")
    kb = tmp_path / "kb"
    assert _runbook(kb, "init").returncode == 0

    done = _runbook(kb, "ingest", str(source))
    assert done.returncode == 0, done.stderr
    assert "ingested 1" in done.stdout
    assert _notes(done.stderr) == [
        f"note: {source} has 50,001 headings; the first {MAX_SECTIONS:,} are read as sections, the rest (from line "
        f"{4 * (MAX_SECTIONS - 1) + 3:,}) as plain text, searchable up to {TAIL_SEARCH_CHARS // 1000} KB and kept "
        "whole in the KB's copy"]

    # the first sections are sections: a search finds one as its own passage under its own heading
    first = _hits(kb, "probe tag zq12x")[0]
    assert first["report"]["path"] == "reports/handbook.md"
    assert first["passages"][0]["heading"] == "Kiln controller handbook / Kiln step 12"
    assert "zq12x" in first["passages"][0]["text"]
    # just past the bound: plain text, still searchable, under the heading above it
    past = _hits(kb, f"probe tag zq{MAX_SECTIONS + 5}x")[0]
    assert f"zq{MAX_SECTIONS + 5}x" in past["passages"][0]["text"]
    assert past["passages"][0]["heading"].startswith("Kiln controller handbook / Kiln step ")
    # far past the searchable cap: not indexed, but kept in the KB's copy as it was written
    assert not any("zq49000x" in json.dumps(hit) for hit in _hits(kb, "probe tag zq49000x"))
    kept = subprocess.run(["git", "-C", str(kb), "show", "HEAD:reports/handbook.md"], capture_output=True, text=True)
    assert kept.stdout == text

    # what is stored is bounded: the sections read, and a capped number of plain passages
    with sqlite3.connect(kb / ".runbook" / "kb.sqlite") as db:
        passages = db.execute("select heading, line, text from passages").fetchall()
    assert len(passages) <= MAX_SECTIONS + TAIL_SEARCH_CHARS // (TAIL_PASSAGE_CHARS // 2)
    assert sum(len(text) for _, _, text in passages) < 2 * (TAIL_SEARCH_CHARS + len(text[:find_cut(text).at]))
    shown = json.loads(_runbook(kb, "show", "r1", "--json").stdout)
    assert "read as sections" in shown["meta"]

    # reindex reads it the same way, and says so the same way
    before = sorted(passages)
    again = _runbook(kb, "reindex")
    assert again.returncode == 0, again.stderr
    assert _notes(again.stderr) == [_notes(done.stderr)[0].replace(str(source), "reports/handbook.md")]
    with sqlite3.connect(kb / ".runbook" / "kb.sqlite") as db:
        assert sorted(db.execute("select heading, line, text from passages").fetchall()) == before
    assert _hits(kb, "probe tag zq12x")[0]["passages"][0]["heading"] == "Kiln controller handbook / Kiln step 12"


def test_a_report_within_every_bound_is_read_whole():
    text = _handbook(MAX_SECTIONS - 1)  # the title and MAX_SECTIONS - 1 sections: MAX_SECTIONS headings
    report = parse_report(text, "reports/handbook.md")
    assert find_cut(text) is None and report.bound_note == "" and "read as sections" not in report.meta
    assert len(report.outline[0]["children"]) == MAX_SECTIONS - 1
    assert f"zq{MAX_SECTIONS - 2}x" in report.passages[-1].text


def test_one_heading_past_the_bound_starts_the_plain_text():
    text = _handbook(MAX_SECTIONS)
    report = parse_report(text, "reports/handbook.md")
    assert len(report.outline[0]["children"]) == MAX_SECTIONS - 1
    assert report.bound_note.startswith(f"has {MAX_SECTIONS + 1:,} headings; the first {MAX_SECTIONS:,}")
    last = report.passages[-1]
    assert last.heading == f"Kiln controller handbook / Kiln step {MAX_SECTIONS - 1}"
    assert last.text.startswith(f"## Kiln step {MAX_SECTIONS - 1}") and f"zq{MAX_SECTIONS - 1}x" in last.text
    assert last.line == text[:text.index(f"## Kiln step {MAX_SECTIONS - 1}\n")].count("\n") + 1


def test_headings_in_fenced_code_are_not_counted():
    comments = "".join(f"# comment {n}: rotate the key\n" for n in range(3 * MAX_SECTIONS))
    text = f"# Key rotation\n\n## Steps\n\n```bash\n{comments}```\n\n## Fix\n\nRotate the key with `kr rotate`.\n"
    report = parse_report(text, "reports/keys.md")
    assert find_cut(text) is None and report.bound_note == ""
    assert [child["title"] for child in report.outline[0]["children"]] == ["Steps", "Fix"]


def test_a_log_dumped_as_markdown_is_read_up_to_the_line_bound():
    lines = [f"00:{n % 60:02d} INFO w{n} ok" for n in range(MAX_LINES + 10_000)]  # 20,000 lines well under MAX_CHARS
    lines[40] = "2026-01-01T00:00:40 ERROR worker 40 LeaseLostError: lease kiln-7 expired"
    text = "# Worker log\n\n## Log\n\n```\n" + "\n".join(lines) + "\n```\n\n## Fix\n\nRenew the lease with `lease renew`.\n"
    report = parse_report(text, "reports/worker.md")
    assert report.bound_note.startswith(f"has {text.count(chr(10)):,} lines; the first {MAX_LINES:,} are read")
    assert [child["title"] for child in report.outline[0]["children"]] == ["Log"]  # "## Fix" is past the bound
    assert any("LeaseLostError" in p.text for p in report.passages if p.heading == "Worker log / Log")
    plain = [p for p in report.passages if p.line > MAX_LINES]
    assert plain and sum(len(p.text) for p in plain) <= TAIL_SEARCH_CHARS


def test_one_giant_line_is_read_up_to_the_character_bound():
    text = "# Paste\n\n" + " ".join(f"tok{n}" for n in range(MAX_CHARS // 3))
    cut = find_cut(text)
    assert cut is not None and cut.by == "characters" and cut.at <= MAX_CHARS
    report = parse_report(text, "reports/paste.md")
    assert report.bound_note.startswith(f"has {len(text):,} characters")
    assert sum(len(p.text) for p in report.passages) <= MAX_CHARS + TAIL_SEARCH_CHARS
