"""The WAL checkpoint after a large write, run beside what follows it instead of inside its commit.

SQLite copies the write-ahead log back into the database when a commit leaves it over 1,000 pages,
inside that commit. Adding 100 reports to a 50,000-report KB logs ~1,850 pages (7.5 MB: each row
touches leaf pages of a dozen indexes), so every such commit also copied and synced them (~0.07 s)
before the index could start. A store write holds automatic checkpoints off for its transaction;
after its commit, a thread with its own connection checkpoints (PASSIVE: it never blocks a reader or
a writer), while the ingest goes on to the index. A checkpoint that fails (a full disk) or never runs
(a `kill -9`) loses nothing: the log keeps the pages and the next commit over the limit copies them.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

AUTOCHECKPOINT_PAGES = 1000  # SQLite's default


class Checkpointer:
    """One database's checkpoints behind its writes: hold() before a write transaction, behind() after."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn, self.path = conn, path
        self._thread: threading.Thread | None = None

    def hold(self) -> None:
        self.conn.execute("PRAGMA wal_autocheckpoint=0")

    def behind(self) -> None:
        """Automatic checkpoints back on; a log over their limit (the checkpoint SQLite would have run in the
        commit) copied back by a thread of its own."""
        self.conn.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        self.wait()
        try:
            pages = os.path.getsize(f"{self.path}-wal") // self.conn.execute("PRAGMA page_size").fetchone()[0]
        except (OSError, sqlite3.Error):
            return
        if pages > AUTOCHECKPOINT_PAGES:
            self._thread = threading.Thread(target=_checkpoint, args=(self.path,), name="runbook-wal-checkpoint")
            self._thread.start()

    def wait(self) -> None:
        """Until the last checkpoint is done (before the connection closes, and before the next one)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def _checkpoint(path: Path) -> None:
    try:
        with closing(sqlite3.connect(str(path), timeout=5)) as conn:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:
        pass  # the log keeps the pages: the next commit over the limit copies them
