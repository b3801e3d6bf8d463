"""Arbitrary Markdown-ish text never makes the parser raise; arbitrary bytes only ever DecodeError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.parse.decode import DecodeError, decode_report
from kb.parse.report import parse_report

FRAGMENTS = [
    "# ", "## ", "### 错误 1：", "### Error: ", "#### Root cause\n", "**根本原因**:", "**Fix**:", "**修复后** (Commit `",
    "```", "```bash\n", "```mermaid\ngraph TD\n", "A -->|是| B{x?}\n", "B --> ", "| 错误 | 原因 | 修复 |\n", "|---|---|\n",
    "| a | b", "- [ ] ", "- [x] ", "  - ", "1. ", "Q: ", "A: ", "> ", "---\n", "\n", "\n\n", "`", "**", "*", "_",
    "02c3e18 - fix: x\n", "# 预期：", "# expected: ", "\\\n", "<<EOF\n", "EOF\n", "$ ", "步骤 1", "Step 2: ", "❌", "✅",
    "Traceback (most recent call last):\n", "ValueError: boom\n", "<div>", "&amp;", "[link](http://x)", "\t", "：", "|",
]

markdownish = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdownish)
def test_parser_never_raises(text):
    report = parse_report(text, "fuzz.md")
    assert isinstance(report.title, str)
    for error in report.errors:
        assert isinstance(error.message, str)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_decoder_raises_only_decode_error(data):
    try:
        decode_report(data, "x.md")
    except DecodeError:
        pass


def test_regressions_found_by_hypothesis():
    for text in ("```\t", "```   \ncode", "- [ ] ```\t"):
        parse_report(text, "regression.md")
