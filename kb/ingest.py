"""Ingest report files into a KB: redact, copy to reports/, parse, store, index, commit.

Unchanged files (same content hash at the same KB path) cost one read and a
hash. Changed files are scanned for secrets and parsed (in a process pool when
there are many); every secret is replaced by `[REDACTED:<kind>]` in the copy
before it is written, stored, indexed or committed (the original file is never
touched). The copies are written first, then their records replace the old ones
in one SQLite transaction, then they are committed in one git commit: a crash at
any point leaves what the next ingest needs to finish the job (it commits copies
an interrupted ingest left uncommitted). A bad file is reported in one line and
skipped; the rest go on. The whole ingest holds the KB's write lock (kb.store.lock).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from kb.store import copy_journal
from kb.store.sources import SourceState, now_ns
from kb.parse.decode import DecodeError, read_text
from kb.store.knowledge_base import KBError, KnowledgeBase
from kb.store.lock import write_lock
from kb.store.conflicts import conflict_markers
from kb.store.write_guard import require_writable
from kb.store.database import SourceInfo

if TYPE_CHECKING:  # the parser and the secret scanner are imported where they run: an unchanged
    # re-ingest never parses, and `runbook ingest` of an unchanged folder should not pay for them
    from concurrent.futures import ProcessPoolExecutor

    from kb.parse.model import ParsedReport
    from kb.parse.redact import Redaction

REPORT_SUFFIXES = (".md", ".markdown", ".txt")
# on_phase(what, how many) -> a callable told each n done, or None (as kb/search/index.py's Phase)
Phase = Callable[[str, int], "Callable[[int], None] | None"]
PARALLEL_THRESHOLD = 64
LOOKUPS_BEFORE_LOADING = 1000  # stored hashes asked one by one before all are read at once
POOL_CHUNK = 32  # files per job sent to a worker
# parsed reports held in memory before they go into the store's transaction (crash trials set it low, so a
# kill lands between batches of one transaction: RUNBOOK_STORE_BATCH)
_BATCH_SETTING = os.environ.get("RUNBOOK_STORE_BATCH", "")
STORE_BATCH = int(_BATCH_SETTING) if _BATCH_SETTING.isdigit() and int(_BATCH_SETTING) > 0 else 500
SMALL_STORE_BATCH = min(STORE_BATCH, 20)  # the smallest batch a small ingest stores at a time


@dataclass
class IngestResult:
    ingested: list[str] = field(default_factory=list)  # KB paths
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one-line messages naming the file
    redacted: list[tuple[str, Redaction]] = field(default_factory=list)  # (file as given, what was redacted)
    notes: list[str] = field(default_factory=list)  # worth saying, not failures
    skipped: list[str] = field(default_factory=list)  # files a folder walk left out, one line each, and why
    commit: str | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for benchmarks
    failed_commit: bool = False  # copies are saved but not committed (the next ingest commits them)

    def summary(self) -> str:
        return f"ingested {len(self.ingested)}, unchanged {len(self.unchanged)}, failed {len(self.failed)}"

    def redaction_lines(self) -> list[str]:
        """One line per file with secrets: `leak.md: 6 secrets redacted (lines 9, 11, 13)`."""
        return [redaction.describe(name) for name, redaction in self.redacted]

    def redactions_json(self) -> list[dict]:
        return [{"file": name, "secrets": len(r.findings), "findings": r.to_dicts()} for name, r in self.redacted]


@dataclass
class _Candidate:
    origin: str  # the file as found
    dest: str  # KB-relative path under reports/

    @property
    def source(self) -> Path:
        return Path(self.origin)


def find_sources(paths: Iterable[Path | str], result: IngestResult) -> list[_Candidate]:
    """Files as given (a symlink named here is read as the file it points to), directories recursively
    (report suffixes only, never leaving the directory or entering a .git directory: what is left out
    is said in result.skipped); missing paths are failures."""
    found: list[_Candidate] = []
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for file, relative in _report_files(path, result.skipped):
                _add(found, seen, file, relative)
        elif path.is_file():
            _add(found, seen, str(path), path.name)
        else:
            result.failed.append(f"{path}: no such file or directory")
    return found


def _report_files(folder: Path, skipped: list[str] | None = None) -> list[tuple[str, str]]:
    """Report files under folder, recursively, in path order, none under a hidden name; as
    `sorted(folder.rglob("*"))` would give them (symlinked folders are not entered), without a
    stat and a Path per entry (a folder holds thousands of reports).

    A folder of reports is someone else's: a symlink in it may point anywhere (`passwd.md ->
    /etc/passwd`, `config.md -> ../.git/config`), and whatever ingest reads is committed for everyone
    who pulls. So a symlink is followed only to a file inside the folder and outside any .git
    directory, nothing in a .git directory is read, and each file left out is one line in `skipped`."""
    found: list[tuple[tuple[str, ...], str]] = []
    said: list[str] = []
    root = os.path.realpath(folder)
    if ".git" in Path(root).parts:
        if skipped is not None:
            skipped.append(f"{folder}: inside a .git directory, nothing read")
        return []

    def leaves(target: str) -> str | None:
        """Why a symlink's real target may not be read, or None."""
        if os.path.commonpath([root, target]) != root:
            return f"a symlink to {target}, outside {folder}"
        if ".git" in Path(os.path.relpath(target, root)).parts:
            return f"a symlink into a .git directory ({target})"
        return None

    def visit(directory: str, parts: tuple[str, ...]) -> None:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return  # unreadable folder: skipped, as rglob skips it
        for entry in entries:
            if entry.name == ".git":
                said.append(f"{entry.path}: a .git directory, nothing in it read")
                continue
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    if not entry.is_symlink():
                        visit(entry.path, (*parts, entry.name))
                    elif leaves(os.path.realpath(entry.path)):
                        said.append(f"{entry.path}: {leaves(os.path.realpath(entry.path))}")
                elif entry.is_file() and os.path.splitext(entry.name)[1].lower() in REPORT_SUFFIXES:
                    why = leaves(os.path.realpath(entry.path)) if entry.is_symlink() else None
                    if why:
                        said.append(f"{entry.path}: {why}")
                    else:
                        found.append(((*parts, entry.name), entry.path))
            except OSError:
                continue

    visit(str(folder), ())
    if skipped is not None:
        skipped.extend(sorted(said))
    found.sort(key=lambda item: item[0])
    base = str(folder)  # as pathlib spells a child: no "./" in front, no doubled "/"
    base = "" if base == "." else base if base.endswith("/") else base + "/"
    return [(base + "/".join(parts), "/".join(parts)) for parts, _ in found]


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _add(found: list[_Candidate], seen: set[str], source: str, relative: str) -> None:
    dest = f"reports/{relative}"
    if dest not in seen:
        seen.add(dest)
        found.append(_Candidate(origin=source, dest=dest))


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _parse_one(job: tuple[str, str]) -> ParsedReport | str:
    from kb.parse.report import parse_report

    text, name = job
    try:
        return parse_report(text, name)
    except Exception as exc:  # the parser must not fail; if it does, the file fails alone
        return f"{name}: could not be parsed ({type(exc).__name__}: {exc})"


def _prepare_one(job: tuple[str, str]) -> tuple[Redaction, ParsedReport | str] | str:
    """Redact, then parse the redacted text: nothing downstream ever sees a secret."""
    from kb.parse.redact import scan

    text, name = job
    conflict = conflict_markers(text)
    if conflict is not None:  # a file left mid-merge is never copied, stored, indexed or committed
        return (f"{name}: holds git conflict markers (line {conflict}); resolve the conflict (keep the right "
                "side, remove the <<<<<<< ======= >>>>>>> lines), then ingest or reindex again")
    try:
        redaction = scan(text)
    except Exception as exc:  # fail closed: a file that cannot be scanned is not ingested
        return f"{name}: could not be scanned for secrets ({type(exc).__name__}: {exc})"
    return redaction, _parse_one((redaction.text, name))


@dataclass
class _Prepared:
    """A source file read, hashed, redacted and parsed (in a pool worker): what the store needs of it."""

    digest: str  # the original's SHA-256 (an unchanged original is recognised by it)
    source_size: int  # the original's size in bytes (as UTF-8)
    text: str  # the redacted copy
    findings: Redaction | None  # what was redacted (its text dropped), or None
    report: ParsedReport


def _prepare_file(job: tuple[str, str]) -> _Prepared | str:
    """Read, hash, redact and parse one source file (job: its path, its KB path). The worker reads the
    file itself: the ingesting process never holds thousands of texts, only the batch being stored."""
    path, name = job
    try:
        text = read_text(Path(path))
    except DecodeError as exc:
        return str(exc)
    outcome = _prepare_one((text, name))
    if isinstance(outcome, str):
        return outcome
    redaction, report = outcome
    if isinstance(report, str):
        return report
    from kb.parse.redact import Redaction

    return _Prepared(content_hash(text), len(text.encode("utf-8")), redaction.text,
                     Redaction("", redaction.findings) if redaction.findings else None, report)


def _run_chunk(func: Callable, jobs: list) -> list:
    return [func(job) for job in jobs]


def _scan_one(job: tuple[str, str]) -> Redaction | str:
    from kb.parse.redact import scan

    text, name = job
    try:
        return scan(text)
    except Exception as exc:
        return f"{name}: could not be scanned for secrets ({type(exc).__name__}: {exc})"


def _pooled(func: Callable, jobs: list, progress: Callable[[int], None] | None) -> list:
    """func over jobs, in a process pool when there are many (scanning and parsing are CPU-bound)."""
    return list(_pooled_iter(func, jobs, progress))


def _pooled_iter(func: Callable, jobs: list, progress: Callable[[int], None] | None,
                 pool: "ProcessPoolExecutor | None" = None) -> Iterator:
    """func over jobs, each result as soon as it is there (in job order): the caller's own work on
    the first results goes on while the pool works on the rest. At most a few chunks are in flight,
    so results wait in memory only as long as the caller is behind, a few hundred at most. `pool`: one
    started early (start_pool); it is shut down here all the same."""
    workers = os.cpu_count() or 1
    if pool is None and (len(jobs) < PARALLEL_THRESHOLD or workers < 2):
        for job in jobs:
            yield func(job)
            if progress:
                progress(1)
        return
    from collections import deque

    pool = pool or start_pool(workers)
    in_flight: deque[Future] = deque()
    try:
        # a few hundred files in chunks small enough that each worker gets several: the last chunks do not
        # leave one worker busy while the other waits (100 files in 32s: 64 for one worker, 36 for the other)
        chunk = max(1, min(POOL_CHUNK, -(-len(jobs) // (workers * 4))))
        for start in range(0, len(jobs), chunk):
            in_flight.append(pool.submit(_run_chunk, func, jobs[start:start + chunk]))
            if len(in_flight) < workers * 3:
                continue
            for item in in_flight.popleft().result():
                yield item
                if progress:
                    progress(1)
        while in_flight:
            for item in in_flight.popleft().result():
                yield item
                if progress:
                    progress(1)
    finally:  # a caller that stops early (a full disk) does not wait for the jobs nobody will read
        pool.shutdown(wait=True, cancel_futures=True)


def start_pool(workers: int, warm: bool = False) -> "ProcessPoolExecutor":
    """The worker processes. Each dies with this process: after a `kill -9` of it, none is left blocked
    on a pipe nobody reads (kb/store/processes.py). Warm: started at once, while this process still reads
    the folder, each parsing a small report first (with fork they inherit this process's warm parser,
    _early_pool; started another way, each imports the parser and compiles its patterns, ~0.1 s)."""
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(os.getpid(), warm))
    if warm:
        pool.submit(int)  # workers start at the first job (with fork, all of them)
    return pool


def _start_worker(parent_pid: int, warm: bool) -> None:
    from kb.store.processes import die_with_parent

    die_with_parent(parent_pid)
    if warm and "kb.parse.report" not in sys.modules:  # (forked from a warm process: nothing to do)
        _prepare_one((_WARM_UP, "warm-up.md"))


# A report of a few shapes (an error log, a fix with commands, a task list, a table), parsed once by a
# warm worker so that what the parser compiles on first use is ready before the first real file.
_WARM_UP = """# Warm-up: deploy failed

## Error: connection refused

```
2026-01-01T00:00:00Z ERROR [api-1] ConnectionRefusedError: [Errno 111] Connection refused
```

**Root cause**: the database was not up yet.

**Fix**:
```bash
sudo systemctl restart postgresql
```

- [ ] check `pg_isready`

| Symptom | Fix |
|---|---|
| refused | restart |
"""


def _early_pool(kb: KnowledgeBase, candidates: list) -> "ProcessPoolExecutor | None":
    """A warm pool when the folder is mostly new reports (the first 128 files looked at: at least 64 not in
    the KB), so parsing starts on warm workers; an unchanged or mostly unchanged folder starts none."""
    workers = os.cpu_count() or 1
    if len(candidates) < PARALLEL_THRESHOLD or workers < 2:
        return None
    root = str(kb.root)
    new = sum(not os.path.exists(f"{root}/{candidate.dest}") for candidate in candidates[:2 * PARALLEL_THRESHOLD])
    if new < PARALLEL_THRESHOLD:
        return None
    # warmed here first (imports, patterns compiled on first use), so the workers forked next start warm:
    # ~0.05 s here instead of ~0.15 s in each worker before its first file
    _prepare_one((_WARM_UP, "warm-up.md"))
    return start_pool(workers, warm=True)


@dataclass
class CheckResult:
    """`runbook ingest --check`: what would be redacted, nothing ingested."""

    scanned: int = 0
    failed: list[str] = field(default_factory=list)
    redacted: list[tuple[str, Redaction]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # as IngestResult.skipped

    def redaction_lines(self) -> list[str]:
        return [redaction.describe(name) for name, redaction in self.redacted]

    def redactions_json(self) -> list[dict]:
        return [{"file": name, "secrets": len(r.findings), "findings": r.to_dicts()} for name, r in self.redacted]

    def summary(self) -> str:
        secrets = sum(len(r.findings) for _, r in self.redacted)
        return (f"checked {self.scanned} file{'s' if self.scanned != 1 else ''}: {secrets} secret{'s' if secrets != 1 else ''} in "
                f"{len(self.redacted)} file{'s' if len(self.redacted) != 1 else ''}, failed {len(self.failed)}")


def check(paths: Iterable[Path | str], progress: Callable[[int], None] | None = None) -> CheckResult:
    """Scan files for secrets as ingest would, without ingesting (no KB needed)."""
    result = CheckResult()
    scratch = IngestResult()
    jobs, names = [], []
    candidates = find_sources(paths, scratch)
    result.skipped = scratch.skipped
    for candidate in candidates:
        try:
            jobs.append((read_text(candidate.source), str(candidate.source)))
            names.append(str(candidate.source))
        except DecodeError as exc:
            result.failed.append(str(exc))
    result.failed = scratch.failed + result.failed
    for name, outcome in zip(names, _pooled(_scan_one, jobs, progress)):
        if isinstance(outcome, str):
            result.failed.append(outcome)
            continue
        result.scanned += 1
        if outcome.findings:
            result.redacted.append((name, outcome))
    return result


def ingest(kb: KnowledgeBase, paths: Iterable[Path | str], progress: Callable[[int], None] | None = None,
           on_total: Callable[[int], None] | None = None, commit: bool = True, index: bool = True,
           on_phase: Phase | None = None) -> IngestResult:
    """Ingest files/directories into the KB. See the module docstring for the guarantees. `on_total` is told
    how many files there are and `progress` each one done; `on_phase` of the indexing that follows (a
    first ingest spends about half its time there: kb/search/index.py)."""
    kb.require()
    require_writable(kb, "ingest")  # read-only, or git mid-merge/rebase/detached: refused before any write
    with write_lock(kb, "ingest"):
        return _ingest(kb, paths, progress, on_total, commit, index, on_phase)


def _ingest(kb: KnowledgeBase, paths: Iterable[Path | str], progress: Callable[[int], None] | None,
            on_total: Callable[[int], None] | None, commit: bool, index: bool,
            on_phase: Phase | None = None) -> IngestResult:
    result = IngestResult()
    clock = _Clock(result.timings)
    candidates = find_sources(paths, result)
    if on_total:
        on_total(len(candidates))
    pool = _early_pool(kb, candidates)  # warming up while the state is loaded and the folder read
    try:
        return _ingest_found(kb, result, clock, candidates, pool, progress, commit, index, on_phase)
    finally:
        if pool is not None:  # (shut down already once used; otherwise a failure came first)
            pool.shutdown(wait=False, cancel_futures=True)


def _ingest_found(kb: KnowledgeBase, result: IngestResult, clock: "_Clock", candidates: list,
                  pool: "ProcessPoolExecutor | None", progress: Callable[[int], None] | None, commit: bool,
                  index: bool, on_phase: Phase | None) -> IngestResult:
    state = SourceState.load(kb)
    known = _KnownHashes(kb, state)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    root = str(kb.root)
    pending: list[tuple[_Candidate, os.stat_result | None, int]] = []  # candidate, its stat, when it was stat'ed
    seen: dict[str, tuple[str, os.stat_result, int, str]] = {}  # dest -> origin, stat, when read, sha (for the state)
    for candidate in candidates:
        origin = os.path.abspath(candidate.origin)
        read_ns = now_ns()
        try:
            stat = os.stat(origin)
        except OSError:
            stat = None  # the worker's read says why, in one line
        if stat is not None:
            sha = state.unchanged_sha(candidate.dest, origin, stat)
            if sha is not None and known.holds(candidate.dest, sha) and os.path.exists(f"{root}/{candidate.dest}"):
                result.unchanged.append(candidate.dest)  # same stat, same stored hash: not even opened
                seen[candidate.dest] = (origin, stat, state.entry(candidate.dest)[5], sha)
                if progress:
                    progress(1)
                continue
        stored_sha = known.get(candidate.dest)
        if stored_sha is not None:  # stored before: unchanged if its hash is the stored one
            try:
                digest = content_hash(read_text(candidate.source))
            except DecodeError as exc:
                result.failed.append(str(exc))
                if progress:
                    progress(1)
                continue
            if stat is not None:
                seen[candidate.dest] = (origin, stat, read_ns, digest)
            if stored_sha == digest and os.path.exists(f"{root}/{candidate.dest}"):
                result.unchanged.append(candidate.dest)
                if progress:
                    progress(1)
                continue
        # new or changed: read again, hashed, redacted and parsed by a worker (the text is not kept here)
        pending.append((candidate, stat, read_ns))
    clock.lap("read")
    was_clean = state.clean
    # Copies an ingest that died before its store left behind are undone first (kb/store/copy_journal.py).
    recovered = copy_journal.recover(kb) if not was_clean else []
    if recovered:
        result.notes.append(f"undid {len(recovered)} copies an interrupted ingest wrote but never stored")
    # (the stable-id files too: made by the store's transaction, and removed with it if it never goes in)
    from kb.store.refs import ATTRIBUTES_FILE, REFS_FILE

    writing = _Writing(copy_journal.CopyJournal.begin(kb, [c.dest for c, _, _ in pending] + [REFS_FILE, ATTRIBUTES_FILE])
                       if pending else None, pool)
    try:
        return _write_store_commit(kb, result, clock, pending, writing, state, seen, known, was_clean, now, commit,
                                   index, progress, on_phase)
    except BaseException as exc:
        if writing.staging is not None:
            try:
                writing.staging.result()  # its `git add` must be done before the copies are undone
            except BaseException:
                pass
        stored = writing.journal is None or _stored(writing.journal)
        if writing.journal is not None:
            writing.journal.settle() if stored else writing.journal.roll_back(writing.written)
            if stored and commit:  # the copies are staged beside the store: their stable ids with them
                try:
                    kb.stage(_ref_files(kb))
                except Exception:
                    pass  # no room even for that: the next ingest commits them all the same
        if copy_journal.is_disk_full(exc):
            done = ("the reports that were stored are kept and the next ingest commits them" if stored and pending
                    else "nothing of this ingest was kept")
            raise KBError(f"no space left on the device of {kb.root}: ingest stopped; {done} (free some space, "
                          "then ingest again)") from None
        raise


@dataclass
class _Writing:
    """What an ingest has written so far, so a failure before its store can undo exactly that."""

    journal: copy_journal.CopyJournal | None
    pool: "ProcessPoolExecutor | None" = None  # workers started early (start_pool), or None
    written: set[str] = field(default_factory=set)  # copies written by this process
    staging: Future | None = None  # the `git add` (then the commit) running beside the store and the index
    git: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="git"))


def _stored(journal: copy_journal.CopyJournal) -> bool:
    try:
        return journal.stored()
    except Exception:  # the database cannot even be read: leave the copies, the next ingest looks again
        return True


def _write_store_commit(kb: KnowledgeBase, result: IngestResult, clock: "_Clock", pending: list, writing: _Writing,
                        state: SourceState, seen: dict, known: "_KnownHashes", was_clean: bool, now: str, commit: bool,
                        index: bool, progress: Callable[[int], None] | None,
                        on_phase: Phase | None = None) -> IngestResult:
    """Copies, then records (one transaction), then the index and the commit. Reports go into the store's
    transaction a batch at a time as the workers hand them back, each copy written before its batch:
    memory holds one batch, and the transaction still stores all of them or none."""
    # Copies an interrupted ingest left uncommitted: only looked for when the last ingest did not finish
    # its commit (a `git status` over thousands of reports is most of an unchanged re-ingest); before this
    # ingest's own `git add` starts, as `git status` may take git's index lock.
    leftovers = _uncommitted(kb, known.all()) if commit and not was_clean else []
    written: list[str] = []
    stored: dict[str, str] = {}  # KB path -> the original's hash
    previous: set[str] = set()  # what the index held of these reports before the store forgot it
    if pending:  # (an unchanged folder imports neither the index nor sqlite-utils)
        _copy_and_store(kb, result, clock, pending, writing, state, seen, now, commit, index, progress, written,
                        stored, previous)
    if writing.journal is not None:
        writing.journal.settle()  # the records are in (or there were none): the copies are the KB's now
    if not written:
        if leftovers or (commit and not was_clean and _dirty_ref_files(kb)):
            # with the stable ids they numbered (refs.tsv), or it stays modified for good
            _commit(kb, result, leftovers + _ref_files(kb),
                    f"ingest: {len(leftovers)} reports an interrupted ingest left uncommitted" if leftovers
                    else "kb: stable ids an interrupted ingest left uncommitted")
        _save_state(kb, state, seen, known, set(result.unchanged), stored, clean=commit and not result.failed_commit)
        return result
    clock.lap("store")
    result.ingested = written
    if commit:  # git adds and commits in its thread while the index is updated here: both wait on other work
        noun = "report" if len(written) == 1 else "reports"
        first = Path(written[0]).name
        message = f"ingest: {first}" if len(written) == 1 else f"ingest: {len(written)} {noun} ({first}, ...)"
        staging = writing.staging
        # the copies' own `git add` (staging) is done before the commit: only the rest is added there (adding
        # the copies again made git match 100 paths against a 50,000-entry index once more)
        unstaged = set(leftovers) - set(written) if staging is not None else set(written) | set(leftovers)
        writing.staging = writing.git.submit(_commit_after_staging, kb, result, staging,
                                             sorted(unstaged) + _ref_files(kb), message)
    if index:
        from kb.search.index import update_index

        update_index(kb, written, previous, on_phase)
        clock.lap("index")
    if writing.staging is not None:
        writing.staging.result()
        clock.lap("git add and commit (beyond the index's time)")
    kb.store.wait_for_checkpoint()  # (done beside the index: kb/store/checkpoint.py)
    _save_state(kb, state, seen, known, set(result.unchanged), stored, clean=commit and not result.failed_commit)
    return result


def _copy_and_store(kb: KnowledgeBase, result: IngestResult, clock: "_Clock", pending: list, writing: _Writing,
                    state: SourceState, seen: dict, now: str, commit: bool, index: bool,
                    progress: Callable[[int], None] | None, written: list[str], stored: dict[str, str],
                    previous: set[str]) -> None:
    """Each report as a worker hands it back: its copy written, then into the store's transaction a batch at
    a time (written, stored and previous are filled in); `git add` starts once the copies are all there."""
    prepared = _pooled_iter(_prepare_file, [(str(c.source), c.dest) for c, _, _ in pending], progress, writing.pool)
    learn: set[str] | None = None  # previous, while the index is current (a stale one is rebuilt whole after)
    if index:
        from kb.search.index import index_is_current

        learn = previous if index_is_current(kb) else None
    # A few hundred reports go in as a few batches, each while the workers parse the next: the store's
    # work overlaps theirs instead of following it (all in the one transaction, as ever).
    store_batch = min(STORE_BATCH, max(SMALL_STORE_BATCH, len(pending) // 4))
    with closing(prepared), kb.store.replacing() as store:  # closing: no worker outlives a failure here
        batch: list[tuple[SourceInfo, ParsedReport]] = []
        # the pool's generator first: its end (and the pool's shutdown) is reached with the last report
        for outcome, (candidate, stat, read_ns) in zip(prepared, pending):
            if isinstance(outcome, str):
                result.failed.append(outcome)
                continue
            if outcome.findings is not None:
                result.redacted.append((str(candidate.source), outcome.findings))
            if outcome.report.bound_note:  # a giant file read as sections only up to the parse bound (kb/parse/bound.py)
                result.notes.append(f"{candidate.source} {outcome.report.bound_note}")
            if stat is not None:
                seen[candidate.dest] = (os.path.abspath(candidate.origin), stat, read_ns, outcome.digest)
            info = SourceInfo(path=candidate.dest, sha256=outcome.digest, origin=str(candidate.source.resolve()),
                              size=len(outcome.text.encode("utf-8")), ingested_at=now)
            # Copies first (atomic renames), so stored records never point at a copy that is not there.
            state.mark_dirty()  # once, before the first copy
            target = kb.root / info.path
            if target.resolve() != Path(info.origin) or outcome.text != _read_or_none(target):
                writing.written.add(info.path)
                _write_atomic(target, outcome.text)
            batch.append((info, outcome.report))
            written.append(info.path)
            stored[info.path] = outcome.digest
            if len(batch) >= store_batch:
                _store_batch(kb, store, batch, learn)
        _store_batch(kb, store, batch, learn)
        clock.lap("redact, parse, write files and store")
        # `git add` is a git process: it overlaps the rest of the store and the index
        if written and commit:
            writing.staging = writing.git.submit(kb.stage, written)


def _commit_after_staging(kb: KnowledgeBase, result: IngestResult, staging: Future | None, paths: list[str],
                          message: str) -> None:
    """Commit the copies once their `git add` is done; a failed add or commit is said in result.failed, and
    the reports stay saved for the next ingest to commit."""
    try:
        if staging is not None:
            staging.result()
    except KBError as exc:
        result.failed.append(f"{exc} (the reports are saved in {kb.reports_dir}; the next ingest commits them)")
        result.failed_commit = True
        return
    _commit(kb, result, paths, message)


def _store_batch(kb: KnowledgeBase, store: Callable, batch: list, previous: set[str] | None) -> None:
    """Into the store's open transaction; previous (when indexing) first learns what the index held of them."""
    if not batch:
        return
    if previous is not None:
        from kb.search.index import documents_of

        previous.update(documents_of(kb, [info.path for info, _ in batch]))
    store(batch)
    batch.clear()


class _KnownHashes:
    """The stored reports' hashes (path -> sha256), read from SQLite only when needed: when the store
    has not been written since the last ingest saved its state (the same database, at the same write
    generation), the state's own hashes are the stored ones, and an unchanged folder never reads the
    reports table."""

    def __init__(self, kb: KnowledgeBase, state: SourceState) -> None:
        self.kb = kb
        self.generation = [kb.store.identity(), kb.store.generation()]
        self.trusted = state.generation == self.generation
        self.loaded: dict[str, str] | None = None
        self.lookups = 0

    def all(self) -> dict[str, str]:
        if self.loaded is None:
            self.loaded = self.kb.store.known_hashes()
        return self.loaded

    def get(self, dest: str) -> str | None:
        """The stored hash of one report: looked up alone while few are asked (adding 100 reports to 50,000
        read all 50,000 hashes), all of them read once many are. Only while the state is the store's: when
        the store changed since (a reindex after a pull), all are read, so the state forgets what left it."""
        if self.loaded is None and self.trusted and self.lookups < LOOKUPS_BEFORE_LOADING:
            self.lookups += 1
            return self.kb.store.known_hash(dest)
        return self.all().get(dest)

    def holds(self, dest: str, sha: str) -> bool:
        return self.trusted or self.all().get(dest) == sha


def _save_state(kb: KnowledgeBase, state: SourceState, seen: dict[str, tuple[str, os.stat_result, int, str]],
                known: _KnownHashes, unchanged: set[str], stored: dict[str, str], clean: bool) -> None:
    """Remember each source found unchanged or stored this time, with the hash its stored report has now
    (not one that failed: it is read again, and fails again, until it is fixed)."""
    for dest, (origin, stat, read_ns, sha) in seen.items():
        if dest in unchanged or dest in stored:
            state.record(dest, origin, stat, read_ns, stored.get(dest, sha))
    if known.loaded is not None:  # otherwise nothing left the store since the state was saved
        state.keep_only(set(known.loaded) | set(stored))
    generation = [known.generation[0], kb.store.generation()] if stored else known.generation
    if state.generation != generation:
        state.generation, state.changed = generation, True
    if state.clean != clean:
        state.clean, state.changed = clean, True
    try:
        if not state.changed and state.path.exists():
            return  # an unchanged folder: nothing new to remember
        state.save()
    except (OSError, sqlite3.Error):
        pass  # only an accelerator: the next ingest reads and hashes the files instead
    finally:
        state.close()


def _commit(kb: KnowledgeBase, result: IngestResult, paths: list[str], message: str) -> None:
    try:
        result.commit = kb.commit(paths, message)
    except KBError as exc:
        result.failed.append(f"{exc} (the reports are saved in {kb.reports_dir}; the next ingest commits them)")
        result.failed_commit = True


def _uncommitted(kb: KnowledgeBase, known: dict[str, str]) -> list[str]:
    """Ingested copies (known to the store, so redacted) that an interrupted ingest did not commit.

    Only those: a file someone dropped into reports/ by hand was never scanned and is never committed here.
    """
    import git

    try:
        out = kb.repo.git.status("--porcelain", "-z", "--untracked-files=all", "--", "reports")
    except git.GitCommandError:
        return []
    paths = []
    for entry in out.split("\0"):
        if len(entry) > 3 and entry[3:] in known and (kb.root / entry[3:]).exists():
            paths.append(entry[3:])
    return paths


def _read_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


class _Clock:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.last
        self.last = now


def _write_atomic(target: Path, text: str) -> None:
    copy_journal.write_atomic(target, text)  # no temporary file left behind, even on a full disk


def _dirty_ref_files(kb: KnowledgeBase) -> bool:
    """Is refs.tsv (or .gitattributes) changed and not committed?"""
    paths = _ref_files(kb)
    return bool(paths) and bool(kb.repo.git.status("--porcelain", "--", *paths).strip())


def rebuild(kb: KnowledgeBase, progress: Callable[[int], None] | None = None,
            on_total: Callable[[int], None] | None = None, on_phase: Phase | None = None) -> IngestResult:
    """Re-derive the database from the Markdown sources in reports/ (after a pull, or a lost cache).

    Sources are redacted on the way into SQLite and the index (a teammate's older copy may hold a
    secret); the files themselves are left as git has them. Each report keeps when it was ingested.
    `on_total` is told how many files there are, `progress` each one parsed.
    """
    kb.require()
    require_writable(kb, "reindex")
    deriving, kb.deriving = kb.deriving, True  # its store, new on a fresh clone, is this derivation's own
    try:
        with write_lock(kb, "reindex"):
            return _rebuild(kb, progress, on_total, on_phase)
    finally:
        kb.deriving = deriving


def _rebuild(kb: KnowledgeBase, progress: Callable[[int], None] | None,
             on_total: Callable[[int], None] | None = None, on_phase: Phase | None = None) -> IngestResult:
    result = IngestResult()
    files = [p for p in sorted(kb.reports_dir.rglob("*")) if p.is_file() and p.suffix.lower() in REPORT_SUFFIXES
             and not _hidden(p.relative_to(kb.reports_dir))]
    if on_total:
        on_total(len(files))
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    paths = [file.relative_to(kb.root).as_posix() for file in files]
    ingested = _ingested_dates(kb, paths)
    prepared = _pooled_iter(_prepare_file, [(str(file), rel) for file, rel in zip(files, paths)], progress)
    with closing(prepared), kb.store.replacing(clear=True) as store:  # a batch at a time in memory; all or none
        batch: list = []
        for outcome, file, rel in zip(prepared, files, paths):  # the pool ends with the last report, not later
            if isinstance(outcome, str):
                result.failed.append(outcome)
                continue
            if outcome.findings is not None:
                result.redacted.append((rel, outcome.findings))
            if outcome.report.bound_note:
                result.notes.append(f"{rel} {outcome.report.bound_note}")
            batch.append((SourceInfo(path=rel, sha256=outcome.digest, origin=str(file), size=outcome.source_size,
                                     ingested_at=ingested.get(rel) or now), outcome.report))
            result.ingested.append(rel)
            if len(batch) >= STORE_BATCH:
                _store_batch(kb, store, batch, None)
        _store_batch(kb, store, batch, None)
    from kb.search.index import rebuild_index

    rebuild_index(kb, on_phase)
    kb.store.wait_for_checkpoint()
    _commit_new_refs(kb, result)
    return result


def _ingested_dates(kb: KnowledgeBase, paths: list[str]) -> dict[str, str]:
    """When each report was ingested, for a reindex to keep: the database's dates, and for a report it
    lacks (a lost cache, a clone) the date of the commit that added the file, as ingest commits it."""
    import sqlite3

    dates: dict[str, str] = {}
    try:
        dates = {row["path"]: row["ingested_at"] for row in kb.store.rows("select path, ingested_at from reports")
                 if row["ingested_at"]}
    except (sqlite3.DatabaseError, KBError):
        pass  # damaged: the commits still say when
    missing = set(paths) - set(dates)
    if missing and (kb.root / ".git").exists():
        try:
            log = kb.repo.git.execute(["git", "-c", "core.quotePath=false", "log", "--diff-filter=A",
                                       "--format=%x00%cI", "--name-only", "--", "reports"])
        except Exception:  # noqa: BLE001  (no commit yet, git missing: the date is today's)
            log = ""
        for entry in log.split("\0")[1:]:  # newest first: the last date seen for a path is when it was added
            lines = entry.strip().splitlines()
            if lines:
                when = datetime.fromisoformat(lines[0]).astimezone(timezone.utc).isoformat(timespec="seconds")
                for path in lines[1:]:
                    if path in missing:
                        dates[path] = when
    return dates


def _ref_files(kb: KnowledgeBase) -> list[str]:
    """The stable-id files (kb/refs.py) that exist: committed with the reports they number."""
    from kb.store.refs import ATTRIBUTES_FILE, REFS_FILE

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
