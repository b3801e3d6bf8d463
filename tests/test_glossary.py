"""The bilingual ops glossary: a Chinese description finds an English report and the reverse,
through the real ingest and search, and the tables stay well formed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

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
    source = Path(glossary.__file__).read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Dict):
            keys = [key.value for key in node.value.keys if key is not None]
            assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]  # a key written twice
    for chinese in [*glossary.ZH_EN, *glossary.ZH_WHOLE]:
        assert re.fullmatch(r"[\u3400-\u9fff]+", chinese), chinese
    for english, chinese in glossary.EN_ZH.items():
        assert re.fullmatch(r"[a-z0-9][a-z0-9 -]*", english), english
        assert chinese.strip(), english
    assert len(glossary.ZH_EN) >= 700 and len(glossary.EN_ZH) >= 500
