"""Reports arrive in UTF-8 (BOM or not), UTF-16 with BOM and GBK; other bytes get a one-line error."""

from __future__ import annotations

import codecs

import pytest

from conftest import FIXTURES
from kb.parse.decode import DecodeError, decode_report
from kb.ingest import ingest
from kb.parse.report import parse_report

TEXT = "# 部署报告\n\n### 错误 1：端口冲突\n\n**错误日志**:\n```\nError: listen EADDRINUSE :::3000\n```\n\n**根本原因**: 旧进程未退出\n\n**修复方案**: 停掉旧进程\n"


@pytest.mark.parametrize("encoding, prefix", [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16", b""),
                                              ("gbk", b""), ("gb18030", b"")])
def test_each_encoding_decodes_to_the_same_report(encoding, prefix):
    data = prefix + TEXT.encode(encoding)
    text = decode_report(data, "r.md")
    assert text == TEXT
    report = parse_report(text)
    assert report.errors[0].message == "Error: listen EADDRINUSE :::3000"
    assert "旧进程" in report.errors[0].root_cause


def test_gbk_fixture_is_really_gbk_and_ingests(kb):
    data = (FIXTURES / "gbk-report.zh.md").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = ingest(kb, [FIXTURES / "gbk-report.zh.md", FIXTURES / "utf16-report.en.md", FIXTURES / "bom-report.zh.md"])
    assert not result.failed and len(result.ingested) == 3
    stored = (kb.root / "reports" / "gbk-report.zh.md").read_text(encoding="utf-8")  # stored as UTF-8
    assert "错误" in stored


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"   \n\n  ", "empty"),
    (b"\x00\x01\x02binary\x00", "binary"),
    (codecs.BOM_UTF16_LE + b"\x00\xd8", "UTF-16"),
    (bytes([0x81, 0x20, 0xFF, 0xFE, 0x80]) * 10, "not UTF-8"),
])
def test_undecodable_input_is_one_line_naming_the_file(data, reason):
    with pytest.raises(DecodeError) as caught:
        decode_report(data, "incident.md")
    message = str(caught.value)
    assert message.startswith("incident.md: ") and reason in message and "\n" not in message


def test_unclosed_fences_and_broken_tables_do_not_crash():
    text = (FIXTURES / "unclosed-fence.md").read_text(encoding="utf-8")
    report = parse_report(text)
    assert report.title
