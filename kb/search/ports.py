"""Ports in a pasted error: the service a client was talking to.

Two errors of one template (`connect ECONNREFUSED 127.0.0.1:<port>`) that name different ports are
about different services (Redis on 6379, PostgreSQL on 5432): their fixes differ, so a fingerprint
match alone must not make one the other's known fix. A well-known port also names its service, so a
paste that only says `:6379` still finds a report that says Redis.
"""

from __future__ import annotations

import re
from kb.parse.lazy_re import lazy

# host:port as clients print it: `127.0.0.1:6379`, `redis:6379`, `[::1]:5432`, `:::3000`, `db.internal:5432`;
# (image tags such as `node:20` are not ports: a port here is 80 or 3 to 5 digits);
# not a clock (`20:47:13`: the host part is digits only) nor a Windows drive or URL scheme (`C:`, `http:`)
_HOST_PORT_RE = lazy(r"(?:\b\d{1,3}(?:\.\d{1,3}){3}|\b[A-Za-z][\w-]*(?:\.[\w-]+)*|\]|::)"
                           r":(80|\d{3,5})(?!\d|[:.]\d)")
_PORT_WORD_RE = lazy(r"\bport\s+(80|\d{3,5})\b", re.IGNORECASE)

WELL_KNOWN: dict[str, str] = {
    "5432": "postgres postgresql", "3306": "mysql mariadb", "6379": "redis", "27017": "mongodb mongo",
    "9092": "kafka", "5672": "rabbitmq amqp", "15672": "rabbitmq", "11211": "memcached",
    "9200": "elasticsearch opensearch", "2379": "etcd", "8500": "consul", "1433": "sqlserver mssql",
    "1521": "oracle", "9000": "minio clickhouse", "6443": "kubernetes apiserver", "10250": "kubelet",
    "4222": "nats", "26257": "cockroachdb", "8086": "influxdb", "9090": "prometheus", "3100": "loki",
    "2181": "zookeeper", "5000": "registry", "7687": "neo4j", "8200": "vault", "53": "dns",
}


def ports_in(text: str) -> frozenset[str]:
    """The ports a text names as host:port or `port N`."""
    if ":" not in text and "port" not in text.lower():
        return frozenset()
    return frozenset(_HOST_PORT_RE.findall(text)) | frozenset(_PORT_WORD_RE.findall(text))


def conflict(query_ports: frozenset[str], candidate_ports: frozenset[str]) -> bool:
    """Both name ports and share none: the same template about another service."""
    return bool(query_ports and candidate_ports and not query_ports & candidate_ports)


def service_words(ports: frozenset[str]) -> str:
    """The services a paste's well-known ports stand for (`6379` -> `redis`)."""
    return " ".join(WELL_KNOWN[port] for port in sorted(ports) if port in WELL_KNOWN)
