"""Huge pastes and huge reports stay cheap without changing what is found: a paste's lines are looked at closely
only where an anchor word is (the same lines as looking at every one), a line's work is bounded, and a report
of thousands of sections is stored as a bounded number of passages with nothing lost. (Speed itself is measured
by bench/hostile_speed.py, not here.)"""

from __future__ import annotations

from pathlib import Path

from kb.parse import labels, normalize
from kb.parse.normalize import MAX_LINE_CHARS, salient_lines
from kb.parse.structured_logs import readable

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "reports"


def _every_line_examined(paste: str, limit: int = 8) -> list[tuple[str, float]]:
    """salient_lines as it was before the anchors: every line classified (the reference)."""
    lines = [readable(line.strip()) for line in paste.splitlines() if line.strip()]
    if len(lines) <= 1:
        return [(lines[0], 3.0)] if lines else []
    scored, last_exception = [], None
    for index, line in enumerate(lines):
        if normalize._FRAME_RE.match(line):
            continue
        weight = 0.0
        if normalize._TRACEBACK_END_RE.match(normalize.strip_prefix(normalize.mask(line))):
            weight, last_exception = 3.0, index
        elif labels.has_error_token(line):
            weight = 2.5
        elif normalize._ERROR_WORD_RE.search(line):
            weight = 2.0
        if weight:
            scored.append((weight, index, line))
    if last_exception is not None:
        scored = [(w + (1.0 if i == last_exception else 0.0), i, line) for w, i, line in scored]
    if not scored:
        return [(line, 1.0) for line in lines[-3:]]
    best = sorted(scored, key=lambda item: (-item[0], item[1]))[:limit]
    return [(line, weight) for weight, _, line in sorted(best, key=lambda item: item[1])]


def _our_texts() -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(SAMPLES.glob("*.md"))]
    texts += ["2024-05-01 12:00:01 INFO ok\n" * 40 + "Traceback (most recent call last):\n  File \"a.py\", line 3\n"
              "KeyError: 'tenant'\n" + "2024-05-01 12:00:02 INFO ok\n" * 40,
              "GET /health HTTP/1.1 200\n" * 30 + "GET /pay HTTP/1.1 502\n" + "upstream: 404 Not Found\n",
              '{"level":"info","msg":"ok"}\n' * 20 + '{"level":"error","msg":"put flag failed","err":"etcd: too large"}\n',
              "errno EADDRINUSE\nE11000 duplicate key\nexit code 137\nSegmentation fault (core dumped)\n" * 3,
              "构建失败：依赖下载超时\n" + "正常\n" * 50 + "连接被拒绝\n", "one line only: TimeoutError: waited 30 s\n"]
    return texts


def test_anchors_pick_the_same_lines_as_examining_every_line():
    for text in _our_texts():
        for limit in (3, 8):
            assert salient_lines(text, limit) == _every_line_examined(text, limit), text[:80]


def test_every_line_a_pattern_can_match_holds_an_anchor():
    """The anchors are a necessary condition of the three patterns (labels' error tokens may grow: this says so)."""
    lines = [line for text in _our_texts() for line in text.splitlines()]
    lines += [f"{word}" for word in ("ENOENT", "ERR_SSL_PROTOCOL", "E11000", "OOMKilled", "CrashLoopBackOff",
                                     "ImagePullBackOff", "ErrImagePull", "panic: nil map", "FATAL x", "CRITICAL y",
                                     "503 Service", "HTTP/1.1 502", "exit status 2", "KeyboardInterrupt",
                                     "SystemExit", "DeprecationWarning: x", "Segmentation fault")]
    for line in lines:
        matched = (normalize._TRACEBACK_END_RE.match(normalize.strip_prefix(normalize.mask(line)))
                   or labels.has_error_token(line) or normalize._ERROR_WORD_RE.search(line))
        if matched:
            assert normalize._candidates([line]) == [0], line


def test_a_one_megabyte_line_is_cut_around_its_error():
    paste = "x" * 600_000 + " psycopg2.OperationalError: could not connect to server " + "y" * 400_000
    (line, weight), = salient_lines(paste)
    assert len(line) <= MAX_LINE_CHARS and "OperationalError: could not connect" in line and weight == 3.0


def test_a_paste_of_errors_only_keeps_its_last_exception():
    paste = "".join(f"ERROR worker {n} failed to renew the lease\n" for n in range(60_000))
    paste += "Traceback (most recent call last):\n  File \"w.py\", line 9\nLeaseExpiredError: lease 7 expired\n"
    lines = salient_lines(paste)
    assert lines[-1] == ("LeaseExpiredError: lease 7 expired", 4.0)
    assert lines[0][0] == "ERROR worker 0 failed to renew the lease"


def test_a_report_of_thousands_of_sections_is_read_up_to_the_bound_in_bounded_passages():
    """Its first sections as sections (each its own passage), the rest as plain passages up to a cap: the
    stored passages stay bounded however many sections the file has (kb/parse/bound.py)."""
    from kb.parse.bound import MAX_SECTIONS, TAIL_SEARCH_CHARS
    from kb.parse.passages import MAX_PASSAGES
    from kb.parse.report import parse_report

    text = "# Runbook index\n\n" + "".join(f"## Step {n}: rotate key {n}\n\nRun rotate-{n} on host h{n}.\n\n"
                                          for n in range(5000))
    report = parse_report(text, "reports/index.md")
    assert len(report.passages) <= MAX_PASSAGES
    for n in (0, 1, MAX_SECTIONS - 2):  # read as sections
        assert any(p.heading.endswith(f"Step {n}: rotate key {n}") and p.text == f"Run rotate-{n} on host h{n}."
                   for p in report.passages)
    plain = "\n".join(p.text for p in report.passages if p.line >= report.outline[0]["children"][-1]["line"] + 3)
    for n in (MAX_SECTIONS, MAX_SECTIONS + 100):  # the rest: plain text, searchable up to the cap
        assert f"## Step {n}: rotate key {n}\n\nRun rotate-{n} on host h{n}." in plain
    assert "rotate-4999" not in plain and len(plain) <= TAIL_SEARCH_CHARS


def test_a_report_of_thousands_of_errors_keeps_each_one_read_with_its_fix():
    from kb.parse.bound import MAX_SECTIONS
    from kb.parse.report import parse_report

    text = "# Error catalogue\n\n" + "".join(f"## Error {n}: Quota{n}Error: bucket {n} refused\n\n"
                                            f"**Fix**: raise the quota of bucket {n}.\n\n" for n in range(3000))
    report = parse_report(text, "reports/catalogue.md")
    assert len(report.errors) == MAX_SECTIONS - 1  # the title is the first heading
    assert report.errors[-1].fix == f"raise the quota of bucket {MAX_SECTIONS - 2}."
    assert report.errors[0].fix == "raise the quota of bucket 0."
