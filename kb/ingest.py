"""Ingest report files into a KB: copy to reports/, parse, store, index, commit.

Unchanged files (same content hash at the same KB path) cost one read and a
hash. Changed files are parsed (in a process pool when there are many), then
replace their records in one SQLite transaction, then the copies are committed
in one git commit. A bad file is reported in one line and skipped; the rest go on.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kb.decode import MAX_BYTES, DecodeError, decode_report
from kb.knowledge_base import KBError, KnowledgeBase
from kb.model import ParsedReport
from kb.report import parse_report
from kb.store import SourceInfo

REPORT_SUFFIXES = (".md", ".markdown", ".txt")
PARALLEL_THRESHOLD = 64


@dataclass
class IngestResult:
    ingested: list[str] = field(default_factory=list)  # KB paths
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one-line messages naming the file
    notes: list[str] = field(default_factory=list)  # worth saying, not failures
    commit: str | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for benchmarks

    def summary(self) -> str:
        return f"ingested {len(self.ingested)}, unchanged {len(self.unchanged)}, failed {len(self.failed)}"


@dataclass
class _Candidate:
    source: Path
    dest: str  # KB-relative path under reports/


def find_sources(paths: Iterable[Path | str], result: IngestResult) -> list[_Candidate]:
    """Files as given, directories recursively (report suffixes only); missing paths are failures."""
    found: list[_Candidate] = []
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.is_file() and file.suffix.lower() in REPORT_SUFFIXES and not _hidden(file.relative_to(path)):
                    _add(found, seen, file, file.relative_to(path).as_posix())
        elif path.is_file():
            _add(found, seen, path, path.name)
        else:
            result.failed.append(f"{path}: no such file or directory")
    return found


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _add(found: list[_Candidate], seen: set[str], source: Path, relative: str) -> None:
    dest = f"reports/{relative}"
    if dest not in seen:
        seen.add(dest)
        found.append(_Candidate(source=source, dest=dest))


def read_text(path: Path) -> str:
    """Read and decode a report file, raising DecodeError (one line, names the file)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DecodeError(f"{path}: too large ({size / 1048576:.1f} MB, limit 20 MB)")
        data = path.read_bytes()
    except OSError as exc:
        raise DecodeError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return decode_report(data, str(path))


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _parse_one(job: tuple[str, str]) -> ParsedReport | str:
    text, name = job
    try:
        return parse_report(text, name)
    except Exception as exc:  # the parser must not fail; if it does, the file fails alone
        return f"{name}: could not be parsed ({type(exc).__name__}: {exc})"


def parse_many(jobs: list[tuple[str, str]], progress: Callable[[int], None] | None = None) -> list[ParsedReport | str]:
    """Parse texts, in a process pool when there are many (parsing is CPU-bound)."""
    workers = os.cpu_count() or 1
    if len(jobs) < PARALLEL_THRESHOLD or workers < 2:
        out = []
        for job in jobs:
            out.append(_parse_one(job))
            if progress:
                progress(1)
        return out
    out = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for parsed in pool.map(_parse_one, jobs, chunksize=32):
            out.append(parsed)
            if progress:
                progress(1)
    return out


def ingest(kb: KnowledgeBase, paths: Iterable[Path | str], progress: Callable[[int], None] | None = None,
           on_total: Callable[[int], None] | None = None, commit: bool = True, index: bool = True) -> IngestResult:
    """Ingest files/directories into the KB. See the module docstring for the guarantees."""
    kb.require()
    result = IngestResult()
    clock = _Clock(result.timings)
    candidates = find_sources(paths, result)
    if on_total:
        on_total(len(candidates))
    known = kb.store.known_hashes()
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    pending: list[tuple[_Candidate, str, str]] = []  # candidate, text, sha
    for candidate in candidates:
        try:
            text = read_text(candidate.source)
        except DecodeError as exc:
            result.failed.append(str(exc))
            if progress:
                progress(1)
            continue
        digest = content_hash(text)
        if known.get(candidate.dest) == digest:
            result.unchanged.append(candidate.dest)
            if progress:
                progress(1)
            continue
        pending.append((candidate, text, digest))
    clock.lap("read")
    parsed = parse_many([(text, c.dest) for c, text, _ in pending], progress)
    clock.lap("parse")
    ready: list[tuple[SourceInfo, ParsedReport, str]] = []
    for (candidate, text, digest), report in zip(pending, parsed):
        if isinstance(report, str):
            result.failed.append(report)
            continue
        info = SourceInfo(path=candidate.dest, sha256=digest, origin=str(candidate.source.resolve()),
                          size=len(text.encode("utf-8")), ingested_at=now)
        ready.append((info, report, text))
    if not ready:
        return result
    # Copies and `git add` are I/O in a thread and a git process: they overlap the store and index work.
    staging = ThreadPoolExecutor(max_workers=1).submit(_write_and_stage, kb, ready, commit)
    kb.store.replace_reports([(info, report) for info, report, _ in ready])
    clock.lap("store")
    if index:
        from kb.index import update_index

        update_index(kb, [info.path for info, _, _ in ready])
        clock.lap("index")
    result.ingested = [info.path for info, _, _ in ready]
    try:
        staging.result()
    except KBError as exc:
        result.failed.append(f"{exc} (the reports are saved in {kb.reports_dir}; the next ingest commits them)")
        return result
    clock.lap("write files and git add")
    if commit:
        written = result.ingested
        noun = "report" if len(written) == 1 else "reports"
        first = Path(written[0]).name
        message = f"ingest: {first}" if len(written) == 1 else f"ingest: {len(written)} {noun} ({first}, ...)"
        try:
            result.commit = kb.commit(["reports", *_ref_files(kb)], message)
        except KBError as exc:
            result.failed.append(f"{exc} (the reports are saved in {kb.reports_dir}; the next ingest commits them)")
        clock.lap("git commit")
    return result


def _write_and_stage(kb: KnowledgeBase, ready: list[tuple[SourceInfo, ParsedReport, str]], stage: bool) -> None:
    for info, _, text in ready:
        target = kb.root / info.path
        if target.resolve() != Path(info.origin):
            _write_atomic(target, text)
    if stage:
        kb.stage(["reports"])


class _Clock:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.last
        self.last = now


def _write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, target)


def rebuild(kb: KnowledgeBase, progress: Callable[[int], None] | None = None) -> IngestResult:
    """Re-derive the database from the Markdown sources in reports/ (after a pull, or a lost cache)."""
    kb.require()
    result = IngestResult()
    files = [p for p in sorted(kb.reports_dir.rglob("*")) if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES
             and not _hidden(p.relative_to(kb.reports_dir))]
    jobs, infos = [], []
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for file in files:
        rel = file.relative_to(kb.root).as_posix()
        try:
            text = read_text(file)
        except DecodeError as exc:
            result.failed.append(str(exc))
            continue
        jobs.append((text, rel))
        infos.append(SourceInfo(path=rel, sha256=content_hash(text), origin=str(file), size=len(text.encode("utf-8")),
                                ingested_at=now))
    parsed = parse_many(jobs, progress)
    ready = []
    for info, report in zip(infos, parsed):
        if isinstance(report, str):
            result.failed.append(report)
        else:
            ready.append((info, report))
            result.ingested.append(info.path)
    with kb.store.db.atomic():
        kb.store.clear()
        kb.store.replace_reports(ready)
    from kb.index import rebuild_index

    rebuild_index(kb)
    _commit_new_refs(kb, result)
    return result


def _ref_files(kb: KnowledgeBase) -> list[str]:
    """The stable-id files (kb/refs.py) that exist: committed with the reports they number."""
    from kb.refs import ATTRIBUTES_FILE, REFS_FILE

    return [name for name in (REFS_FILE, ATTRIBUTES_FILE) if (kb.root / name).exists()]


def _commit_new_refs(kb: KnowledgeBase, result: IngestResult) -> None:
    """A reindex that numbered new records (reports copied in by hand, a clone without refs.tsv) commits
    the numbers, so every clone shows the same ids."""
    paths = _ref_files(kb)
    if not paths or not kb.repo.git.status("--porcelain", "--", *paths).strip():
        return
    try:
        result.commit = kb.commit(paths, "kb: stable ids for new records")
    except KBError as exc:
        result.notes.append(f"the stable ids in {paths[0]} are not committed yet: {exc}")
