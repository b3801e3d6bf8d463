"""The names in a pasted error line: what tells one look-alike error from another.

Two errors of one template (`No module named '<x>'`, `connect() failed ... upstream: <host>`,
`cannot load certificate "<path>"`) differ in their arguments: the module or package, the table,
the host or service, the path. Those names weigh more than the template words two reports share
(kb/search/ranking.py, read_query). A quoted argument is the error's own subject: a paste naming one
the KB has never seen is about something else, so it counts against every match like any unknown
word. A host, a service prefix or a path is also where the error happened, and that differs from
machine to machine: it counts only where the KB knows it (a report about that very host), never
against a match.
"""

from __future__ import annotations

import re
from kb.parse.lazy_re import lazy

_QUOTED_RE = lazy(r"""(?<![\w'"`])['"`]([^'"`\s]{2,100})['"`](?![\w'"`])""")
_URL_HOST_RE = lazy(r"\b[a-z][a-z0-9+.-]*://(?:[^\s/@]+@)?([A-Za-z0-9.-]+)")
_HOST_RE = lazy(r"(?i)(?<![\w.@/-])((?:[a-z0-9-]+\.)+(?:com|net|org|io|cn|dev|app|local|internal|cloud|co|uk|de|"
                      r"jp|ai|me|info|biz|xyz|lan|svc|example|test|localdomain|in))\b")
_PREFIX_RE = lazy(r"^\s*([A-Za-z][\w.-]{1,60})\s+\|\s")  # `api-1  | ...`: docker compose names the service
_PATH_RE = lazy(r"(?<![\w.:])(?:/[\w.@+-]+){2,}")
_IP_RE = lazy(r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$|^[0-9a-fA-F:]+$")
_TIMESTAMP_RE = lazy(r"^\d{4}-\d{2}-\d{2}")
_COMMON_PATH_PARTS = frozenset("""etc var usr lib lib64 bin sbin opt home root tmp app src srv run log logs local share
site-packages dist-packages node_modules python3 venv .venv""".split())


def names(line: str) -> list[tuple[str, bool]]:
    """The names a line gives as (text, where): `where` is True for a host, service or path (where the
    error happened), False for a quoted argument (what it is about)."""
    out: list[tuple[str, bool]] = []
    prefix = _PREFIX_RE.match(line)
    if prefix:
        out.append((prefix.group(1), True))
    for match in _QUOTED_RE.finditer(line):
        value = match.group(1)
        if _IP_RE.match(value) or _TIMESTAMP_RE.match(value) or value.startswith(("http:", "https:")):
            continue
        if "/" in value:
            out += [(part, True) for part in _path_parts(value)]
        elif not value.replace(".", "").replace("-", "").isdigit():
            out.append((value, False))
    for match in _URL_HOST_RE.finditer(line):
        if not _IP_RE.match(match.group(1)):
            out.append((match.group(1), True))
    for match in _HOST_RE.finditer(line):
        out.append((match.group(1), True))
    for match in _PATH_RE.finditer(line):
        out += [(part, True) for part in _path_parts(match.group(0))]
    return list(dict.fromkeys(out))


def is_host(text: str) -> bool:
    """Whether text is a host name with a domain (`db.internal`, `api.example.com`)."""
    return _HOST_RE.fullmatch(text) is not None


def _path_parts(path: str) -> list[str]:
    """The telling parts of a path: not the system's own folders (`/etc`, `/usr/lib`, `site-packages`)."""
    return [part for part in path.strip("/").split("/") if part and part.lower() not in _COMMON_PATH_PARTS
            and not part.startswith("<")]
