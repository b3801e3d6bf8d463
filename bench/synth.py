"""Generate varied synthetic incident reports (Chinese and English) for benchmarks.

Each report mixes the genre's structures at random: error sections with logs,
causes, fixes and before/after code, quick-reference tables, task-list
checklists, numbered step procedures, bash blocks with expected results,
mermaid flowcharts, lessons and commit log lists. Deterministic per seed.
"""

from __future__ import annotations

import random
from pathlib import Path

SERVICES = ["billing", "checkout", "inventory", "auth", "search", "reports", "gateway", "media", "notify", "ledger",
            "catalog", "orders", "profile", "payments", "analytics", "scheduler", "mailer", "export", "import", "sync"]
PLATFORMS = ["Kubernetes", "Docker Compose", "systemd", "Coolify", "Nomad", "ECS", "Heroku", "bare metal"]
ERRORS = [
    ("ConnectionRefusedError: [Errno 111] Connection refused", "database not started", "start the database first"),
    ("psycopg2.OperationalError: FATAL: password authentication failed for user \"{svc}\"", "rotated password not deployed", "sync the secret and restart"),
    ("Error: listen EADDRINUSE: address already in use :::{port}", "old process kept the port", "kill the stale process"),
    ("redis.exceptions.ConnectionError: Error 111 connecting to redis:{port}. Connection refused.", "redis container restarting", "fix the redis healthcheck"),
    ("OOMKilled: container {svc} exceeded memory limit 512Mi", "memory limit too low", "raise the limit to 1Gi"),
    ("ImagePullBackOff: failed to pull image \"registry.local/{svc}:{ver}\"", "tag not pushed", "push the tag before deploy"),
    ("nginx: [emerg] bind() to 0.0.0.0:{port} failed (98: Address already in use)", "another proxy on the port", "stop the old proxy"),
    ("upstream timed out (110: Connection timed out) while reading response header", "slow endpoint", "raise proxy_read_timeout"),
    ("ModuleNotFoundError: No module named '{mod}'", "dependency missing from the lock file", "add it to requirements"),
    ("Error: Cannot find module '{mod}'", "devDependency used at runtime", "move it to dependencies"),
    ("java.lang.OutOfMemoryError: Java heap space", "heap too small", "set -Xmx2g"),
    ("E11000 duplicate key error collection: {svc}.users index: email_1", "duplicate import", "dedupe before import"),
    ("sqlalchemy.exc.IntegrityError: duplicate key value violates unique constraint \"{svc}_pkey\"", "sequence out of sync", "reset the sequence"),
    ("x509: certificate has expired or is not yet valid", "certbot timer disabled", "enable the renewal timer"),
    ("Job for {svc}.service failed because the control process exited with error code.", "bad ExecStart path", "fix the unit file"),
    ("ENOSPC: no space left on device, write", "logs filled the disk", "rotate logs"),
    ("PermissionError: [Errno 13] Permission denied: '/var/log/{svc}/app.log'", "wrong owner on log dir", "chown the log dir"),
    ("panic: runtime error: invalid memory address or nil pointer dereference", "config key missing", "default the config"),
    ("CrashLoopBackOff: back-off 5m0s restarting failed container", "bad migration", "roll back the migration"),
    ("ERR_CONNECTION_RESET", "HTTP/2 misconfigured on the proxy", "disable http2 on the legacy listener"),
]
MODULES = ["psycopg2", "express", "requests", "lodash", "uvicorn", "pydantic_settings", "dotenv", "celery"]


def _error_section(rng: random.Random, number: int, zh: bool, svc: str) -> str:
    template, cause, fix = rng.choice(ERRORS)
    message = template.format(svc=svc, port=rng.randint(1024, 65000), ver=f"v{rng.randint(1, 9)}.{rng.randint(0, 30)}",
                              mod=rng.choice(MODULES))
    sha = "%07x" % rng.getrandbits(28)
    if zh:
        head = f"### 错误 {number}：{message.split(':')[0][:40]}"
        labels = ("**错误日志**:", "**影响**:", "**根本原因**:", "**修复方案**:", "**修复前**:", f"**修复后** (Commit `{sha}`):", "**提交信息**:")
        impact, cause_text, fix_text = f"{svc} 服务不可用约 {rng.randint(2, 90)} 分钟", f"{cause}，导致 {svc} 启动失败。", f"{fix}，并加入部署检查。"
    else:
        head = f"## Error: {message.split(':')[0][:40]}"
        labels = ("**Error log**:", "**Impact**:", "**Root cause**:", "**Fix**:", "**Before**", f"**After** (Commit `{sha}`)", "**Commit message**:")
        impact, cause_text, fix_text = f"{svc} was down for {rng.randint(2, 90)} minutes", f"The {cause}, so {svc} failed on start.", f"We {fix} and added a deploy check."
    stamp = f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T0{rng.randint(0, 9)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}Z"
    return "\n".join([
        head, "", labels[0], "```", f"{stamp} ERROR [{svc}-{rng.randint(1, 9)}] {message}", "```", "",
        f"{labels[1]} {impact}", "", labels[2], cause_text, "", labels[3], fix_text, "",
        labels[4], "```yaml", f"timeout: {rng.randint(5, 30)}s", "```", "", labels[5], "```yaml",
        f"timeout: {rng.randint(60, 300)}s", "```", "", f"{labels[6]} `fix: {fix} in {svc}`", "", "---", "",
    ])


def synth_report(index: int, seed: int = 7) -> str:
    rng = random.Random(seed * 1_000_003 + index)
    zh = rng.random() < 0.5
    svc = rng.choice(SERVICES) + f"-{index % 97}"
    platform = rng.choice(PLATFORMS)
    parts = [f"# {svc} {'部署故障报告' if zh else 'incident report'} #{index}", "",
             f"**{'项目' if zh else 'Project'}**: {svc}", f"**{'部署平台' if zh else 'Platform'}**: {platform}",
             f"**{'日期' if zh else 'Date'}**: 2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "",
             "## 时间线" if zh else "## Timeline", "", "| 时间 | 事件 |" if zh else "| Time | Event |", "|---|---|"]
    parts += [f"| 0{h}:{rng.randint(10, 59)} | {'部署开始' if zh else 'deploy started'} step {h} |" for h in range(rng.randint(2, 5))]
    parts.append("")
    for number in range(1, rng.randint(2, 5)):
        parts.append(_error_section(rng, number, zh, svc))
    if rng.random() < 0.7:
        parts += ["## 常见错误速查表" if zh else "## Quick reference", "", "| 错误 | 原因 | 修复 |" if zh else "| Error | Cause | Fix |", "|---|---|---|"]
        for _ in range(rng.randint(1, 4)):
            template, cause, fix = rng.choice(ERRORS)
            parts.append(f"| `{template.format(svc=svc, port=8080, ver='v1', mod='x').split(':')[0]}` | {cause} | {fix} |")
        parts.append("")
    if rng.random() < 0.8:
        parts += ["## 检查清单" if zh else "## Checklist", "", "**部署前**:" if zh else "**Pre-deploy**:"]
        parts += [f"- [ ] {'确认' if zh else 'confirm'} {svc} item {i}" for i in range(rng.randint(2, 6))]
        parts += ["", "**部署后**:" if zh else "**Post-deploy**:"]
        parts += [f"- [x] {'验证' if zh else 'verify'} {svc} check {i}" for i in range(rng.randint(2, 5))]
        parts.append("")
    if rng.random() < 0.6:
        parts += ["## 验证" if zh else "## Verification", "", "```bash"]
        for i in range(1, rng.randint(2, 5)):
            parts += [f"# {i}. {'检查' if zh else 'check'} {svc}", f"curl -fsS http://localhost:{8000 + i}/health",
                      f"# {'预期' if zh else 'expected'}: HTTP 200"]
        parts += ["```", ""]
    if rng.random() < 0.4:
        parts += ["## 排查流程" if zh else "## Troubleshooting", "", "```mermaid", "graph TD",
                  f"    A[{svc} down] --> B{{port busy?}}", "    B -->|yes| C[kill old process]",
                  "    B -->|no| D[check logs]", "```", ""]
    if rng.random() < 0.6:
        parts += ["## 经验教训" if zh else "## Lessons learned", ""]
        parts += [f"- {'教训' if zh else 'lesson'} {i}: {rng.choice(ERRORS)[2]}" for i in range(rng.randint(1, 4))]
        parts.append("")
    parts += ["## Commits", "", "```"]
    parts += ["%07x - fix: %s" % (rng.getrandbits(28), rng.choice(ERRORS)[2]) for _ in range(rng.randint(1, 4))]
    parts += ["```", ""]
    return "\n".join(parts)


def write_corpus(folder: Path, count: int, seed: int = 7) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"synthetic-{index:05d}.md"
        if not path.exists():
            path.write_text(synth_report(index, seed), encoding="utf-8")
        paths.append(path)
    return paths
