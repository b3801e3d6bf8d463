"""Errors as a reader sees them (kb/parse/errors.py, kb/parse/quoted_errors.py): a heading that quotes an
error, an error-message block under a problem heading, an error table row, a FAQ entry, an error quoted
in prose, a comment or a pasted line; one card per distinct error, joined to the fix that follows it;
and what is not an error card (a problem named in words, a config value, a commit message). Our own
text, in the shapes real reports use; then `show eN` as an operator meets it."""

from __future__ import annotations

import json

from conftest import ingest_report, run_cli
from kb.parse.report import parse_report


def errors_of(text: str):
    return parse_report(text, "t.md").errors


def card(errors, words: str):
    found = [e for e in errors if words in e.message or words in e.title]
    assert found, f"no card holds {words!r}: {[e.message for e in errors]}"
    return found[0]


FAQ_EN = """# Build host FAQ

## `error: the TLS module requires the OpenSSL headers`

```
sudo apt-get install -y libssl-dev
./configure --with-http_ssl_module
```

## `fatal: unable to access 'https://git.internal/infra.git/': SSL certificate problem`

```
sudo update-ca-certificates
git config --global http.sslCAInfo /etc/ssl/certs/ca-certificates.crt
```

## Job exceeded the 45m0s timeout while restoring the cache

```
sudo mv /srv/ci-cache /nvme/ci-cache
sudo ln -s /nvme/ci-cache /srv/ci-cache
```

## Python version errors (`requires-python >=3.12`)

- Check: `python3 --version`
- Install 3.12 and recreate the venv: `python3.12 -m venv .venv`
"""


def test_a_heading_that_quotes_an_error_is_a_card_with_the_fence_under_it_as_its_fix():
    errors = errors_of(FAQ_EN)
    assert len(errors) == 4
    tls = card(errors, "requires the OpenSSL headers")
    assert tls.message == "error: the TLS module requires the OpenSSL headers"
    assert "sudo apt-get install -y libssl-dev" in tls.fix
    git = card(errors, "SSL certificate problem")
    assert "update-ca-certificates" in git.fix
    assert "sudo ln -s /nvme/ci-cache /srv/ci-cache" in card(errors, "45m0s timeout").fix  # no quotes needed
    version = card(errors, "requires-python")
    assert version.message == "requires-python >=3.12" and "python3.12 -m venv .venv" in version.fix


HEADING_COPIES_LOG = """# Scheduler notes

## Job 4711 parked in queue priority-high

```
2026-05-02 03:00:01 WARN dispatcher: Job 4711 parked in queue priority-high
2026-05-02 03:00:01 ERROR dispatcher: giving up after 3 retries
```

Reopen the queue with `schedctl queue open priority-high` and resubmit.
"""


def test_a_heading_that_copies_its_log_line_is_that_error_without_quotes():
    errors = errors_of(HEADING_COPIES_LOG)
    assert len(errors) == 1 and errors[0].title == "Job 4711 parked in queue priority-high"
    assert "schedctl queue open priority-high" in errors[0].fix


PROBLEMS_ZH = """# 报表服务上线问题

### 1. 导出任务卡死

**错误信息**：

```
ExportTimeout: report 2026-Q1 did not finish within 600s
```

**解决方案**：把导出拆成按月的子任务。

### 2. 文件上传失败

**Problem:**

```
There is no bucket named reports-archive in this region
```

### 问题 3：页面偶尔很慢

**现象**：高峰期打开报表要等十几秒。

**解决方案**：给报表查询加缓存。
"""


def test_an_error_block_under_a_numbered_problem_is_a_card_and_a_problem_named_in_words_is_not():
    errors = errors_of(PROBLEMS_ZH)
    assert [e.message for e in errors] == [
        "ExportTimeout: report 2026-Q1 did not finish within 600s",
        "There is no bucket named reports-archive in this region"]  # 页面偶尔很慢 prints nothing
    assert "按月" in errors[0].fix


TABLE_ZH = """# 支付网关问题清单

| 编号 | 问题 | 错误信息 | 解决 |
|---|---|---|---|
| P1 | 回调验签失败 | `SignatureMismatch: expected sha256 digest` | 更新平台公钥 |
| P2 | 退款接口超时 | `upstream request timeout` | 调大网关超时到 30s |
| P3 | 查询接口超时 | `upstream request timeout after 3 retries` | 查询改走只读副本 |

## 小结

| 问题 | 处理 |
|---|---|
| 对账文件缺行 | 重新拉取当日文件 |
"""


def test_error_table_rows_take_the_printed_column_as_message_and_the_fix_column_as_fix():
    errors = errors_of(TABLE_ZH)
    signature = card(errors, "SignatureMismatch")
    assert signature.title == "回调验签失败" and signature.fix == "更新平台公钥"
    assert card(errors, "退款接口超时").fix == "调大网关超时到 30s"
    assert card(errors, "查询接口超时").fix == "查询改走只读副本"  # two rows of one table stay two errors
    assert card(errors, "对账文件缺行").fix == "重新拉取当日文件"  # a row of errors and fixes is a card
    assert len(errors) == 4


DIARY_ZH = """# 存储节点值班日记

## 3 月 4 日夜

02:10 备份任务全部失败，对象存储网关返回 503。

网关日志里是“Error: volume /data/s3 is read-only: remount required”，原因是磁盘出现坏块后文件系统被挂成只读。

```bash
sudo mount -o remount,rw /data/s3
sudo systemctl restart s3-gateway
```

## 3 月 9 日

日常巡检，一切正常。
"""


def test_an_error_quoted_in_prose_is_a_card_with_what_follows_as_its_fix():
    errors = errors_of(DIARY_ZH)
    quoted = card(errors, "volume /data/s3 is read-only")
    assert quoted.message == "Error: volume /data/s3 is read-only: remount required"
    assert "sudo mount -o remount,rw /data/s3" in quoted.fix
    assert "备份任务全部失败" in quoted.symptom  # the sentence before tells what happened


THREAD_ZH = """# 网关排障（群聊导出）

## 问题：网关连环报错

**小王** 09:12

新问题：三个服务都在报错：

```
level=error msg="dial tcp 10.0.3.7:6379: connect: connection refused" component=cache
```

**老李** 09:15

缓存先重启：`docker compose restart cache`。

```
ERROR orders.worker: Task orders.sync raised KeyError: 'tenant_id'
```

**老李** 09:20

订单同步要带上 tenant_id，已经修了。

```
panic: runtime error: slice bounds out of range [:12] with capacity 8
```

**老李** 09:31

这个是网关的旧版本，升级到 1.8.2。
"""


def test_a_thread_pasting_three_logs_gives_three_cards():
    errors = errors_of(THREAD_ZH)
    messages = [e.message for e in errors]
    assert any("connection refused" in m for m in messages)
    assert any("KeyError: 'tenant_id'" in m for m in messages)
    assert any("slice bounds out of range" in m for m in messages)
    assert len(errors) == 3
    assert "1.8.2" in card(errors, "slice bounds").fix


CHEAT_SHEET_ZH = """# 速查手册

### 2.1 缓存连接耗尽

```bash
# 症状：redis.exceptions.ConnectionError: max number of clients reached
redis-cli info clients
redis-cli config set maxclients 20000
```

## 排查提示

看日志时注意下面这类信息：

dial tcp 10.0.0.5:5432: connect: connection timed out

pq: password authentication failed for user "app"
"""


def test_errors_in_a_command_comment_and_pasted_lines_are_cards():
    errors = errors_of(CHEAT_SHEET_ZH)
    assert card(errors, "max number of clients reached")
    assert card(errors, "connect: connection timed out")
    assert card(errors, "password authentication failed")


NOT_ERRORS_EN = """# Tuning the importer

## Settings we use

Set `read_timeout=30` and `max_errors_per_batch=5`; see `/etc/importer/importer.yaml`.
A clean run ends with `errors: 0` and `failed: 0` in its summary.
The fix landed as `fix: retry failed batches once` and the job now exits with `exit code 1` on purpose.
Run `importer --check-errors` before a release.
"""


def test_config_values_paths_commit_messages_and_commands_are_not_error_cards():
    assert errors_of(NOT_ERRORS_EN) == []


MENTION_THEN_LOG = """# Worker notes

## What we saw

The worker kept dying with `ERR_WORKER_OOM` during the nightly import.

## Raw output

```
2026-04-01T02:11:09Z worker[311]: fatal: ERR_WORKER_OOM: heap limit 512 MiB reached while parsing batch 88
```
"""


def test_an_error_met_in_prose_then_in_its_log_is_one_card_with_the_whole_message():
    errors = errors_of(MENTION_THEN_LOG)
    assert len(errors) == 1
    assert "heap limit 512 MiB reached" in errors[0].message and errors[0].log


def test_show_gives_the_fix_of_a_heading_card(kb, tmp_path, runner):
    ingest_report(kb, tmp_path, "build-faq.en.md", FAQ_EN)
    listed = json.loads(run_cli(runner, kb.root, "list", "errors", "--json").output)
    ref = next(row["ref"] for row in listed if "OpenSSL headers" in row["message"])
    shown = run_cli(runner, kb.root, "show", ref)
    assert shown.exit_code == 0 and "sudo apt-get install -y libssl-dev" in shown.output


SUMMARY_ZH = """# 监控告警群聊记录

## 处理过程

**小周** 10:02

告警服务起不来，端口冲突：

```
level=error ts=2026-05-06T02:02:11Z msg="listen tcp :9093: bind: address already in use"
```

**小陈** 10:05

是旧的 alertmanager 进程没退出，kill 掉再起就好。

## 小结

| 问题 | 处理 |
|---|---|
| Alertmanager 端口冲突 | 停掉旧进程后重启 |
"""


def test_a_summary_row_naming_a_quoted_error_is_that_error():
    errors = errors_of(SUMMARY_ZH)
    assert len(errors) == 1
    assert errors[0].title == "Alertmanager 端口冲突"
    assert "address already in use" in errors[0].message
    assert "停掉旧进程后重启" in errors[0].fix and "kill 掉再起" in errors[0].fix


EVENTS_ZH = """# 集群事件说明

### 1.pod didn't match the node selector
说明：节点标签和 nodeSelector 对不上。
解决方法：给节点补上标签，或修改 nodeSelector。

### 2.volume node affinity conflict
说明：PV 所在可用区没有可调度的节点。
解决方法：在同一可用区扩容节点。
"""


def test_a_heading_that_reads_as_a_printed_event_is_a_card():
    errors = errors_of(EVENTS_ZH)
    assert [e.message for e in errors] == ["1.pod didn't match the node selector", "2.volume node affinity conflict"]
    assert "补上标签" in errors[0].fix
