"""Stable references: `r3`, `e12`, `c5`, `f6` mean the same record on every clone, after every reindex.

The numbers live in `refs.tsv` at the KB root, tracked in git beside the reports:
one line per record, `kind  number  report path  position`. A record is known by
where it is in the sources (its report's path and its position among that
report's errors, checklists or flowcharts), so re-ingesting, reindexing, or a
`git pull` + `reindex` on another clone gives it back the number it had. New
records get the next free number and the file is committed with them.

Two clones that ingest at the same time both append; `.gitattributes` merges the
file as a union, and a number claimed twice is settled the same way on every
clone (the record whose key sorts first keeps it, the other gets a new one).

A 50,000-report KB has ~370,000 lines: reading and settling them all costs seconds, and adding 100
reports needs only their own numbers and each kind's highest. So the settled numbers are also kept
in the derived database (table `ref_numbers`), stamped with the file's size and a hash of its bytes
(hashing 14 MB is ~10 ms; parsing it is seconds); while the file is as stamped, a number
is one indexed lookup and new lines are appended to both. A file changed by anyone else (a pull, a
merge, a crash between the append and the database's commit) no longer matches its stamp and is read
whole again, as without the cache.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

REFS_FILE = "refs.tsv"
ATTRIBUTES_FILE = ".gitattributes"
ATTRIBUTE_LINE = f"{REFS_FILE} merge=union"
KINDS = {"r": "reports", "e": "errors", "c": "checklists", "f": "flowcharts"}  # prefix -> table
_HEADER = "# runbook stable ids (kind, number, report path, position): committed with the reports; do not edit\n"

Key = tuple[str, str, int]  # (kind prefix, report path, position)


class RefMap:
    """The stable numbers of one KB: read once, extended by ingest, written back when it grew."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / REFS_FILE
        self._numbers: dict[Key, int] | None = None
        self._highest: dict[str, int] = {}
        self._mtime: float | None = None
        self._on_disk = 0  # the first this-many entries of _numbers are in the file as they are: the rest are new
        self._cache: sqlite3.Connection | None = None  # the database's copy of the numbers (ref_numbers)
        self._lazy = False  # _numbers holds only new records; the rest are looked up in the cache
        self._hashed: _Hashed | None = None  # the file's stamp as read (while lazy), carried over appends
        self.changed = False

    # -- reading -------------------------------------------------------------------------------------
    def load(self, seed: dict[Key, int] | None = None, cache: sqlite3.Connection | None = None) -> None:
        """Read refs.tsv; without one, start from `seed` (the ids an older KB already shows). With a
        database connection whose copy of the numbers matches the file's stamp, nothing is read: numbers
        are looked up as asked."""
        if self._numbers is not None and self._mtime == _mtime(self.path):
            return
        self._mtime = _mtime(self.path)
        self._cache, self._lazy, self._hashed = cache, False, None
        if cache is not None and self._mtime is not None:
            hashed = _Hashed.of_file(self.path)
            if hashed is not None and _stamp_matches(cache, hashed, self.path):
                self._numbers, self._on_disk, self._lazy, self.changed = {}, 0, True, False
                self._hashed = hashed
                # one index lookup per kind (a `group by kind` read all 370,000 numbers at 50,000 reports)
                self._highest = {}
                for kind in KINDS:
                    highest = cache.execute("select max(number) from ref_numbers where kind = ?", [kind]).fetchone()[0]
                    if highest is not None:
                        self._highest[kind] = highest
                return
        data = _read_or_none(self.path)
        if data is not None:
            entries = list(_entries(data.decode("utf-8", errors="replace")))  # ~370,000 lines at 50,000 reports
            self._numbers = _settle(entries)
            self.changed = self._numbers != _first_seen(entries)
        else:
            self._numbers = dict(seed or {})
            self.changed = bool(self._numbers)
        self._on_disk = len(self._numbers) if not self.changed else 0  # how many of _numbers the file holds as they are
        self._highest = {}
        for (kind, _, _), number in self._numbers.items():
            self._highest[kind] = max(self._highest.get(kind, 0), number)
        if data is not None:
            self._hashed = _Hashed.of_bytes(data)
        if cache is not None and not self.changed and data is not None:
            _fill_cache(cache, self._numbers, self._hashed.stamp)  # the next load looks numbers up instead

    @property
    def loaded(self) -> bool:
        """Read and still current (another process, an ingest from the CLI say, may have grown the file)."""
        return self._numbers is not None and self._mtime == _mtime(self.path)

    def number(self, kind: str, path: str, position: int, floor: int = 0) -> int:
        """The stable number of a record; a new record gets the next one (above `floor`, ids already in use)."""
        assert self._numbers is not None, "load() first"
        key = (kind, path, position)
        found = self._numbers.get(key)
        if found is not None:
            return found
        if self._lazy and self._cache is not None:
            row = self._cache.execute("select number from ref_numbers where kind = ? and path = ? and position = ?",
                                      key).fetchone()
            if row is not None:
                return row[0]
        value = max(self._highest.get(kind, 0), floor) + 1
        self._numbers[key] = value
        self._highest[kind] = value
        self.changed = True
        return value

    # -- writing -------------------------------------------------------------------------------------
    def save(self) -> list[str]:
        """Write refs.tsv (and the union-merge attribute) if they changed; returns the KB paths to commit.
        Called inside the store's transaction: the database's copy of the numbers and its stamp go in
        with the records, or not at all."""
        if self._numbers is None or not self.changed:
            return []
        if self._lazy or (self._on_disk and self._mtime is not None and self._mtime == _mtime(self.path)):
            # only new records since the file was read: appended (adding N reports costs N lines, not the
            # whole file; the order of lines carries no meaning, _settle reads them in any order)
            new = list(self._numbers.items())[self._on_disk:]
            unchanged = self._hashed is not None and self._mtime == _mtime(self.path)
            added = _append(self.path, "".join(f"{kind}\t{number}\t{path}\t{position}\n" for (kind, path, position),
                                               number in sorted(new, key=lambda item: (item[0][0], item[1]))))
            # the stamp of the file as read, carried on over what was appended: not read and hashed again
            self._hashed = self._hashed.extended(added) if unchanged else None
        else:
            lines = [f"{kind}\t{number}\t{path}\t{position}\n" for (kind, path, position), number in
                     sorted(self._numbers.items(), key=lambda item: (item[0][0], item[1]))]
            from kb.store.copy_journal import write_atomic  # no temporary file left behind on a full disk

            text = _HEADER + "".join(lines)
            write_atomic(self.path, text)
            self._hashed = _Hashed.of_bytes(text.encode("utf-8"))  # as written (write_atomic keeps newlines)
        appended = list(self._numbers.items())[self._on_disk:]
        self._on_disk = len(self._numbers)
        self._mtime = _mtime(self.path)
        self.changed = False
        if self._cache is not None:
            stamp = self._hashed.stamp if self._hashed is not None and self._hashed.size == _size(self.path) else _stamp(self.path)
            if self._lazy or len(appended) < len(self._numbers):
                _add_to_cache(self._cache, appended, stamp)
            else:  # the file was written whole
                _fill_cache(self._cache, self._numbers, stamp, commit=False)
        return [REFS_FILE, *self._ensure_attribute()]

    def _ensure_attribute(self) -> list[str]:
        attributes = self.root / ATTRIBUTES_FILE
        text = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
        if ATTRIBUTE_LINE in text.splitlines():
            return []
        attributes.write_text(text + ("" if not text or text.endswith("\n") else "\n") + ATTRIBUTE_LINE + "\n",
                              encoding="utf-8")
        return [ATTRIBUTES_FILE]


class _Hashed:
    """The file's size and SHA-256 so far: what tells the file the database's copy was made from from any
    other (a copied or cloned KB keeps a valid copy; any change to the file, however made, does not).
    Kept open after a read, so lines this process appends extend it without reading 14 MB again."""

    def __init__(self, digest, size: int) -> None:
        self.digest, self.size = digest, size

    @classmethod
    def of_bytes(cls, data) -> "_Hashed":
        import hashlib

        return cls(hashlib.sha256(data), len(data))

    @classmethod
    def of_file(cls, path: Path) -> "_Hashed | None":
        """Hashed from a memory map: no copy of the file is made (SHA-256 runs in hardware on most CPUs)."""
        import mmap

        try:
            with open(path, "rb") as handle:
                if os.fstat(handle.fileno()).st_size == 0:
                    return cls.of_bytes(b"")
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                    return cls.of_bytes(mapped)
        except (OSError, ValueError):
            return None

    def extended(self, added: bytes) -> "_Hashed":
        digest = self.digest.copy()
        digest.update(added)
        return _Hashed(digest, self.size + len(added))

    @property
    def stamp(self) -> str:
        return f"{self.size}:sha256:{self.digest.hexdigest()}"


def _stamp(path: Path) -> str | None:
    hashed = _Hashed.of_file(path)
    return None if hashed is None else hashed.stamp


def _stamp_matches(cache: sqlite3.Connection, hashed: _Hashed, path: Path) -> bool:
    """Is the database's copy of the numbers made from this file? A stamp in the earlier form (size and
    BLAKE2b) is checked that way once and written again in this one."""
    cached = _cached_stamp(cache)
    if cached is None:
        return False
    if cached == hashed.stamp:
        return True
    if cached.count(":") != 1:
        return False
    import hashlib

    data = _read_or_none(path)
    if data is None or cached != f"{len(data)}:{hashlib.blake2b(data, digest_size=16).hexdigest()}":
        return False
    try:
        with _maybe_transaction(cache, not cache.in_transaction):
            _set_stamp(cache, hashed.stamp)
    except sqlite3.OperationalError:
        pass  # read-only: checked the older way again next time
    return True


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _ensure_cache(cache: sqlite3.Connection) -> None:
    cache.execute("create table if not exists ref_numbers (kind text, path text, position integer, number integer, "
                  "primary key (kind, path, position)) without rowid")
    cache.execute("create index if not exists idx_ref_numbers_kind_number on ref_numbers (kind, number)")


def _cached_stamp(cache: sqlite3.Connection) -> str | None:
    try:
        row = cache.execute("select value from kb_state where key = 'refs_stamp'").fetchone()
        if row is None or cache.execute("select 1 from sqlite_master where name = 'ref_numbers'").fetchone() is None:
            return None
    except sqlite3.DatabaseError:
        return None
    return row[0]


def _set_stamp(cache: sqlite3.Connection, stamp: str | None) -> None:
    cache.execute("insert into kb_state (key, value) values ('refs_stamp', ?) "
                  "on conflict(key) do update set value = excluded.value", [stamp or ""])


def _fill_cache(cache: sqlite3.Connection, numbers: dict[Key, int], stamp: str | None, commit: bool = True) -> None:
    """The database's copy made again from the settled numbers (after the file was read whole); in the
    caller's transaction when one is open (a reindex clears the store and reads the file in one)."""
    commit = commit and not cache.in_transaction
    try:
        with _maybe_transaction(cache, commit):
            _ensure_cache(cache)
            cache.execute("delete from ref_numbers")
            cache.executemany("insert into ref_numbers (kind, path, position, number) values (?, ?, ?, ?)",
                              ((kind, path, position, number) for (kind, path, position), number in numbers.items()))
            _set_stamp(cache, stamp)
    except sqlite3.OperationalError:
        if not commit:
            raise  # inside the store's transaction: its caller rolls back
        # a read-only or locked database: the file alone is the truth, read whole next time too


def _add_to_cache(cache: sqlite3.Connection, entries: list[tuple[Key, int]], stamp: str | None) -> None:
    _ensure_cache(cache)
    cache.executemany("insert or replace into ref_numbers (kind, path, position, number) values (?, ?, ?, ?)",
                      ((kind, path, position, number) for (kind, path, position), number in entries))
    _set_stamp(cache, stamp)


class _maybe_transaction:
    """`with connection:` (commit or roll back) when asked; otherwise the caller's transaction."""

    def __init__(self, cache: sqlite3.Connection, commit: bool) -> None:
        self.cache, self.commit = cache, commit

    def __enter__(self) -> None:
        if self.commit:
            self.cache.__enter__()

    def __exit__(self, *exc) -> None:
        if self.commit:
            self.cache.__exit__(*exc)


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _append(path: Path, text: str) -> bytes:
    """Add lines at the end, all or none: on a failed write (a full disk) the file is cut back to what it was.
    Returns the bytes appended."""
    with path.open("r+b") as out:
        size = out.seek(0, os.SEEK_END)
        try:
            if size:
                out.seek(-1, os.SEEK_END)
                if out.read(1) != b"\n":
                    text = "\n" + text  # a file edited by hand or merged without its last newline
            added = text.encode("utf-8")
            out.write(added)
            out.flush()
            os.fsync(out.fileno())
        except OSError:
            out.truncate(size)
            raise
    return added


def _first_seen(entries: list[tuple[str, int, str, int]]) -> dict[Key, int]:
    """Each record's number as the file gives it first (what the file says, before any settling)."""
    out: dict[Key, int] = {}
    for kind, number, report, position in entries:
        out.setdefault((kind, report, position), number)
    return out


def _lines(path: Path):
    """The records of a refs.tsv file (kind, number, report path, position)."""
    return _entries(path.read_text(encoding="utf-8", errors="replace"))


def _entries(text: str):
    lines = text.splitlines()
    if lines and not text.endswith("\n"):
        lines.pop()  # a line cut short (an append interrupted by a crash) is no record: it gets a new number
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 4 or parts[0] not in KINDS:
            continue  # a damaged line is dropped; its record gets a new number
        try:
            yield parts[0], int(parts[1]), parts[2], int(parts[3])
        except ValueError:
            continue


def _settle(entries: list[tuple[str, int, str, int]]) -> dict[Key, int]:
    """One number per record and one record per number, decided the same way whatever the line order
    (a union merge of two clones' files can list both clones' claims in either order)."""
    by_key: dict[Key, int] = {}
    for kind, number, path, position in entries:
        key = (kind, path, position)
        by_key[key] = min(number, by_key.get(key, number))
    if len({(key[0], number) for key, number in by_key.items()}) == len(by_key):
        return by_key  # no number claimed twice (the usual case): nothing to settle, no need to sort
    owner: dict[tuple[str, int], Key] = {}
    losers: list[Key] = []
    for key in sorted(by_key):
        slot = (key[0], by_key[key])
        if slot in owner:
            losers.append(key)
        else:
            owner[slot] = key
    highest: dict[str, int] = {}
    for kind, number in owner:
        highest[kind] = max(highest.get(kind, 0), number)
    for key in losers:  # sorted, so every clone hands out the same new numbers
        highest[key[0]] = highest.get(key[0], 0) + 1
        by_key[key] = highest[key[0]]
    return by_key
