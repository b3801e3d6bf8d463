"""Which linked passages a result shows a person (the CLI's text view and the TUI's detail pane).

A display choice, kept apart from the linker (kb.parse.linking) so that showing results never imports it:
`runbook search` prints results without loading the parser's linking machinery.
"""

from __future__ import annotations


def passages_to_show(passages: list[dict], message: str, fix: str, limit: int = 3) -> list[dict]:
    """The linked passages worth showing a person under a result: fixes first, none that only
    repeats the fix already shown or quotes the error itself."""
    quote = (message or "").strip()[:80]
    shown = [p for p in passages if p.get("role") in ("fix", "cause") and p.get("text", "").strip()
             and p["text"].strip() not in (fix or "") and not (quote and quote in p["text"] and p.get("role") != "fix")]
    shown.sort(key=lambda p: p.get("role") != "fix")
    return shown[:limit]
