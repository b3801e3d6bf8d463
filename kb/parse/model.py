"""What a parsed report holds: plain dataclasses, easy to store and to test."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import ClassVar

from kb.parse.passage_model import Passage  # noqa: F401  (its own module: search links passages without the rest)


@dataclass
class CommitRef:
    sha: str | None
    message: str = ""


@dataclass
class ErrorEntry:
    title: str
    message: str
    log: str = ""
    symptom: str = ""
    impact: str = ""
    root_cause: str = ""
    diagnosis: str = ""
    fix: str = ""
    before: str = ""
    after: str = ""
    section: str = ""
    line: int = 0
    sources: list[dict] = field(default_factory=list)  # {"kind", "section", "line"}
    commits: list[CommitRef] = field(default_factory=list)
    passages: list[int] = field(default_factory=list)  # indexes into ParsedReport.passages, best fix first
    fix_inferred: bool = False  # the fix is only the prose after the log (no fix label): a linked fix passage wins
    printed: bool = False  # the message is set as code where the report quotes it (`port is already allocated`)


@dataclass
class CommandEntry:
    command: str
    comment: str = ""
    expected: str = ""
    lang: str = ""
    section: str = ""
    line: int = 0
    checklist: int | None = None  # index into ParsedReport.checklists
    item: int | None = None  # index into that checklist's items


@dataclass
class ChecklistItem:
    text: str
    checked: bool | None = None
    depth: int = 1
    line: int = 0
    detail: str = ""


@dataclass
class Checklist:
    title: str
    kind: str  # "tasks" | "procedure" | "list"
    phase: str = ""
    section: str = ""
    line: int = 0
    items: list[ChecklistItem] = field(default_factory=list)


@dataclass
class FlowchartEntry:
    section: str
    line: int
    direction: str
    nodes: list[dict]
    edges: list[dict]
    kind: str = "diagram"  # "decision tree" (walkable) or "diagram" (architecture and the like: read, not run)


@dataclass
class Lesson:
    title: str
    text: str
    line: int = 0


@dataclass
class ParsedReport:
    title: str
    lang: str
    meta: dict[str, str] = field(default_factory=dict)
    outline: list[dict] = field(default_factory=list)
    errors: list[ErrorEntry] = field(default_factory=list)
    commits: list[CommitRef] = field(default_factory=list)
    checklists: list[Checklist] = field(default_factory=list)
    commands: list[CommandEntry] = field(default_factory=list)
    flowcharts: list[FlowchartEntry] = field(default_factory=list)
    lessons: list[Lesson] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    # Set (on the instance) for a giant report cut at the parse bound (kb/parse/bound.py): what ingest says about
    # it. Not a field: a report within the bound is exactly what it always was.
    bound_note: ClassVar[str] = ""

    def to_dict(self) -> dict:
        return asdict(self)
