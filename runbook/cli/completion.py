"""Shell completion of ids and runbook names, read cheaply: `refs.tsv` and the names in `runbooks/`.

Click's own mechanism drives it (`_RUNBOOK_COMPLETE=bash_source runbook` prints the script; bash, zsh
and fish). Completing must never be slow or fail loudly in the operator's shell, so nothing here opens
SQLite or git, and any problem (no KB, a bad config file) completes nothing.
"""

from __future__ import annotations

from pathlib import Path

from click.shell_completion import CompletionItem


def _kb_root(ctx) -> Path | None:
    try:
        from runbook.paths import resolve_kb

        path, _ = resolve_kb(ctx.find_root().params.get("kb_option"))
    except Exception:  # noqa: BLE001  (a completion never prints a traceback into the shell)
        return None
    return path if (path / ".git").exists() else None


def _refs(root: Path, kinds: str) -> list[CompletionItem]:
    """Ids from refs.tsv (`kind number path position` per line), with the report they come from."""
    try:
        lines = (root / "refs.tsv").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    items = []
    for line in lines:
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0] in kinds and parts[1].isdigit():
            items.append(CompletionItem(f"{parts[0]}{parts[1]}", help=parts[2]))
    return items


def _runbook_files(root: Path) -> list[CompletionItem]:
    folder = root / "runbooks"
    return [CompletionItem(path.stem, help=f"runbooks/{path.name}") for path in sorted(folder.glob("*.md"))]


def _matching(items: list[CompletionItem], incomplete: str) -> list[CompletionItem]:
    return [item for item in items if item.value.startswith(incomplete)]


def complete_record(ctx, param, incomplete: str) -> list[CompletionItem]:
    """`show ID`: every id (r, e, c, f)."""
    root = _kb_root(ctx)
    return _matching(_refs(root, "recf"), incomplete) if root else []


def complete_runbook(ctx, param, incomplete: str) -> list[CompletionItem]:
    """`run`, `trust`, `history` NAME: the files in runbooks/, then checklist and flowchart ids."""
    root = _kb_root(ctx)
    return _matching(_runbook_files(root) + _refs(root, "cf"), incomplete) if root else []


def complete_runbook_file(ctx, param, incomplete: str) -> list[CompletionItem]:
    """`edit NAME`: the files in runbooks/ only."""
    root = _kb_root(ctx)
    return _matching(_runbook_files(root), incomplete) if root else []
