"""Commits from a project's git history: the real fixes behind the KB's errors.

`runbook ingest --repo PATH` reads the history with one `git log` (through
GitPython's git command wrapper: git walks the history far faster than
per-object Python parsing), stores every commit, marks fix commits (conventional
`fix:`, messages that name an error, SHAs or messages quoted in reports), links
fix commits to the errors they fix by error fingerprint (stable across
rebuilds), and adds fix commits to the search index. A second ingest reads only
the commits after the last one seen.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kb.parse import labels, textsim
from kb.store.knowledge_base import KBError, KnowledgeBase
from kb.parse.words import plural

_RECORD = "\x1e"
_FIELD = "\x1f"
_FORMAT = _RECORD + _FIELD.join(["%H", "%an", "%ae", "%aI", "%s", "%b"]) + _FIELD
_FIX_RE = re.compile(r"^(?:fix|hotfix|bugfix|revert)(?:\([^)]*\))?!?:|\b(?:fix(?:es|ed)?|resolve[sd]?|closes?)\b",
                     re.IGNORECASE)
_TABLES = {
    "repos": ({"path": str, "head": str, "commits": int, "shallow": int, "ingested_at": str}, "path"),
    "repo_commits": ({"sha": str, "repo": str, "author": str, "email": str, "date": str, "subject": str,
                      "body": str, "files": str, "is_fix": int}, "sha"),
    "commit_links": ({"fingerprint": str, "sha": str, "how": str}, ("fingerprint", "sha")),
}


@dataclass
class RepoResult:
    repo: str
    new: int = 0
    fixes: int = 0
    links: int = 0
    unchanged: bool = False
    shallow: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.unchanged:
            return f"{self.repo}: unchanged since the last ingest"
        return (f"{self.repo}: {plural(self.new, 'new commit')}, {plural(self.fixes, 'fix commit')}, "
                f"{self.links} linked to known errors "
                f"in {self.seconds:.1f} s")


def ensure_tables(kb: KnowledgeBase) -> None:
    db = kb.store.db
    for name, (columns, pk) in _TABLES.items():
        if not db[name].exists():
            db[name].create(columns, pk=pk)
    db["repo_commits"].create_index(["repo"], if_not_exists=True)
    db["commit_links"].create_index(["sha"], if_not_exists=True)


def _open(path: Path):
    import git

    if not path.exists():
        raise KBError(f"{path}: no such directory")
    try:
        repo = git.Repo(path, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise KBError(f"{path}: not a git repository") from None
    if not repo.head.is_valid():
        raise KBError(f"{path}: the repository has no commits yet")
    return repo


def read_log(repo, revision: str, since: str | None) -> Iterator[dict]:
    """Commits of `git log revision` (newest first), with the files each changed."""
    args = [revision, f"--format={_FORMAT}", "--name-only", "--no-renames"]
    if since:
        args.append(f"--since={since}")
    process = repo.git.log(*args, as_process=True)
    buffer = ""
    for chunk in iter(lambda: process.stdout.read(1 << 16), b""):
        buffer += chunk.decode("utf-8", "replace")
        *records, buffer = buffer.split(_RECORD)
        for record in records:
            if record.strip():
                yield _parse(record)
    if buffer.strip():
        yield _parse(buffer)
    process.wait()


def _parse(record: str) -> dict:
    parts = record.split(_FIELD)
    sha, author, email, date, subject, body = (parts + [""] * 6)[:6]
    files = [line for line in (parts[6] if len(parts) > 6 else "").splitlines() if line.strip()]
    return {"sha": sha.strip(), "author": author, "email": email, "date": date, "subject": subject.strip(),
            "body": body.strip(), "files": files}


_RELATIVE_SINCE_RE = re.compile(r"\d+[ .](?:second|minute|hour|day|week|month|year)s?(?:[ .]ago)?", re.IGNORECASE)


def check_since(since: str) -> str:
    """A --since date git reads as meant: YYYY-MM-DD (with a time, if wanted), `2 weeks ago`, `yesterday`.

    git itself reads anything (`notadate` becomes "now" and quietly finds no commits), so the date is
    checked here and a bad one is a clear error instead of an empty ingest."""
    text = since.strip()
    if text.lower() == "yesterday" or _RELATIVE_SINCE_RE.fullmatch(text):
        return text
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise KBError(f"--since {since!r} is not a date: give YYYY-MM-DD, or e.g. '2 weeks ago'") from None
    return text


def ingest_repo(kb: KnowledgeBase, path: Path | str, since: str | None = None,
                progress: Callable[[int], None] | None = None) -> RepoResult:
    """Read a repository's history into the KB (under the KB's write lock); commit messages are redacted."""
    from kb.store.lock import write_lock
    from kb.store.write_guard import require_writable

    if since is not None:
        since = check_since(since)
    require_writable(kb, "ingest --repo")
    with write_lock(kb, "ingest --repo"):
        return _ingest_repo(kb, path, since, progress)


def _ingest_repo(kb: KnowledgeBase, path: Path | str, since: str | None,
                 progress: Callable[[int], None] | None) -> RepoResult:
    start = time.perf_counter()
    root = Path(path).expanduser().resolve()
    repo = _open(root)
    ensure_tables(kb)
    db = kb.store.db
    result = RepoResult(repo=str(root))
    result.shallow = (Path(repo.git_dir) / "shallow").exists()
    if result.shallow:
        result.notes.append(f"{root} is a shallow clone: only the commits it holds are read")
    head = repo.head.commit.hexsha
    known = list(db.query("select head from repos where path = ?", [str(root)]))
    previous = known[0]["head"] if known else None
    if previous == head:
        result.unchanged = True
        result.seconds = time.perf_counter() - start
        return result
    revision = f"{previous}..{head}" if previous and _is_ancestor(repo, previous, head) else head
    quoted_shas, quoted_messages = _quoted(kb)
    rows = []
    from kb.parse.redact import might_hold_secret, redact

    for commit in read_log(repo, revision, since):
        if might_hold_secret(commit["subject"]) or might_hold_secret(commit["body"]):
            commit["subject"], commit["body"] = redact(commit["subject"]), redact(commit["body"])
        is_fix = bool(_FIX_RE.search(commit["subject"]) or labels.has_error_token(commit["subject"])
                      or commit["subject"] in quoted_messages
                      or any(commit["sha"].startswith(sha) for sha in quoted_shas.get(commit["sha"][:7], ())))
        rows.append({"sha": commit["sha"], "repo": str(root), "author": commit["author"], "email": commit["email"],
                     "date": commit["date"], "subject": commit["subject"], "body": commit["body"][:4000],
                     "files": json.dumps(commit["files"][:200]), "is_fix": int(is_fix)})
        if progress and len(rows) % 1000 == 0:
            progress(1000)
    fixes = [row for row in rows if row["is_fix"]]
    links = _links(kb, fixes)
    with db.atomic():
        db["repo_commits"].insert_all(rows, batch_size=1000, replace=True)
        db["commit_links"].insert_all(links, batch_size=1000, replace=True)
    from kb.search.index import add_commits, index_is_current, rebuild_index

    if index_is_current(kb):
        add_commits(kb, fixes)
    else:
        rebuild_index(kb)  # a stale or older index is rebuilt whole, commits included
    with db.atomic():  # the head is remembered last: a failure above means the next ingest reads them again
        total = db.execute("select count(*) from repo_commits where repo = ?", [str(root)]).fetchone()[0]
        db["repos"].upsert({"path": str(root), "head": head, "commits": total, "shallow": int(result.shallow),
                            "ingested_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}, pk="path")
    result.new, result.fixes, result.links = len(rows), len(fixes), len(links)
    result.seconds = time.perf_counter() - start
    return result


def _is_ancestor(repo, older: str, newer: str) -> bool:
    import git

    try:
        repo.git.merge_base("--is-ancestor", older, newer)
        return True
    except git.GitCommandError:
        return False  # history rewritten: read it all again


def _quoted(kb: KnowledgeBase) -> tuple[dict[str, set[str]], set[str]]:
    shas: dict[str, set[str]] = defaultdict(set)
    messages: set[str] = set()
    for row in kb.store.rows("select sha, message from commits"):
        if row["sha"]:
            shas[row["sha"][:7]].add(row["sha"])
        if row["message"]:
            messages.add(row["message"])
    return shas, messages


def _links(kb: KnowledgeBase, fixes: list[dict]) -> list[dict]:
    """Link fix commits to errors: quoted in the error's report, or naming the error's words."""
    links: dict[tuple[str, str], str] = {}
    # 1. SHAs and messages quoted beside an error in a report
    for row in kb.store.rows("""select e.fingerprint, c.sha, c.message from errors e
                                join error_commits ec on ec.error_id = e.id join commits c on c.id = ec.commit_id"""):
        for fix in fixes:
            if (row["sha"] and fix["sha"].startswith(row["sha"])) or (row["message"] and row["message"] == fix["subject"]):
                links[(row["fingerprint"], fix["sha"])] = "quoted in a report"
    # 2. a fix commit whose message carries most of an error's distinctive words
    errors = kb.store.rows("select fingerprint, message, title from errors")
    vocabulary: dict[str, set[int]] = defaultdict(set)
    keys = []
    for index, error in enumerate(errors):
        words = {w for w in textsim.tokens(f"{error['message']} {error['title']}") if len(w) > 3}
        keys.append(words)
        for word in words:
            vocabulary[word].add(index)
    for fix in fixes:
        text = textsim.tokens(f"{fix['subject']} {fix['body']}")
        candidates: dict[int, int] = defaultdict(int)
        for word in text:
            for index in vocabulary.get(word, ()):
                candidates[index] += 1
        for index, shared in candidates.items():
            if shared >= 3 and shared / max(len(keys[index]), 1) >= 0.5:
                links.setdefault((errors[index]["fingerprint"], fix["sha"]), "names the error")
    return [{"fingerprint": fp, "sha": sha, "how": how} for (fp, sha), how in links.items()]


def diff(sha: str, repo_path: str) -> str:
    import git

    try:
        return git.Repo(repo_path).git.show(sha, "--stat", "--patch", "--format=fuller")
    except (git.GitCommandError, git.NoSuchPathError, git.InvalidGitRepositoryError) as exc:
        raise KBError(f"cannot show {sha[:12]} from {repo_path}: {str(exc).splitlines()[-1]}") from None
