"""Every sample report yields exactly what its gold file says (tests/gold/*.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES, GOLD, ROOT
from kb.parse.decode import read_text
from kb.parse.report import parse_report

GOLD_FILES = sorted(GOLD.glob("*.json"))


def _load(gold_file: Path):
    gold = json.loads(gold_file.read_text(encoding="utf-8"))
    source = ROOT / gold["source"]
    if not source.exists():
        source = FIXTURES / Path(gold["source"]).name
    return gold, parse_report(read_text(source), gold["source"])


@pytest.fixture(params=GOLD_FILES, ids=[f.name.removesuffix(".json") for f in GOLD_FILES])
def case(request):
    return _load(request.param)


def test_there_are_enough_samples():
    sources = [json.loads(f.read_text(encoding="utf-8"))["source"] for f in GOLD_FILES]
    samples = [s for s in sources if s.startswith("assets/")]
    assert len(samples) >= 6
    assert sum(".zh." in s for s in samples) >= 3 and sum(".en." in s for s in samples) >= 2


def test_title_language_and_metadata(case):
    gold, report = case
    assert report.title == gold["title"]
    assert report.lang == gold["lang"]
    for label, value in gold.get("meta", {}).items():
        assert report.meta.get(label, "").strip() == value.strip(), label


def _find_error(report, message: str):
    for error in report.errors:
        haystack = f"{error.message}\n{error.title}\n{error.log}".replace("`", "")
        if message.replace("`", "") in haystack:
            return error
    return None


def test_every_error_with_its_cause_fix_and_commits(case):
    gold, report = case
    problems = []
    for expected in gold["errors"]:
        error = _find_error(report, expected["message"])
        if error is None:
            problems.append(f"missing error {expected['message']!r}")
            continue
        for key, field in (("root_cause", "root_cause"), ("fix", "fix")):
            if key in expected and expected[key].replace("`", "") not in getattr(error, field).replace("`", ""):
                problems.append(f"{expected['message']!r}: {key} lacks {expected[key]!r}")
        shas = {ref.sha for ref in error.commits if ref.sha}
        for sha in expected.get("commits", []):
            if sha.lower() not in shas:
                problems.append(f"{expected['message']!r}: commit {sha} not linked (has {sorted(shas)})")
        if expected.get("before_after") and not (error.before and error.after):
            problems.append(f"{expected['message']!r}: before/after code missing")
    assert not problems, "\n".join(problems)


def test_error_count_is_exact(case):
    gold, report = case
    found = [e.message for e in report.errors]
    assert len(report.errors) == gold["error_count"], "\n".join(found)


def test_commits(case):
    gold, report = case
    by_sha = {ref.sha: ref.message for ref in report.commits if ref.sha}
    for expected in gold.get("commits", []):
        sha = expected["sha"].lower()
        assert sha in by_sha, f"commit {sha} missing; found {sorted(by_sha)}"
        if expected.get("message"):
            assert expected["message"] in by_sha[sha]
    assert len(by_sha) == len(gold.get("commits", []))


def test_checklists_in_order(case):
    gold, report = case
    remaining = list(report.checklists)
    for expected in gold.get("checklists", []):
        match = next((c for c in remaining if expected["title"] in c.title), None)
        assert match is not None, f"checklist {expected['title']!r} missing; have {[c.title for c in report.checklists]}"
        remaining = remaining[remaining.index(match) + 1:]
        texts = [item.text for item in match.items]
        assert len(texts) == len(expected["items"]), f"{expected['title']}: {texts}"
        for text, want in zip(texts, expected["items"]):
            assert want.replace("`", "") in text.replace("`", ""), f"{want!r} not in {text!r}"


def test_commands_in_order(case):
    gold, report = case
    commands = [c.command for c in report.commands]
    assert commands == [c["command"] for c in gold.get("commands", [])]
    for command, expected in zip(report.commands, gold.get("commands", [])):
        if expected.get("expected"):
            assert expected["expected"] in command.expected, command.command


def test_flowcharts(case):
    gold, report = case
    assert len(report.flowcharts) == len(gold.get("flowcharts", []))
    for chart, expected in zip(report.flowcharts, gold.get("flowcharts", [])):
        assert len(chart.nodes) == expected["nodes"]
        assert len(chart.edges) == expected["edges"]
        assert chart.kind == expected.get("kind", "decision tree"), "decision tree or diagram"
        labels = {edge["label"] for edge in chart.edges}
        assert set(expected.get("edge_labels", [])) <= labels


def test_lessons(case):
    gold, report = case
    assert len(report.lessons) == gold.get("lessons", 0), [lesson.title for lesson in report.lessons]
