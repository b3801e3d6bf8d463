"""The bilingual ops glossary: a Chinese description finds an English report and the reverse,
through the real ingest and search, and the tables stay well formed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kb.ingest import ingest
from kb.search import glossary
from kb.search.ranking import Searcher
from kb.store.knowledge_base import KnowledgeBase

ENGLISH_REPORTS = {
    "rebalance.md": (
        "# Orders consumers stopped reading\n\n## Error\n\n```\n"
        "orders-consumer: commit of offsets failed: the group is rebalancing, retry after the rebalance\n```\n\n"
        "## Root cause\n\nA slow handler exceeded max.poll.interval.ms, so the broker kept moving partitions.\n\n"
        "## Fix\n\nLowered max.poll.records to 50 and moved the PDF rendering out of the handler.\n"),
    "schema.md": (
        "# Orders service after the deploy\n\n## Error\n\n```\n"
        "orders-consumer: insert failed: column \"coupon\" of relation \"orders\" does not exist\n```\n\n"
        "## Fix\n\nRan the pending migration before starting the new release.\n"),
}

CHINESE_REPORTS = {
    "bloat.md": (
        "# 账单库的磁盘一夜之间涨满\n\n## 错误\n\n```\n"
        "ERROR: could not extend file \"base/16384/2619.3\": No space left on device\n"
        "HINT: Check free disk space.\n```\n\n"
        "## 原因\n\n一个忘了提交的长事务挡住了自动清理，几张大表严重膨胀。\n\n"
        "## 修复\n\n结束了那个事务，手动清理并重建了膨胀的表，给空闲事务加了超时。\n"),
    "archive.md": (
        "# 账单库的预写日志把磁盘占满\n\n## 错误\n\n```\n"
        "PANIC: could not write to file \"pg_wal/xlogtemp.77\": No space left on device\n```\n\n"
        "## 原因\n\n备份机的凭据过期，归档命令一直失败，预写日志越积越多。\n\n"
        "## 修复\n\n换了凭据，归档追上之后手动做了一次检查点。\n"),
}


def _top(tmp_path: Path, reports: dict[str, str], query: str) -> list[str]:
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    folder = tmp_path / "reports"
    folder.mkdir()
    for name, text in reports.items():
        (folder / name).write_text(text, encoding="utf-8")
    ingest(knowledge, [folder])
    handle = Searcher(knowledge)
    try:
        return [Path(r.report["path"]).name for r in handle.search(query, k=3).results]
    finally:
        handle.close()
        knowledge.close()


def test_a_chinese_description_of_a_consumer_group_error_finds_the_english_report(tmp_path):
    """消费组 (consumer group), 再平衡 (rebalance), 偏移量 (offset), 提交 (commit): the words of the
    English report only the glossary can give a Chinese description."""
    found = _top(tmp_path, ENGLISH_REPORTS, "订单服务的消费组一直在再平衡，偏移量提交失败")
    assert found[:1] == ["rebalance.md"], found


def test_an_english_description_of_table_bloat_finds_the_chinese_report(tmp_path):
    """Two Chinese reports of the same English error (a full disk); bloat (膨胀) and vacuum (清理)
    are the words of the one an English description of its cause means."""
    found = _top(tmp_path, CHINESE_REPORTS, "No space left on device: the tables bloated and vacuum fell behind")
    assert found[:1] == ["bloat.md"], found


def test_glossary_words_the_way_people_write_them():
    assert "state lock" in glossary.expand("plan 都卡在状态锁上")
    assert "assigned" not in glossary.expand("宿主机端口已被分配").split()  # the longer key 已被分配 says it
    assert "table" not in glossary.expand("这表示配置没有生效").split()  # 表 in 表示 is not a table
    assert "状态锁" in glossary.expand("Error acquiring the state lock")
    assert "崩溃" in glossary.expand("Back-off restarting failed container: CrashLoopBackOff")  # parts of an identifier
    assert "过期" in glossary.expand("the certificates expired")  # a plural and a past tense
    assert glossary.expand("") == ""


def test_the_tables_are_well_formed():
    def no_key_twice(pairs):
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]  # a key written twice
        return dict(pairs)

    data = json.loads(glossary.DATA.read_text(encoding="utf-8"), object_pairs_hook=no_key_twice)
    for table in ("zh_en", "zh_whole", "en_zh"):
        keys = [key for section in data[table].values() for key in section]
        assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]  # twice, in two sections
    for chinese in [*glossary.ZH_EN, *glossary.ZH_WHOLE]:
        assert re.fullmatch(r"[\u3400-\u9fff]+", chinese), chinese
    for english, chinese in glossary.EN_ZH.items():
        assert re.fullmatch(r"[a-z0-9][a-z0-9 -]*", english), english
        assert chinese.strip(), english
    assert len(glossary.ZH_EN) >= 700 and len(glossary.EN_ZH) >= 500


LOOK_ALIKE_REPORTS = {
    "gateway.md": (
        "# Card payments stalled at checkout\n\n## Error\n\n```\n"
        "payments-gateway: upstream handshake aborted after 30s (peer closed the stream)\n```\n\n"
        "## Root cause\n\nThe gateway's mutual TLS bundle had been rotated on one side only.\n\n"
        "## Fix\n\nRe-issued the client bundle from the new intermediate and reloaded the gateway.\n"),
    "relay.md": (
        "# Ledger export stalled overnight\n\n## Error\n\n```\n"
        "ledger-relay: upstream handshake aborted after 30s (peer closed the stream)\n```\n\n"
        "## Root cause\n\nThe relay's idle timeout was shorter than the export's slowest batch.\n\n"
        "## Fix\n\nRaised the relay's idle timeout to 120s.\n"),
}


def _search_kb(tmp_path: Path, reports: dict[str, str]) -> KnowledgeBase:
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    folder = tmp_path / "reports"
    folder.mkdir()
    for name, text in reports.items():
        (folder / name).write_text(text, encoding="utf-8")
    ingest(knowledge, [folder])
    return knowledge


def _answers(knowledge: KnowledgeBase, query: str) -> list:
    handle = Searcher(knowledge)
    try:
        return handle.search(query, k=3).results
    finally:
        handle.close()


def test_a_team_word_in_the_kb_s_glossary_changes_the_answer(tmp_path):
    """The team calls the payments gateway 金桥 (and `pgw`): the bundled glossary cannot know that.
    Written into the KB's glossary.toml, a description in the team's words finds the gateway's
    write-up, not its look-alike; without it, the two reports answer alike (握手 is a handshake to the
    bundled glossary, 金桥 nothing)."""
    knowledge = _search_kb(tmp_path, LOOK_ALIKE_REPORTS)
    paste = "金桥握手中止，对端关闭了连接"
    before = _answers(knowledge, paste)
    assert before and (Path(before[0].report["path"]).name != "gateway.md" or before[0].tied), \
        [(r.report["path"], r.confidence, r.tied) for r in before]
    (knowledge.root / "glossary.toml").write_text(
        '# our words\n"金桥" = "payments gateway"\n\n[services]\npgw = "payments gateway"\n', encoding="utf-8")
    after = _answers(knowledge, paste)
    assert Path(after[0].report["path"]).name == "gateway.md" and not after[0].tied, \
        [(r.report["path"], r.confidence, r.tied) for r in after]
    assert "payments gateway" in glossary.for_kb(knowledge.root).expand("pgw timed out")  # a table only groups
    knowledge.close()


def test_a_team_glossary_that_cannot_be_read_is_one_line_naming_the_file(tmp_path):
    import subprocess
    import sys

    knowledge = _search_kb(tmp_path, LOOK_ALIKE_REPORTS)
    (knowledge.root / "glossary.toml").write_text('pgw = "payments gateway"\nbroken = \n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(knowledge.root), "search",
                           "handshake aborted"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith("error: ") and "glossary.toml" in done.stderr and "line 2" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    (knowledge.root / "glossary.toml").write_text('"支付 gateway" = "payments"\n', encoding="utf-8")
    with pytest.raises(glossary.GlossaryError, match=r"glossary.toml: 支付 gateway: a Chinese key is Chinese"):
        glossary.for_kb(knowledge.root)
    knowledge.close()
