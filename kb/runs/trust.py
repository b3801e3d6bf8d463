"""Trust: which runbooks this operator lets run unattended, on this machine, for their exact content.

As with `direnv allow` and `mise trust`, trust never travels with the KB: a teammate's push cannot
grant it. It lives in the operator's state directory (platformdirs' user state dir, `runbook/trust/`),
one file per KB keyed by the KB's real path, so two KBs or two clones never share it, and it names
the sha256 of the runbook file and of every file it includes. `--yes` runs a runbook only when the
content just read (kb.runs.runbooks keeps the hash of the bytes it parsed) is exactly what was
trusted; an edit to the runbook or to an include needs trusting again. A report's checklist or tree
(`c5`, `f2`) can never be trusted: its steps always ask. Front matter `trusted: true` decides nothing.

The CLI (`runbook trust`, `runbook run --yes`) and the TUI's run screen ask `verdict` the same question.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from kb.runs.runbooks import Runbook, load
from kb.store.knowledge_base import KBError, KnowledgeBase

VERSION = 1


@dataclass
class Trusted:
    runbook: str  # KB path, `runbooks/cleanup.md`
    title: str
    files: dict[str, str]  # KB path -> sha256: the runbook first, then what it includes
    commands: int
    trusted_at: str = ""


@dataclass
class Verdict:
    allowed: bool
    reason: str  # one line: why --yes is refused, or what was trusted and when
    changed: list[str] = field(default_factory=list)  # files that differ from what was trusted


def name_of(runbook_path: str) -> str:
    """What the operator types for a runbook's KB path: `runbooks/ops/cleanup.md` -> `ops/cleanup`."""
    return re.sub(r"\.(?:md|markdown)$", "", runbook_path.removeprefix("runbooks/"))


def state_file(kb: KnowledgeBase) -> Path:
    """This KB's trust file in the user's state dir (never in the KB, never committed)."""
    import platformdirs

    root = str(kb.root.resolve())
    key = hashlib.sha256(root.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    label = re.sub(r"[^A-Za-z0-9._-]+", "-", kb.root.resolve().name)[:40] or "kb"
    path = platformdirs.user_state_path("runbook", appauthor=False) / "trust" / f"{label}-{key}.json"
    try:
        path.resolve().relative_to(kb.root.resolve())
    except ValueError:
        return path
    raise KBError(f"the trust file {path} would be inside the KB {kb.root}, where git could share it: "
                  "set XDG_STATE_HOME to a directory outside the KB")


def _load(path: Path, root: Path) -> dict[str, Trusted]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise KBError(f"{path}: the trust file cannot be read ({exc}); delete it and trust again") from None
    if not isinstance(data, dict) or data.get("kb") != str(root) or not isinstance(data.get("runbooks"), dict):
        return {}  # another KB's file under a colliding key, or not ours: trust nothing
    out = {}
    for key, entry in data["runbooks"].items():
        try:
            out[key] = Trusted(runbook=key, title=str(entry["title"]), files=dict(entry["files"]),
                               commands=int(entry["commands"]), trusted_at=str(entry.get("trusted_at", "")))
        except (KeyError, TypeError, ValueError):
            continue  # a damaged entry trusts nothing
    return out


@contextmanager
def _locked(path: Path):
    """Trust and revoke are read-modify-write: one process at a time."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.with_suffix(".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _save(path: Path, root: Path, entries: dict[str, Trusted]) -> None:
    payload = {"version": VERSION, "kb": str(root),
               "runbooks": {key: {k: v for k, v in asdict(entry).items() if k != "runbook"}
                            for key, entry in sorted(entries.items())}}
    scratch = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False, indent=1)
    os.replace(scratch, path)


def trusted(kb: KnowledgeBase) -> dict[str, Trusted]:
    """What this operator trusted in this KB, by runbook KB path."""
    return _load(state_file(kb), kb.root.resolve())


def refusal(runbook: Runbook) -> str | None:
    """Why this runbook can never be trusted (it comes from a report), or None."""
    if runbook.hand_written:
        return None
    return (f"{runbook.name} comes from a report ({runbook.source}): nothing from reports/ can be trusted, "
            "so its steps always ask")


def trust(kb: KnowledgeBase, runbook: Runbook) -> Trusted:
    """Record the exact content of runbook (its file and includes, as just read) as trusted here."""
    why_not = refusal(runbook)
    if why_not:
        raise KBError(why_not)
    path = state_file(kb)
    entry = Trusted(runbook=runbook.files[0][0], title=runbook.title, files=dict(runbook.files),
                    commands=len(runbook.commands()),
                    trusted_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    with _locked(path):
        entries = _load(path, kb.root.resolve())
        entries[entry.runbook] = entry
        _save(path, kb.root.resolve(), entries)
    return entry


def revoke(kb: KnowledgeBase, name: str) -> Trusted | None:
    """Forget the trust in NAME (`cleanup`, `cleanup.md`, `runbooks/cleanup.md`); the entry, or None."""
    path = state_file(kb)
    with _locked(path):
        entries = _load(path, kb.root.resolve())
        key = next((key for key in entries if name in (key, name_of(key), key.removeprefix("runbooks/"))), None)
        if key is None:
            return None
        entry = entries.pop(key)
        _save(path, kb.root.resolve(), entries)
    return entry


def verdict(kb: KnowledgeBase, runbook: Runbook) -> Verdict:
    """May this runbook, as it was just read, run unattended? Only if this operator trusted this content."""
    why_not = refusal(runbook)
    if why_not:
        return Verdict(False, why_not)
    name = name_of(runbook.files[0][0])
    entry = trusted(kb).get(runbook.files[0][0])
    if entry is None:
        said = (" (its front matter says `trusted: true`: that is its author's suggestion, not your decision)"
                if runbook.author_trusted else "")
        return Verdict(False, f"{name} is not trusted on this machine{said}: read what it runs and trust it "
                              f"with `runbook trust {name}`")
    now = dict(runbook.files)
    changed = [file for file, digest in now.items() if entry.files.get(file) != digest]
    changed += [file for file in entry.files if file not in now]
    if changed:
        return Verdict(False, f"{name} changed since you trusted it on {entry.trusted_at[:10]} "
                              f"({', '.join(changed)}): read it again and trust it with `runbook trust {name}`",
                       changed)
    return Verdict(True, f"trusted on this machine on {entry.trusted_at[:10]}")


def may_run_unasked(kb: KnowledgeBase, runbook: Runbook) -> bool:
    """The one question every UI asks before it runs a command without a confirmation."""
    return verdict(kb, runbook).allowed


def status(kb: KnowledgeBase) -> list[tuple[Trusted, str]]:
    """Every trusted runbook of this KB and where it stands now: `trusted`, `changed: <files>`, `missing`."""
    out = []
    for key, entry in sorted(trusted(kb).items()):
        try:
            current = load(kb, key)
        except KBError as exc:
            out.append((entry, f"cannot be read now: {exc}" if (kb.root / key).exists() else "missing"))
            continue
        found = verdict(kb, current)
        out.append((entry, "trusted" if found.allowed else f"changed: {', '.join(found.changed)}"))
    return out
