"""A KB is a directory that is a git repository: Markdown sources plus a git-ignored cache.

    reports/    ingested incident reports (the truth)
    runbooks/   hand-written runbooks
    runs/       records of runbook runs
    .runbook/   derived data: kb.sqlite and the search index (git-ignored, rebuildable)

Teams share a KB by pushing and pulling the repository.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # both are imported where used: opening a KB must stay cheap (`runbook search`)
    import git

    from kb.store.database import Store

DERIVED_DIR = ".runbook"
SOURCE_DIRS = ("reports", "runbooks", "runs")
FALLBACK_AUTHOR = ("runbook", "runbook@localhost")


class KBError(RuntimeError):
    """A KB problem an operator can act on; the message is one line."""


class DamagedDatabase(KBError):
    """The derived SQLite file cannot be read; `runbook reindex` replaces it."""


class OutdatedDatabase(KBError):
    """The derived SQLite file was written by an older runbook and nobody said how to derive it again."""


class KnowledgeBase:
    # How a database an older runbook wrote is derived again from the Markdown sources: the opener's
    # choice, since deriving is ingest's work and the store sits below it (kb/open.py sets
    # kb.ingest.rebuild). Without one, such a database is an OutdatedDatabase error naming reindex.
    derive_again: "Callable[[KnowledgeBase], object] | None" = None
    # Set while the database is being derived from the reports (kb.ingest.rebuild), so that the store it
    # opens is not derived a second time from inside.
    deriving: bool = False

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().resolve()
        self._store: "Store | None" = None
        self._repo: "git.Repo | None" = None
        # Told once when another process holds the KB's write lock and this one waits (kb.store.lock).
        self.on_busy: Callable[[str], None] | None = None
        self._read_only: str | None | bool = False  # False: not looked at yet

    def read_only(self) -> str | None:
        """Why the KB cannot be written (a read-only mount, another user's directory), or None. Such a KB
        is opened for reading only: SQLite read-only, no index rebuild, no run state written."""
        if self._read_only is False:
            self._read_only = read_only_reason(self) if self.exists() else None
        return self._read_only  # type: ignore[return-value]

    # -- layout --------------------------------------------------------------------------------------
    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def runbooks_dir(self) -> Path:
        return self.root / "runbooks"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def derived_dir(self) -> Path:
        return self.root / DERIVED_DIR

    @property
    def db_path(self) -> Path:
        return self.derived_dir / "kb.sqlite"

    @property
    def index_dir(self) -> Path:
        return self.derived_dir / "index"

    def exists(self) -> bool:
        return (self.root / ".git").exists() and self.reports_dir.is_dir()

    @classmethod
    def init(cls, root: Path | str) -> "KnowledgeBase":
        """Create (or complete) a KB at root: a git repo with the source folders and a first commit."""
        import git

        kb = cls(root)
        if kb.root.exists() and not kb.root.is_dir():
            raise KBError(f"{kb.root}: exists and is not a directory")
        kb.root.mkdir(parents=True, exist_ok=True)
        repo = git.Repo(kb.root) if (kb.root / ".git").exists() else git.Repo.init(kb.root)
        for name in SOURCE_DIRS:
            folder = kb.root / name
            folder.mkdir(exist_ok=True)
            keep = folder / ".gitkeep"
            if not any(folder.iterdir()):
                keep.touch()
        ignore = kb.root / ".gitignore"
        lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
        if f"{DERIVED_DIR}/" not in lines:
            ignore.write_text("\n".join([*lines, f"{DERIVED_DIR}/"]) + "\n", encoding="utf-8")
        kb.derived_dir.mkdir(exist_ok=True)
        kb._repo = repo
        kb.commit(["."], "kb: initialise runbook knowledge base")
        return kb

    def require(self) -> "KnowledgeBase":
        if not self.exists():
            raise KBError(f"{self.root}: not a runbook KB (create one with: runbook init {self.root})")
        if not self.read_only():
            self.derived_dir.mkdir(exist_ok=True)
        return self

    # -- parts ---------------------------------------------------------------------------------------
    @property
    def store(self) -> "Store":
        if self._store is None:
            import sqlite3

            from kb.store.database import Store

            read_only = self.read_only()
            if read_only and not self.db_path.exists():
                raise KBError(f"{self.root} is read-only ({read_only}) and has no database yet: run "
                              f"`runbook --kb {self.root} reindex` where it can be written")
            if not read_only:
                self.derived_dir.mkdir(parents=True, exist_ok=True)
            try:
                from kb.store.refs import RefMap

                self._store = Store(self.db_path, refs=RefMap(self.root), read_only=bool(read_only))
            except sqlite3.DatabaseError as exc:
                if "full" in str(exc):  # not damaged: it could not grow (its schema is made on first use)
                    raise KBError(f"no space left on the device of {self.root}: {self.db_path.name} could not be "
                                  "written (free some space, then try again)") from None
                raise DamagedDatabase(f"{self.db_path} is damaged ({exc}); rebuild it from the reports with: "
                                      f"runbook --kb {self.root} reindex") from None
            if self._store.outdated and read_only:
                raise KBError(f"{self.db_path} was written by an older runbook and {self.root} is read-only "
                              f"({read_only}): run `runbook --kb {self.root} reindex` where it can be written")
            if self._store.outdated:  # written by an older runbook: derived data, so derive it again
                if self.derive_again is None:  # left marked outdated (opening it completed its schema), so
                    self._store.conn.execute("PRAGMA user_version=1")  # whoever opens it next derives it
                    self.close()
                    raise OutdatedDatabase(f"{self.db_path} was written by an older runbook; rebuild it from the "
                                           f"reports with: runbook --kb {self.root} reindex")
                self.discard_database()
                self._store = Store(self.db_path)
                self.derive_again(self)
            elif (self.derive_again is not None and not read_only and not self.deriving and self._store.empty()
                  and self.holds_reports()):
                self._derive_from_reports()
        return self._store

    def holds_reports(self) -> bool:
        """Whether git holds reports in reports/ (a KB's first commit has only its .gitkeep). Committed ones
        only: the copies an interrupted ingest left are undone by the next ingest (kb/store/copy_journal.py),
        not taken for a clone's reports."""
        import subprocess

        try:
            listed = subprocess.run(["git", "-C", str(self.root), "ls-files", "-z", "--", "reports"],
                                    capture_output=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            return False
        return any(name and not name.rsplit(b"/", 1)[-1].startswith(b".") for name in listed.split(b"\0"))

    def _derive_from_reports(self) -> None:
        """reports/ holds reports and the database none: a clone (`.runbook/` is git-ignored), a cache
        deleted, a derivation cut short. Derived from them now, as a reindex would, instead of answering
        every search from an empty database. When it cannot be (a merge under way), the one-line error says
        why; the database stays empty, so the next command tries again.
        (Only for an opener that derives, kb/open.py; the library alone opens what is there.)"""
        from kb.store.write_guard import require_writable

        try:
            require_writable(self, "reindex")  # refused before the note that it is being built
            if self.on_busy:
                self.on_busy(f"note: {self.root} has reports but no database yet (a fresh clone?): building it "
                             "from them, once, as `runbook reindex` does")
            self.derive_again(self)
        except KBError as exc:
            self.close()
            raise KBError(f"{self.root} has reports but its database has none (a fresh clone?), and it could not "
                          f"be built from them: {exc}") from None

    def discard_database(self) -> None:
        """Remove a damaged derived database (it is rebuilt from the Markdown sources)."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)

    @property
    def repo(self) -> "git.Repo":
        import git  # deferred: searching never needs GitPython, and it costs start-up time

        if self._repo is None:
            try:
                self._repo = git.Repo(self.root)
            except (git.InvalidGitRepositoryError, git.NoSuchPathError):
                raise KBError(f"{self.root}: not a git repository") from None
        return self._repo

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    # -- git -----------------------------------------------------------------------------------------
    def stage(self, paths: list[str]) -> None:
        """`git add --all` the paths (cheap when already staged)."""
        import git

        from kb.store.lock import git_operation

        try:
            with git_operation(self):
                if len(paths) > 100:  # thousands of paths do not fit on a command line
                    spec = self.derived_dir / "pathspec"
                    try:
                        spec.write_text("\0".join(paths), encoding="utf-8")
                        self.repo.git.add("--all", f"--pathspec-from-file={spec}", "--pathspec-file-nul")
                    finally:
                        spec.unlink(missing_ok=True)
                else:
                    self.repo.git.add("--all", "--", *paths)
        except git.GitCommandError as exc:
            detail = (exc.stderr or exc.stdout or str(exc)).strip().splitlines()
            raise KBError(f"git add in {self.root} failed: {detail[-1] if detail else exc}") from None

    def commit(self, paths: list[str], message: str, author: tuple[str, str] | None = None) -> str | None:
        """Stage paths and commit; returns the new SHA, or None when nothing changed.

        Without a git identity the commit is made as `runbook <runbook@localhost>`
        rather than failing, unless an explicit author is given. The message is
        redacted like everything else that reaches git.
        """
        import git

        from kb.store.lock import git_operation
        from kb.store.write_guard import require_writable
        from kb.parse.redact import redact

        require_writable(self, "commit")  # never a merge commit with conflict markers, nor one no branch holds
        repo = self.repo
        env = _identity_env(repo, author)
        try:
            with git_operation(self):
                self.stage(paths)
                if not repo.git.diff("--cached", "--name-only"):
                    return None
                repo.git.commit("-m", redact(message), "--quiet", "--no-verify", env=env)
                return repo.head.commit.hexsha
        except git.GitCommandError as exc:
            detail = (exc.stderr or exc.stdout or str(exc)).strip().splitlines()
            raise KBError(f"git commit in {self.root} failed: {detail[-1] if detail else exc}") from None


def read_only_reason(kb: KnowledgeBase) -> str | None:
    """Why the KB cannot be written ("read-only file system", "permission denied"), or None."""
    for path in (kb.derived_dir, kb.root):
        if not path.exists():
            continue
        if os.access(path, os.W_OK):
            break
        return _why_not_writable(path)
    database = kb.db_path
    if database.exists() and not os.access(database, os.W_OK):
        return _why_not_writable(database)
    return None


def _why_not_writable(path: Path) -> str:
    try:
        flags = os.statvfs(path).f_flag
        if flags & getattr(os, "ST_RDONLY", 1):
            return "read-only file system"
    except OSError:
        pass
    return "permission denied"


def _identity_env(repo: "git.Repo", author: tuple[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    if author:
        env.update(GIT_AUTHOR_NAME=author[0], GIT_AUTHOR_EMAIL=author[1],
                   GIT_COMMITTER_NAME=author[0], GIT_COMMITTER_EMAIL=author[1])
        return env
    reader = repo.config_reader()
    name = reader.get_value("user", "name", default="") or env.get("GIT_AUTHOR_NAME", "")
    email = reader.get_value("user", "email", default="") or env.get("GIT_AUTHOR_EMAIL", "")
    if not name or not email:
        env.setdefault("GIT_AUTHOR_NAME", FALLBACK_AUTHOR[0])
        env.setdefault("GIT_AUTHOR_EMAIL", FALLBACK_AUTHOR[1])
        env.setdefault("GIT_COMMITTER_NAME", FALLBACK_AUTHOR[0])
        env.setdefault("GIT_COMMITTER_EMAIL", FALLBACK_AUTHOR[1])
    return env
