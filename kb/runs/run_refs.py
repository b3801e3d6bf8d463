"""What a run record names, as today's catalogue ref.

Run records name what they ran as it was then: `c5`, `f2`, a file name, or (older records)
`reports/x.md#3`, the 3rd checklist of a report. The catalogue (last runs) and the records
(history) both read run records, so both resolve those names here; neither imports the other for
it (the catalogue reads the run state through the records, one way).
"""

from __future__ import annotations

from collections.abc import Callable

from kb.store.knowledge_base import KnowledgeBase


def ref_resolver(kb: KnowledgeBase) -> Callable[[str], str]:
    """A function from a name a run record holds to today's catalogue ref (the name itself if no other)."""
    positions = {(row["path"], row["position"] + 1): f"c{row['id']}" for row in kb.store.rows(
        "select c.id, c.position, r.path from checklists c join reports r on r.id = c.report_id")}

    def resolve(name: str) -> str:
        path, sep, number = name.rpartition("#")
        if sep and number.isdigit():
            return positions.get((path, int(number)), name)
        return name

    return resolve
