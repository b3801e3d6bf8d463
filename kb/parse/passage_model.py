"""A passage of a report, in a module of its own: `runbook search` builds passages to link a passage
answer to its fixes (kb/parse/linking.py) and should not pay for the rest of the report model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Passage:
    """A piece of a report under one heading: the fallback that makes any shape searchable."""

    heading: str  # heading path, "Report / Troubleshooting / Fix 2"
    line: int
    text: str  # Markdown
    role: str = ""  # "fix" | "cause" | "problem" | "" (what its heading reads as)
    whole: bool = False  # a whole fix section with its sub-sections (linked as one fix, not indexed)
