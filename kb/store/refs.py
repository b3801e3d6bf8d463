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
"""

from __future__ import annotations

import os
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
        self.changed = False

    # -- reading -------------------------------------------------------------------------------------
    def load(self, seed: dict[Key, int] | None = None) -> None:
        """Read refs.tsv; without one, start from `seed` (the ids an older KB already shows)."""
        if self._numbers is not None and self._mtime == _mtime(self.path):
            return
        self._mtime = _mtime(self.path)
        if self.path.exists():
            entries = list(_lines(self.path))  # read once: a 50,000-report KB has ~370,000 lines
            self._numbers = _settle(entries)
            self.changed = self._numbers != _first_seen(entries)
        else:
            self._numbers = dict(seed or {})
            self.changed = bool(self._numbers)
        self._on_disk = len(self._numbers) if not self.changed else 0  # how many of _numbers the file holds as they are
        self._highest = {}
        for (kind, _, _), number in self._numbers.items():
            self._highest[kind] = max(self._highest.get(kind, 0), number)

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
        value = max(self._highest.get(kind, 0), floor) + 1
        self._numbers[key] = value
        self._highest[kind] = value
        self.changed = True
        return value

    # -- writing -------------------------------------------------------------------------------------
    def save(self) -> list[str]:
        """Write refs.tsv (and the union-merge attribute) if they changed; returns the KB paths to commit."""
        if self._numbers is None or not self.changed:
            return []
        if self._on_disk and self._mtime is not None and self._mtime == _mtime(self.path):
            # only new records since the file was read: appended (adding N reports costs N lines, not the
            # whole file; the order of lines carries no meaning, _settle reads them in any order)
            new = list(self._numbers.items())[self._on_disk:]
            _append(self.path, "".join(f"{kind}\t{number}\t{path}\t{position}\n" for (kind, path, position), number in
                                       sorted(new, key=lambda item: (item[0][0], item[1]))))
        else:
            lines = [f"{kind}\t{number}\t{path}\t{position}\n" for (kind, path, position), number in
                     sorted(self._numbers.items(), key=lambda item: (item[0][0], item[1]))]
            from kb.store.copy_journal import write_atomic  # no temporary file left behind on a full disk

            write_atomic(self.path, _HEADER + "".join(lines))
        self._on_disk = len(self._numbers)
        self._mtime = _mtime(self.path)
        self.changed = False
        return [REFS_FILE, *self._ensure_attribute()]

    def _ensure_attribute(self) -> list[str]:
        attributes = self.root / ATTRIBUTES_FILE
        text = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
        if ATTRIBUTE_LINE in text.splitlines():
            return []
        attributes.write_text(text + ("" if not text or text.endswith("\n") else "\n") + ATTRIBUTE_LINE + "\n",
                              encoding="utf-8")
        return [ATTRIBUTES_FILE]


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _append(path: Path, text: str) -> None:
    """Add lines at the end, all or none: on a failed write (a full disk) the file is cut back to what it was."""
    with path.open("r+b") as out:
        size = out.seek(0, os.SEEK_END)
        try:
            if size:
                out.seek(-1, os.SEEK_END)
                if out.read(1) != b"\n":
                    text = "\n" + text  # a file edited by hand or merged without its last newline
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        except OSError:
            out.truncate(size)
            raise


def _first_seen(entries: list[tuple[str, int, str, int]]) -> dict[Key, int]:
    """Each record's number as the file gives it first (what the file says, before any settling)."""
    out: dict[Key, int] = {}
    for kind, number, report, position in entries:
        out.setdefault((kind, report, position), number)
    return out


def _lines(path: Path):
    text = path.read_text(encoding="utf-8", errors="replace")
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
