"""Procedures as a reader sees them (kb/parse/procedures.py): numbered lists of actions under a fix or
steps lead-in, bold numbered labels, numbered and action headings, each step with its commands and
sub-steps; and the lists a reader would not run (causes, lessons, a team backlog, chapters). Our own
text, in the shapes real reports use; then the catalogue, `show` and `run --dry-run` as an operator
meets them."""

from __future__ import annotations

import json

from conftest import ingest_report, run_cli
from kb.parse.report import parse_report


def procedures(text: str):
    report = parse_report(text, "t.md")
    return report, [c for c in report.checklists if c.kind == "procedure"]


def step_commands(report, checklist) -> list[list[str]]:
    index = report.checklists.index(checklist)
    return [[c.command for c in report.commands if c.checklist == index and c.item == item]
            for item in range(len(checklist.items))]


FIX_LIST_ZH = """# 订单库迁移卡住

### 问题 2：迁移记录和表结构对不上

**原因**: 上一次迁移中途失败，表已建好但记录没写。

**解决**:

1. 备份订单库
2. 使用 `alembic stamp head` 把记录对齐到当前结构
3. 手动核对 `orders` 表的索引
4. 重新部署
"""


def test_a_numbered_fix_list_is_a_procedure_with_its_inline_commands():
    report, found = procedures(FIX_LIST_ZH)
    assert len(found) == 1
    steps = [item.text for item in found[0].items]
    assert steps[0] == "备份订单库" and "alembic stamp head" in steps[1] and len(steps) == 4
    assert step_commands(report, found[0])[1] == ["alembic stamp head"]
    assert "解决" in found[0].title


CAUSES_ZH = """# 构建变慢

## 根本原因

1. 重启容器会清空 /tmp 下的依赖缓存
2. 构建脚本在两台机器上并发运行
3. 删除旧镜像时没有保留基础层
"""


def test_a_numbered_list_of_causes_is_not_a_procedure():
    _, found = procedures(CAUSES_ZH)
    assert found == []


SPLIT_LIST_EN = """# Worker keeps restarting

## Missing QUEUE_URL

**Solution:**
1. Open the service settings
2. Add:
```bash
export QUEUE_URL=amqp://queue:5672
```
3. Click Save
4. **Redeploy** the worker
"""


def test_a_fence_between_numbered_items_stays_in_its_step():
    report, found = procedures(SPLIT_LIST_EN)
    assert len(found) == 1
    assert [item.text for item in found[0].items] == [
        "Open the service settings", "Add:", "Click Save", "Redeploy the worker"]
    assert step_commands(report, found[0])[1] == ["export QUEUE_URL=amqp://queue:5672"]


BOLD_LABELS_ZH = """# 网关 502 排障

### 问题：前端页面打不开

**解决方案：**

**1. 检查网关容器**
```bash
docker ps --filter name=gateway
```

**2. 检查防火墙**
```bash
sudo ufw status
```

**步骤 3：本地验证**：
```bash
curl -I http://localhost:8080/
```
"""


def test_bold_numbered_labels_each_with_a_fence_are_steps():
    report, found = procedures(BOLD_LABELS_ZH)
    assert len(found) == 1
    assert [item.text for item in found[0].items] == ["检查网关容器", "检查防火墙", "步骤 3：本地验证"]
    assert step_commands(report, found[0]) == [
        ["docker ps --filter name=gateway"], ["sudo ufw status"], ["curl -I http://localhost:8080/"]]


HEADINGS_EN = """# Release notes for the billing fix

## Shipping it

### Git operations

#### 1. Stage changes
```bash
git add -A
```

#### 2. Commit changes
```bash
git commit -m "fix: round invoice totals"
```

#### 3. Push to remote
```bash
git push origin main
```
"""


def test_numbered_action_headings_are_steps():
    report, found = procedures(HEADINGS_EN)
    assert len(found) == 1
    assert [item.text for item in found[0].items] == ["Stage changes", "Commit changes", "Push to remote"]
    assert step_commands(report, found[0])[2] == ["git push origin main"]


ACTION_HEADINGS_EN = """# Rotating the cache nodes

## Rotation steps

### Drain the node
```bash
kubectl drain cache-2 --ignore-daemonsets
```

### Replace the disk
```bash
sudo mkfs.ext4 /dev/sdb
```
"""


def test_unnumbered_action_headings_with_commands_are_steps():
    _, found = procedures(ACTION_HEADINGS_EN)
    assert [item.text for item in found[0].items] == ["Drain the node", "Replace the disk"]


CHAPTERS_ZH = """# 消息队列运维手册

## 1. 引言

本文说明队列的部署。

## 2. 部署队列

### 2.1. 准备机器

```bash
sudo apt-get install -y rabbitmq-server
```

## 3. 配置监控

```bash
rabbitmq-plugins enable rabbitmq_prometheus
```
"""


def test_numbered_chapters_of_a_document_are_not_steps():
    _, found = procedures(CHAPTERS_ZH)
    assert found == []


NESTED_EN = """# Cutting over the reporting DB

## Cutover

**Steps:**

1. Freeze writes
   - Set the app to read-only: `kubectl scale deploy/report-writer --replicas=0`
   - Confirm no writer is connected
2. Promote the replica
   ```bash
   pg_ctl promote -D /var/lib/postgresql/data
   ```
3. Point the app at the new primary
"""


def test_nested_items_stay_sub_steps_with_their_commands():
    report, found = procedures(NESTED_EN)
    assert len(found) == 1
    items = found[0].items
    assert [(item.depth, item.text.split(":")[0]) for item in items] == [
        (1, "Freeze writes"), (2, "Set the app to read-only"), (2, "Confirm no writer is connected"),
        (1, "Promote the replica"), (1, "Point the app at the new primary")]
    commands = step_commands(report, found[0])
    assert commands[1] == ["kubectl scale deploy/report-writer --replicas=0"]
    assert commands[3] == ["pg_ctl promote -D /var/lib/postgresql/data"]


BACKLOG_AND_LESSONS_EN = """# Q3 platform retro

## Lessons learned

1. Pin the base image digest
2. Check the disk alarms before a big import

## Next quarter

1. Migrate the queue to quorum queues (owner: @maria, due 2026-10-01)
2. Add a canary stage (owner: @li, due 2026-10-15)
3. Write the restore drill (owner: @sam, due 2026-11-01)
"""


def test_lessons_and_a_team_backlog_are_not_procedures():
    _, found = procedures(BACKLOG_AND_LESSONS_EN)
    assert found == []


DONE_ZH = """# 回滚文档整理

## 本次整理

通过这次整理，我们：

1. 创建了完整的回滚文档
2. 更新了监控告警的阈值
3. 清理了过期的镜像
"""


def test_a_list_of_what_was_done_is_not_a_procedure():
    _, found = procedures(DONE_ZH)
    assert found == []


OLD_AND_NEW = """# Deploy guide

## Before you start

1. Check the disk has 5 GB free: `df -h /var/lib/docker`
2. Check the registry answers: `curl -fsS https://registry.internal/v2/`

## Pre-deploy checklist

- [ ] Announce the deploy
- [ ] Freeze the schema
"""


def test_a_checklist_keeps_its_position_when_a_procedure_is_found_before_it():
    """Stable refs (README "Stable ids") are positions within a report: procedures found by the newer
    rules come after the checklists the older ones found, whatever their place in the document."""
    report, found = procedures(OLD_AND_NEW)
    assert [c.kind for c in report.checklists] == ["tasks", "procedure"]
    assert report.checklists[1].items[0].text.startswith("Check the disk")


def test_the_catalogue_lists_them_and_run_walks_them(kb, tmp_path, runner):
    ingest_report(kb, tmp_path, "order-db.zh.md", FIX_LIST_ZH)
    ingest_report(kb, tmp_path, "worker.en.md", SPLIT_LIST_EN)
    listed = json.loads(run_cli(runner, kb.root, "list", "runbooks", "--json").output)
    rows = {row["report"].split("/")[-1]: (row["kind"], row["steps"], row["commands"]) for row in listed}
    assert rows == {"order-db.zh.md": ("procedure", 4, 1), "worker.en.md": ("procedure", 4, 1)}
    ref = next(row["ref"] for row in listed if row["report"].endswith("worker.en.md"))
    dry = run_cli(runner, kb.root, "run", ref, "--dry-run", "--no-tui")
    assert dry.exit_code == 0, dry.output
    assert "Click Save" in dry.output and "export QUEUE_URL=amqp://queue:5672" in dry.output
    shown = json.loads(run_cli(runner, kb.root, "show", ref, "--json").output)
    assert [item["text"] for item in shown["items"]][0] == "Open the service settings"


STEPS_LABEL_ZH = """# 镜像仓库迁移

### 方案 B：等新版本镜像

**步骤**:

1. **CI 自动构建新镜像**
   - 等流水线跑完（约 10 分钟）
2. **镜像推送到内部仓库**
3. **在发布平台切换镜像标签**
"""


def test_a_steps_lead_makes_a_procedure_whatever_its_items_say():
    _, found = procedures(STEPS_LABEL_ZH)
    assert [item.text for item in found[0].items if item.depth == 1] == [
        "CI 自动构建新镜像", "镜像推送到内部仓库", "在发布平台切换镜像标签"]


CONDITIONS = """# Gateway runbook

## 需要帮助？

如果以上方法都无法解决问题：

1. 检查网关日志
2. 查看诊断报告
3. 联系值班同学

## Diagnosis

**If the health check fails**, the cause is one of:

1. The pool was emptied by `kubectl scale deploy/api --replicas=0` during the drill
2. The certificate was replaced by `certbot renew --force-renewal` too often
"""


def test_a_condition_leads_to_steps_unless_it_lists_causes():
    _, found = procedures(CONDITIONS)
    assert len(found) == 1 and found[0].title.startswith("需要帮助")
    assert [item.text for item in found[0].items] == ["检查网关日志", "查看诊断报告", "联系值班同学"]


ANSWER_AND_ADVICE_ZH = """# 推送服务 FAQ

### Q2：APNs 推送全部失败

**A:** 证书过期了：
1. 到开发者后台重新生成推送证书
2. 上传到推送服务的证书管理页

## 后续建议

1. 添加证书过期告警
2. 更新推送服务的运维文档
"""


def test_an_answer_leads_to_steps_and_advice_does_not():
    _, found = procedures(ANSWER_AND_ADVICE_ZH)
    assert [item.text for item in found[0].items] == ["到开发者后台重新生成推送证书", "上传到推送服务的证书管理页"]
    assert len(found) == 1


LABEL_WITH_CHECKLIST_ZH = """# 页面打不开

**解决方案：**

**1. 检查容器**
```bash
docker ps --filter name=web
```

**2. 检查安全组**
- 登录云控制台
- 放行 443 端口

**3. 本地验证**
```bash
curl -I http://localhost/
```
"""


def test_a_list_under_a_numbered_label_step_keeps_the_steps_together():
    _, found = procedures(LABEL_WITH_CHECKLIST_ZH)
    assert [item.text for item in found[0].items] == ["检查容器", "检查安全组", "本地验证"]
