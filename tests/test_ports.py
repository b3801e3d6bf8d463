"""A port names the service: the same error template about another port is not the known fix."""

from __future__ import annotations

from conftest import ingest_report
from kb.search.ports import conflict, ports_in
from kb.search.ranking import search

# our own two-incident write-up: the worker's database client and its cache client fail alike
TWO_CLIENTS = """# notify worker: two connection failures after the move to the new cluster

## Error 1: the worker cannot reach PostgreSQL

```
Error: connect ECONNREFUSED 127.0.0.1:5432
```

**Root cause**: the deployment manifest never set `PGHOST`, so the client fell back to localhost.

**Fix**: inject `DATABASE_URL` into the worker and read it before the `PG*` defaults.

## Error 2: the job queue cannot reach Redis

```
Error 111 connecting to cache-primary:6379. Connection refused.
```

**Root cause**: the Redis service was renamed to `cache-primary`; the worker still used the old one.

**Fix**: point `REDIS_URL` at `redis://cache-primary:6379/0` and restart the worker.
"""


def test_ports_are_read_as_clients_print_them_and_nothing_else():
    assert ports_in("Error: connect ECONNREFUSED 127.0.0.1:6379") == {"6379"}
    assert ports_in("listen EADDRINUSE: address already in use :::3000") == {"3000"}
    assert ports_in('upstream: "http://172.18.0.5:8000/api/health"') == {"8000"}
    assert ports_in("connecting to cache-primary:6379. Connection refused.") == {"6379"}
    assert ports_in("[::1]:5432 and port 8080 is taken") == {"5432", "8080"}
    assert ports_in("2026/03/14 20:47:13 [error] FROM node:20-alpine AS build") == frozenset()  # a clock, an image tag
    assert conflict(frozenset({"6379"}), frozenset({"5432"}))
    assert not conflict(frozenset({"6379"}), frozenset())


def test_the_same_template_on_another_port_is_not_claimed_as_the_known_fix(kb, tmp_path):
    knowledge = ingest_report(kb, tmp_path, "notify-worker.md", TWO_CLIENTS)
    results = search(knowledge, "Error: connect ECONNREFUSED 127.0.0.1:6379", k=5).results
    by_message = {result.message: result for result in results}
    postgres = by_message["Error: connect ECONNREFUSED 127.0.0.1:5432"]
    assert not postgres.exact  # same fingerprint, another service: not an exact match
    redis = next(result for result in results if "6379" in result.message)
    assert "redis" in redis.matched  # the port names its service: the Redis card holds the word

    same_port = search(knowledge, "Error: connect ECONNREFUSED 127.0.0.1:5432", k=5).results
    assert same_port[0].message == "Error: connect ECONNREFUSED 127.0.0.1:5432" and same_port[0].exact
