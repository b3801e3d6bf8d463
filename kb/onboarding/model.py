"""What a walkthrough is made of, as plain data, and the small helpers every part of it reads the KB with."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.onboarding.drills import Drill
from kb.store.knowledge_base import KnowledgeBase

@dataclass
class Source:
    path: str
    title: str
    line: int | None = None
    section: str = ""

    def describe(self) -> str:
        where = f"{self.title} ({self.path}" + (f", line {self.line}" if self.line else "") + ")"
        return where + (f", section {self.section}" if self.section else "")


@dataclass
class WriteUp:
    """One report's account of an error: why it happened and what fixed it there."""

    refs: list[str]  # the records that tell the same (the same cause and fix in several places)
    source: Source
    cause: str
    fix: str
    before: str
    after: str
    commits: list[dict]

    @property
    def has_fix(self) -> bool:
        return bool((self.fix or self.after).strip())


@dataclass
class ErrorEntry:
    refs: list[str]  # every record of this error in the topic (one fingerprint), first the one shown
    title: str
    message: str
    log: str  # an excerpt: the head of the log and the lines that name the topic
    symptom: str
    diagnosis: str
    section: str  # the headings it is written under, below the report's title
    write_ups: list[WriteUp]  # each distinct cause and fix recorded for it, the fullest first
    seen: int  # how many records of the whole KB carry this error's fingerprint
    names: list[str]  # the topic's names it uses, to show why it belongs
    when: str | None = None
    central: int = 0  # 2: its title or message names the topic; 1: its log, symptom or cause; 0: only its fix


@dataclass
class Step:
    text: str
    detail: str = ""
    depth: int = 1
    commands: list[dict] = field(default_factory=list)  # {"command", "expected", "comment"}
    choices: dict[str, str] = field(default_factory=dict)  # a decision tree's answers -> next step's text


@dataclass
class Procedure:
    ref: str
    title: str
    kind: str
    steps: list[Step]
    source: Source


@dataclass
class Passage:
    heading: str
    text: str
    source: Source


@dataclass
class HistoryEntry:
    when: str | None
    report: Source
    errors: list[tuple[str, str]]  # (ref, title)
    rows: list[str]  # timeline rows that name the topic


@dataclass
class Walkthrough:
    topic: str
    title: str
    names: list[str]
    reports: list[Source]
    setup: list[Passage]
    history: list[HistoryEntry]
    errors: list[ErrorEntry]
    more_errors: list[tuple[str, str]]
    procedures: list[Procedure]
    more_procedures: list[tuple[str, str]]
    lessons: list[Passage]
    drills: list[Drill]
    dry_run: Procedure | None
    error_count: int = 0


_CHUNK = 500  # values per `in (...)`: far below SQLite's limit on bound variables, whatever the KB's size


def rows_in(kb: KnowledgeBase, query: str, values, order=None) -> list[dict]:
    """`query` with `{marks}` run over `values` in chunks; the rows sorted by `order` when given."""
    values = list(values)
    rows: list[dict] = []
    for start in range(0, len(values), _CHUNK):
        chunk = values[start:start + _CHUNK]
        rows += kb.store.rows(query.format(marks=",".join("?" * len(chunk))), chunk)
    return sorted(rows, key=order) if order else rows


def source_of(report: dict | None, line: int | None = None, section: str = "") -> Source:
    if report is None:
        return Source(path="", title="", line=line, section=section)
    return Source(path=report["path"], title=report["title"], line=line, section=section)


def one_line(text: str) -> str:
    return " ".join(text.split("\n", 1)[0].split())


def squeezed(text: str) -> str:
    """Text with code fences and runs of white space gone: two write-ups of the same words compare equal."""
    return " ".join(text.replace("```", " ").split())
