"""Errors a report names by a short id and writes about in several places (kb/parse/error_ids.py)."""

from __future__ import annotations

from conftest import ingest_report
from kb.parse.report import parse_report
from kb.search.ranking import search

# our own write-up in the shape: ids in the fixes table, logs in an appendix, causes led by the id
QUEUE_OUTAGE = """# 复盘：消息队列迁移后两个消费者停摆

## 概述

迁移当晚出现三个错误，附录按编号给出日志，下文以 K1–K3 引用。

## 根本原因

**K1 — 新集群没有开启自动建 topic。** 死信 topic 只在旧集群手工建过，生产者第一次写入就失败。

**K2 — 消费组的会话超时比处理时间短。** 一批消息处理超过 45 秒，协调者判定消费者离线并触发再平衡。

## 改了什么

| 错误 | 改动 | 提交 |
|------|------|------|
| K1 | 在 Terraform 里声明死信 topic，关闭 auto.create | `4f1c2d9` |
| K2 | `session.timeout.ms` 调到 90000，批量从 500 降到 100 | `b7e9a01` |

**处理积压（K2）。** 先暂停生产者，再用 `kafka-consumer-groups --reset-offsets --to-current` 让消费组回到当前位置。

## 提交

| Commit | Message |
|--------|---------|
| `4f1c2d9` | topics: declare the dead-letter topic, disable auto create |
| `b7e9a01` | consumer: longer session timeout, smaller batches |

## 附录：错误日志

### K1：死信 topic 不存在

```
│ KafkaError{code=UNKNOWN_TOPIC_OR_PART,val=3,str="Broker: Unknown topic or partition"}
│   topic: orders.dlq
```

### K2：再平衡循环

```
Member consumer-7 sending LeaveGroup request to coordinator due to consumer poll timeout has expired
```

### K3：监控告警延迟

```
WARN alertmanager: notify retry canceled due to unrecoverable error after 1 attempts: context deadline exceeded
```
"""


def _by_title(report):
    return {error.title: error for error in report.errors}


def test_a_bare_id_card_takes_the_title_log_and_cause_written_under_its_id():
    errors = _by_title(parse_report(QUEUE_OUTAGE, "queue.md"))
    first = errors["K1：死信 topic 不存在"]
    assert "Unknown topic or partition" in first.message and not first.message.startswith("│")
    assert "orders.dlq" in first.log
    assert first.root_cause.startswith("K1 — 新集群没有开启自动建 topic")
    assert first.fix.startswith("在 Terraform 里声明死信 topic")  # the table's 改动 column is the fix
    assert not any(error.message in ("K1", "K2") for error in errors.values())


def test_a_commit_list_is_not_a_list_of_errors():
    messages = [error.message for error in parse_report(QUEUE_OUTAGE, "queue.md").errors]
    assert not any(message.startswith("topics:") or message.startswith("consumer:") for message in messages)


def test_a_defined_id_no_card_names_becomes_a_card_of_its_own():
    errors = _by_title(parse_report(QUEUE_OUTAGE, "queue.md"))
    assert "context deadline exceeded" in errors["K3：监控告警延迟"].message


def test_the_fix_written_under_the_id_is_linked():
    report = parse_report(QUEUE_OUTAGE, "queue.md")
    second = _by_title(report)["K2：再平衡循环"]
    linked = [report.passages[index].text for index in second.passages]
    assert any("处理积压（K2）" in text for text in linked)


def test_pasting_the_appendix_log_finds_the_fix_from_the_table(kb, tmp_path):
    ingest_report(kb, tmp_path, "queue.md", QUEUE_OUTAGE)
    top = search(kb, 'KafkaError{code=UNKNOWN_TOPIC_OR_PART,val=3,str="Broker: Unknown topic or partition"}').results[0]
    assert top.title == "K1：死信 topic 不存在" and "声明死信 topic" in top.fix  # the table row's fix
    assert top.root_cause.startswith("K1 — 新集群没有开启自动建 topic")  # the cause led by its id


def test_a_cli_headline_names_the_error_over_the_details_under_it():
    from kb.parse.errors import salient_line

    log = ("╷\n│ Error: Error acquiring the state lock\n│\n│ Error message: operation error S3: PutObject,\n"
           "│ ConditionalCheckFailedException: the lock object already exists\n╵")
    assert salient_line(log) == "Error: Error acquiring the state lock"
    assert salient_line("Traceback (most recent call last):\n  File \"a.py\"\nKeyError: 'x'") == "KeyError: 'x'"
