"""Before any write: can this KB be written, and is its git repository in a state to take a commit?

Teams share a KB through git, so a writer can find the repository in the middle of something: a
`git pull` that stopped at a conflict, a rebase, a cherry-pick, unmerged paths left by `git stash
pop`, or a detached HEAD (a checked-out tag or commit). Committing then would make a merge commit
with conflict markers in it, or commits no branch holds. Every writer (ingest, `ingest --repo`,
reindex, a run, resume, onboarding's record) calls `require_writable` first, before it copies,
stores or stages anything; each state is refused in one line that says what to do.

A KB on a read-only filesystem (a mounted share, another user's directory) is refused the same
way; reading it needs no write (kb.store.database opens it read-only). A file holding git's conflict
markers is refused by ingest and reindex alike (kb/store/conflicts.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kb.store.knowledge_base import KnowledgeBase

@dataclass(frozen=True)
class GitState:
    """Why the repository cannot take a commit now, and what to type about it."""

    what: str  # "a merge is in progress"
    advice: str  # "resolve the conflicts, `git add` them and `git merge --continue`, or `git merge --abort`"


def require_writable(kb: "KnowledgeBase", action: str) -> None:
    """Raise KBError (one line) if `action` (ingest, reindex, run, ...) must not write to the KB now."""
    from kb.store.knowledge_base import KBError

    problem = write_problem(kb, action)
    if problem:
        raise KBError(problem)


def write_problem(kb: "KnowledgeBase", action: str) -> str | None:
    """Why `action` must not write to the KB now, in one line that says what to do; None when it may."""
    reason = kb.read_only()
    if reason:
        return read_only_message(kb, action, reason)
    state = git_state(kb)
    if state is not None:
        return f"{action} refused: {state.what} in {kb.root}; {state.advice}"
    return None


def read_only_message(kb: "KnowledgeBase", action: str, reason: str) -> str:
    return f"{kb.root} is read-only ({reason}): {action} needs to write to it; search, list, show and history still work"


def git_state(kb: "KnowledgeBase") -> GitState | None:
    """The operation git is in the middle of, unmerged paths, or a detached HEAD; None when it can commit."""
    git_dir = _git_dir(kb.root)
    if git_dir is None:
        return None  # not a repository: the caller says so in its own words
    if (git_dir / "rebase-merge").is_dir() or (git_dir / "rebase-apply" / "rebasing").exists():
        return GitState("a rebase is in progress", "finish it (resolve, `git add`, `git rebase --continue`) "
                                                   "or undo it (`git rebase --abort`)")
    if (git_dir / "rebase-apply").is_dir():
        return GitState("`git am` is in progress", "finish it (`git am --continue`) or undo it (`git am --abort`)")
    if (git_dir / "MERGE_HEAD").exists():
        return GitState("a merge is in progress", "finish it (resolve the conflicts, `git add` them, "
                                                  "`git merge --continue`) or undo it (`git merge --abort`)")
    if (git_dir / "CHERRY_PICK_HEAD").exists():
        return GitState("a cherry-pick is in progress", "finish it (resolve, `git add`, `git cherry-pick --continue`) "
                                                        "or undo it (`git cherry-pick --abort`)")
    if (git_dir / "REVERT_HEAD").exists():
        return GitState("a revert is in progress", "finish it (resolve, `git add`, `git revert --continue`) "
                                                   "or undo it (`git revert --abort`)")
    if (git_dir / "BISECT_LOG").exists():
        return GitState("a bisect is in progress", "end it with `git bisect reset`")
    unmerged = _unmerged_paths(kb.root)
    if unmerged:
        more = f" and {len(unmerged) - 1} more" if len(unmerged) > 1 else ""
        return GitState(f"{unmerged[0]}{more} {'is' if len(unmerged) == 1 else 'are'} unmerged",
                        "resolve the conflict markers and `git add` the files "
                        "(or take back the change with `git checkout -m -- PATH`)")
    head = _read(git_dir / "HEAD")
    if head is not None and not head.startswith("ref:"):
        branches = _branches(kb.root)
        branch = branches[0] if len(branches) == 1 else "BRANCH"
        return GitState(f"HEAD is detached (at {head.strip()[:7]})",
                        f"switch to a branch (`git switch {branch}`, or `git switch -c NAME` to keep commits made here)")
    return None


def _git_dir(root: Path) -> Path | None:
    dot = root / ".git"
    if dot.is_dir():
        return dot
    text = _read(dot)  # a worktree or submodule: "gitdir: <path>"
    if text and text.startswith("gitdir:"):
        target = Path(text.split(":", 1)[1].strip())
        return target if target.is_absolute() else (root / target).resolve()
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _branches(root: Path) -> list[str]:
    import subprocess

    try:
        out = subprocess.run(["git", "for-each-ref", "--format=%(refname:short)", "refs/heads"], cwd=root,
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return out.stdout.split()


def _unmerged_paths(root: Path) -> list[str]:
    import subprocess  # only when something is about to be written: `runbook search` never imports it

    try:
        out = subprocess.run(["git", "ls-files", "--unmerged", "-z"], cwd=root, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return []
    paths: list[str] = []
    for entry in out.stdout.decode("utf-8", "replace").split("\0"):
        path = entry.split("\t", 1)[1] if "\t" in entry else ""
        if path and path not in paths:
            paths.append(path)
    return paths
