"""Reports of our own for the onboarding tests: a topic (Redis) said in some sections and not others,
the same error in two reports years apart, a file that only lists other files, a team names table."""

from __future__ import annotations

from pathlib import Path

CACHE_OUTAGE = """# Checkout cache outage

**Date**: 2026-02-03
**Service**: checkout-api

## Architecture

The checkout API keeps sessions in Redis 7 (one primary on cache-01, port 6379) behind a pool of 50
connections per worker; orders live in the billing database. The pool size is set in
`config/cache.yml`:

```yaml
cache:
  url: redis://cache-01:6379/0
  pool_size: 50
```

## Error 1: Redis refused connections

```
2026-02-03 10:15:22 ERROR redis.exceptions.ConnectionError: Error 111 connecting to 10.0.4.12:6379. Connection refused.
```

**Root cause**: the Redis primary reached `maxclients` after a deploy doubled the number of workers, and new
connections were refused.

**Fix**: raise `maxclients` and shrink the per-worker pool, then restart the workers one at a time so the
pool drains. Check the current value first with `redis-cli -h cache-01 CONFIG GET maxclients`, set it with
`redis-cli -h cache-01 CONFIG SET maxclients 20000`, and write the same value into redis.conf so a restart
keeps it. Then lower `pool_size` from 50 to 20 in config/cache.yml and roll the workers: one worker at a
time, wait for its health check to pass before the next, and watch `redis-cli -h cache-01 INFO clients`
while you go; connected_clients should fall below half of maxclients. If it does not, look for workers
still running the old config with a long-lived pool. FINAL-STEP-MARKER: note the new numbers in the runbook.

## Error 2: billing migration failed

```
Error: P3009 migrate found failed migrations in the target database
```

**Root cause**: an earlier migration was interrupted halfway.

**Fix**: mark it rolled back with `npx prisma migrate resolve --rolled-back 20260203_add_totals` and deploy again.

## Checklist before a deploy

- [ ] Check the cache answers: `redis-cli -h cache-01 ping`
- [ ] Check the worker count against maxclients
- [ ] Tell the on-call channel

## Lessons learned

- Size the Redis connection pool from the number of workers times the pool size, not from habit.
- Migrations must run before the new code starts.
"""

CACHE_OUTAGE_EARLIER = """# 结算缓存故障复盘

**日期**: 2025-11-20

## 错误 1：缓存连接被拒绝

```
2025-11-20 08:01:09 ERROR redis.exceptions.ConnectionError: Error 111 connecting to 10.0.9.30:6379. Connection refused.
```

**根本原因**: 缓存主节点重启后还在加载数据，拒绝了新连接。

**解决方案**: 等待加载完成后重启 worker。

## 错误 2：构建镜像失败

```
ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1
```

**根本原因**: package-lock.json 与 package.json 不一致。

**解决方案**: 在本地重新生成 lock 文件并提交。
"""

READING_LIST = """# Reading list

Where the notes we collected came from.

| File | Where | About |
|---|---|---|
| cache-notes.md | https://example.org/team/cache-notes | Redis pool sizing |
| proxy-notes.md | https://example.org/team/proxy-notes | nginx upstream timeouts |
| db-notes.md | https://example.org/team/db-notes | PostgreSQL vacuum |
| ci-notes.md | https://example.org/team/ci-notes | node builds in CI |
"""

REPORTS = {"cache-outage.en.md": CACHE_OUTAGE, "cache-outage-earlier.zh.md": CACHE_OUTAGE_EARLIER,
           "LINKS.md": READING_LIST}


def write_reports(folder: Path, names=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or REPORTS:
        (folder / name).write_text(REPORTS[name], encoding="utf-8")
    return folder
