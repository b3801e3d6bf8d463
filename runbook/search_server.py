"""The resident search server: `runbook search` answered without starting Python's imports again.

A whole `runbook search` process is ~100 ms, nearly all of it interpreter start and imports; the search
itself is ~5 ms once the index reader, the ranking and SQLite are loaded. This process keeps them loaded,
with a Searcher per KB it was asked about (a few, least recently used dropped), and answers the small
client in runbook/cli/search_client.py over a Unix socket in a directory only its user can open.

It answers only what it can answer exactly as an in-process search would, and declines the rest, which
the client then searches in-process as before (printing its notes, rebuilding, setting up):
- a KB that does not exist yet, is read-only, or whose database an older runbook wrote;
- an index that does not reflect the store (an ingest under way elsewhere, a rebuild to do);
- anything that raises.
Before each answer it checks that the KB it holds open is still the one on disk (the database file,
the store's generation, the index's table of contents, the team glossary), and opens it again if not;
and that its own code has not changed (an upgrade): then it declines and stops.

While nobody asks, it warms what a first search of a KB would otherwise load: it searches the KB's
most-seen errors (RUNBOOK_SEARCH_SERVER_WARM of them, 200), one at a time, answers thrown away, so the
index's term lookups, posting lists and word splits of the team's common vocabulary are in memory
(bench/search_speed.py --scale times a server warmed and one not). Caches never change an answer.

It stops by itself after RUNBOOK_SEARCH_SERVER_IDLE seconds without a search (600), when asked to
(`runbook server stop`, SIGTERM), or when another server took its socket.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import sys
import time
from collections import OrderedDict
from pathlib import Path

from kb.search import glossary
from kb.search.index_state import STATE_FILE, index_is_current
from kb.search.ranking import Searcher
from kb.search.segments import latest_toc
from kb.store.knowledge_base import KnowledgeBase, read_only_reason
from runbook import pager
from runbook.cli.search_client import receive, send

WARM_ENV = "RUNBOOK_SEARCH_SERVER_WARM"
WARM_PASTES = 200  # the most-seen errors searched while idle, per KB opened (~1 s at 50,000 reports)
IDLE_ENV = "RUNBOOK_SEARCH_SERVER_IDLE"
IDLE_SECONDS = 600.0
MAX_KBS = 4  # KBs held open at once
CHECK_EVERY = 2.0  # seconds between looks at the idle time and the socket while nobody asks
DECLINED = {"served": False}


class OpenKB:
    """One KB held open with its Searcher, and what it was opened on: a change to any of it reopens it."""

    def __init__(self, kb: KnowledgeBase, searcher: Searcher, marks: tuple) -> None:
        self.kb, self.searcher, self.marks = kb, searcher, marks
        self.warming: list[str] | None = None  # pastes left to warm with, most-seen last; None: not read yet
        self.warmed = 0

    @classmethod
    def open(cls, root: Path) -> "OpenKB | None":
        """The KB at root, when it can be searched exactly as in-process; None to decline."""
        kb = KnowledgeBase(root)  # no derive_again: a database an older runbook wrote raises, so it is declined
        try:
            if not kb.exists() or read_only_reason(kb):
                kb.close()
                return None
            marks = _marks(kb)
            if not index_is_current(kb) or (kb.store.empty() and kb.holds_reports()):  # the latter: derived in-process
                kb.close()
                return None
            return cls(kb, Searcher(kb), marks)
        except Exception:  # noqa: BLE001 - whatever it is, the in-process search says it properly
            kb.close()
            return None

    def still_current(self) -> bool:
        try:
            return (self.kb.exists() and not read_only_reason(self.kb) and _marks(self.kb) == self.marks
                    and glossary.for_kb(self.kb.root) is self.searcher.glossary)
        except Exception:  # noqa: BLE001 - a file gone or unreadable: opened again, or declined
            return False

    def warm_one(self, count: int) -> bool:
        """Search one of the KB's `count` most-seen errors, its answer thrown away; whether any was left."""
        if self.warming is None:
            self.warming = _most_seen(self.kb, count)
        if not self.warming:
            return False
        paste = self.warming.pop()
        try:
            self.searcher.search(paste, k=3)
            self.warmed += 1
        except Exception:  # noqa: BLE001 - warming is only for speed: a KB it cannot search is not warmed
            self.warming.clear()
        return True

    def close(self) -> None:
        try:
            self.searcher.close()
        finally:
            self.kb.close()


def _most_seen(kb: KnowledgeBase, count: int) -> list[str]:
    """The messages of the KB's `count` most-seen errors (the groups seen in most reports, then the oldest),
    the most-seen last (they are popped)."""
    if count <= 0:
        return []
    try:
        rows = kb.store.rows("select e.message from error_groups g join errors e on e.id = g.best "
                             "order by g.seen_in desc, g.first limit ?", [count])
    except Exception:  # noqa: BLE001 - a database without groups: nothing to warm with
        return []
    return [row["message"] for row in reversed(rows) if row["message"]]


def _marks(kb: KnowledgeBase) -> tuple:
    """What the open KB depends on: the database file, the store's generation, the index's state file
    and table of contents. Cheap enough for every search (a few stat calls and one SQLite read)."""
    database = os.stat(kb.db_path)
    state = os.stat(kb.index_dir / STATE_FILE)
    toc = latest_toc(kb.index_dir)
    toc_stat = os.stat(toc) if toc else None
    return ((database.st_dev, database.st_ino), kb.store.generation(), (state.st_mtime_ns, state.st_size),
            (str(toc), toc_stat.st_mtime_ns if toc_stat else 0))


class SearchServer:
    """Answers searches on a listening socket until idle, asked to stop, replaced, or upgraded."""

    def __init__(self, listener: socket.socket, path: str, idle: float, warm: int = WARM_PASTES) -> None:
        self.listener, self.path, self.idle, self.warm = listener, path, idle, warm
        self.inode = os.stat(path).st_ino
        self.kbs: OrderedDict[str, OpenKB] = OrderedDict()
        self.started = time.time()
        self.last = time.monotonic()
        self.served = 0
        self.stopping = False
        self.code = _code_marks({})
        self.code_checked = 0.0

    # -- the loop ------------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            warming = True
            while not self.stopping:
                ready, _, _ = select.select([self.listener], [], [], 0 if warming else CHECK_EVERY)
                if ready:
                    self._accept()
                    warming = True  # the search may have opened another KB
                elif warming:
                    warming = self._warm_one()  # one search at a time: a client that comes waits for one at most
                    continue
                elif time.monotonic() - self.last > self.idle or self.upgraded():
                    break
                if not self._owns_socket():
                    return  # another server took the name: it answers from now on
        finally:
            self.close()

    def _accept(self) -> None:
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return
        with connection:
            try:
                if not _same_user(connection):
                    return
                connection.settimeout(5.0)  # a client that connects and sends nothing does not hold the server
                message = receive(connection)
                if message is None:
                    return
                send(connection, self.handle(message))
            except Exception:  # noqa: BLE001 - a client gone, a garbled or oversized message: the next one is served
                return
        self.last = time.monotonic()

    def _warm_one(self) -> bool:
        """One warming search of an open KB that is still current; whether there may be more to do."""
        for entry in reversed(self.kbs.values()):  # the KB searched last first
            if entry.warming == []:
                continue
            if not entry.still_current():
                entry.warming = []  # opened again by the next search of it, and warmed then
            elif entry.warm_one(self.warm):
                return True
        return False

    def _owns_socket(self) -> bool:
        try:
            return os.stat(self.path).st_ino == self.inode
        except OSError:
            return False

    def close(self) -> None:
        if self._owns_socket():
            try:
                os.unlink(self.path)
            except OSError:
                pass
        self.listener.close()
        for entry in self.kbs.values():
            entry.close()
        self.kbs.clear()

    # -- one message ---------------------------------------------------------------------------------
    def handle(self, message: dict) -> dict:
        if message.get("status"):
            return self.status()
        if message.get("stop"):
            self.stopping = True
            return {"stopping": True, "pid": os.getpid()}
        if "search" not in message:
            return DECLINED
        if self.upgraded():  # runbook was upgraded under it: the new code answers
            self.stopping = True
            return DECLINED
        saved = dict(os.environ)
        try:
            _set_environ(message.get("env") or {})  # NO_COLOR, HOME, RUNBOOK_KB, the config file's path
            return self._search(list(message["search"]), str(message.get("cwd") or "/"), bool(message.get("tty")),
                                message.get("stdin"))
        except Exception:  # noqa: BLE001 - declined: the in-process search gives the proper one-line error
            return DECLINED
        finally:
            _set_environ(saved)
            pager.disable(False)

    def upgraded(self) -> bool:
        """Whether any of its modules' files changed since they were loaded (looked at once a second at most)."""
        now = time.monotonic()
        if now - self.code_checked < 1.0:
            return False
        self.code_checked = now
        return _code_marks(self.code) != self.code

    def _search(self, args: list[str], cwd: str, tty: bool, stdin: str | None) -> dict:
        from runbook.cli.plain_search import parse, printed
        from runbook.paths import resolve_kb

        request = parse(args, stdin=stdin)
        if request is None:
            if stdin is None and parse(args, stdin="stdin") is not None:
                return {"served": False, "stdin": True}  # `search -`, or a pipe: asked again with what it holds
            return DECLINED
        path, _ = resolve_kb(request.kb_option)
        entry = self._entry(Path(cwd) / path)  # a relative --kb or $RUNBOOK_KB is the client's
        if entry is None:
            return DECLINED
        outcome = entry.searcher.search(request.query, k=request.limit)
        events, code = printed(request, outcome, color=tty and not pager.no_color())
        self.served += 1
        return {"served": True, "events": events, "code": code, "no_pager": pager.disabled()}

    def _entry(self, path: Path) -> OpenKB | None:
        root = str(path.expanduser().resolve())
        entry = self.kbs.get(root)
        if entry is not None and not entry.still_current():
            entry.close()
            del self.kbs[root]
            entry = None
        if entry is None:
            entry = OpenKB.open(Path(root))
            if entry is None:
                return None
            self.kbs[root] = entry
            while len(self.kbs) > MAX_KBS:
                self.kbs.popitem(last=False)[1].close()
        self.kbs.move_to_end(root)
        return entry

    def status(self) -> dict:
        import resource

        return {"pid": os.getpid(), "started": self.started, "served": self.served, "kbs": list(self.kbs),
                "warmed": {root: entry.warmed for root, entry in self.kbs.items()},
                "warming": any(entry.warming is None or entry.warming for entry in self.kbs.values()),
                "idle_limit": self.idle, "idle": round(time.monotonic() - self.last, 1),
                "memory_mb": _private_memory_mb() or round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _private_memory_mb() -> float | None:
    """The memory this process holds of its own (Linux's RssAnon): the index's mapped pages are the page
    cache's, shared with every reader of the files, and would count ~100 MB at 50,000 reports."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _code_marks(previous: dict[str, int]) -> dict[str, int]:
    """The modification times of runbook's and kb's loaded modules (those loaded since are added as they are)."""
    marks = {}
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in ("kb", "runbook"):
            continue
        file = getattr(module, "__file__", None)
        if not file:
            continue
        try:
            marks[file] = os.stat(file).st_mtime_ns
        except OSError:
            marks[file] = -1
    for file in set(marks) - set(previous):
        previous[file] = marks[file]
    return marks


def _set_environ(values: dict) -> None:
    """Make os.environ equal values, changing only what differs (a client's environment is mostly the same
    from one search to the next)."""
    for key in [key for key in os.environ if key not in values]:
        del os.environ[key]
    for key, value in values.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _same_user(connection: socket.socket) -> bool:
    """Only this user's processes are answered (the directory is private too; this holds if it is not)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    import struct

    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", credentials)[1] == os.getuid()


def listen(path: str) -> socket.socket:
    """A socket listening at path, made under a name of its own and then moved there, so a client never
    finds a half-made one and a dead server's socket is replaced in one step."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    partial = f"{path}.{os.getpid()}"
    try:
        os.unlink(partial)
    except FileNotFoundError:
        pass
    listener.bind(partial)
    os.chmod(partial, 0o600)
    listener.listen(32)
    os.replace(partial, path)
    return listener


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runbook.search_server", description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, help="where to listen")
    parser.add_argument("--kb", help="a KB to open before the first search")
    options = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `finally` removes the socket
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        idle = float(os.environ.get(IDLE_ENV) or IDLE_SECONDS)
    except ValueError:
        idle = IDLE_SECONDS
    try:
        warm = int(os.environ.get(WARM_ENV) or WARM_PASTES)
    except ValueError:
        warm = WARM_PASTES
    server = SearchServer(listen(options.socket), options.socket, idle, warm)
    if options.kb:  # the KB that started it, opened and searched once: its next search finds all loaded
        entry = server._entry(Path(options.kb))
        if entry is not None:
            from runbook.cli.plain_search import printed  # noqa: F401  (and the rendering it imports)

            entry.searcher.search("error: connection refused", k=3)
        server.code = _code_marks({})
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
