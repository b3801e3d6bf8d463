"""The parse bound: how much of one report is read as sections, so a giant file cannot stall ingest.

Reading a report as sections costs per line (markdown-it) and per section (every extractor looks at every
section): a generated handbook of 50,000 headings took 12-77 s to ingest. Real post-mortems are far smaller (the
largest of the 40 corpus reports, the seeds and our samples: 20 KB, 700 lines, 70 headings), so a report is read
as sections up to bounds well above that (500 headings, 10,000 lines, 1,000,000 characters: a first part that
parses in about a second), and beyond them the rest is kept as it is written (the KB's copy, in git, holds every
byte) and made searchable as plain text passages, up to TAIL_SEARCH_CHARS of it. A report within every bound is
read exactly as without them: the bound only ever cuts a giant file. `reindex` parses with the same bound.

The cut is at a heading when the heading count is what overflows (the first MAX_SECTIONS headings keep their
whole sections), else at a line start. Headings are found by one regex scan of the raw text, outside fenced
code, so finding the cut costs next to nothing beside parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SECTIONS = 500  # headings read as sections (the largest real report we have: 70)
MAX_LINES = 10_000  # lines read as sections (the largest real report we have: 700)
MAX_CHARS = 1_000_000  # characters read as sections (the largest real report we have: 20,000)
TAIL_SEARCH_CHARS = 100_000  # of the rest, this much is cut into plain passages and indexed
TAIL_PASSAGE_CHARS = 1_200  # a plain passage is about a screenful, as a section's passage is

# A line that opens or closes a fence, or an ATX heading (up to three spaces of indent, as CommonMark says).
_MARK_RE = re.compile(r"^ {0,3}(?:(?P<fence>`{3,}|~{3,})|#{1,6}(?:[ \t]|$))", re.MULTILINE)
_HEADING_RE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")


@dataclass
class Cut:
    """Where a report's text stops being read as sections, and what is said about it."""

    at: int  # character offset of the rest in the text
    line: int  # 1-based line number where the rest starts
    headings: int  # headings in the whole text (outside fences)
    lines: int
    chars: int
    by: str  # "headings" | "lines" | "characters": which bound was passed

    def describe(self) -> str:
        """What ingest and reindex say after the file's name (one line)."""
        if self.by == "headings":
            size = f"has {self.headings:,} headings; the first {MAX_SECTIONS:,} are read as sections"
        elif self.by == "lines":
            size = f"has {self.lines:,} lines; the first {self.line - 1:,} are read as sections"
        else:
            size = f"has {self.chars:,} characters; the first {self.at:,} are read as sections"
        return (f"{size}, the rest (from line {self.line:,}) as plain text, searchable up to "
                f"{TAIL_SEARCH_CHARS // 1000:,} KB and kept whole in the KB's copy")


def find_cut(text: str) -> Cut | None:
    """None for a report within every bound (read whole, as always); else where to stop reading sections."""
    if len(text) <= MAX_CHARS and text.count("\n") < MAX_LINES and text.count("#") <= MAX_SECTIONS:
        return None  # the common case, decided without a scan
    headings = 0
    cut_at: int | None = None
    fence: str | None = None
    for match in _MARK_RE.finditer(text):
        marker = match.group("fence")
        if marker is not None:
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence) and not text[match.end():_line_end(text, match.end())].strip():
                fence = None
            continue
        if fence is not None:
            continue
        headings += 1
        if headings == MAX_SECTIONS + 1:
            cut_at = match.start()
    by = "headings"
    for bound, at in (("lines", _nth_line_start(text, MAX_LINES)), ("characters", _char_bound(text))):
        if at is not None and (cut_at is None or at < cut_at):
            cut_at, by = at, bound
    if cut_at is None or not text[cut_at:].strip():
        return None
    return Cut(at=cut_at, line=text.count("\n", 0, cut_at) + 1, headings=headings,
               lines=text.count("\n") + (0 if text.endswith("\n") else 1), chars=len(text), by=by)


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _nth_line_start(text: str, n: int) -> int | None:
    """Offset where 0-based line n starts, or None when the text has no such line."""
    at = 0
    for _ in range(n):
        at = text.find("\n", at)
        if at < 0:
            return None
        at += 1
    return at if at < len(text) else None


def _char_bound(text: str) -> int | None:
    """Where MAX_CHARS falls, moved back to the start of its line (left mid-line when one line alone is longer)."""
    if len(text) <= MAX_CHARS:
        return None
    start = text.rfind("\n", 0, MAX_CHARS) + 1
    return start if start > 0 else MAX_CHARS


@dataclass
class PlainPiece:
    """A piece of the rest of a giant report, as a plain passage: under the last heading above it."""

    heading: str
    line: int
    text: str


def plain_pieces(text: str, first_line: int) -> list[PlainPiece]:
    """The rest of a report (text, starting at first_line) as passages of about TAIL_PASSAGE_CHARS, cut at line
    boundaries (at a heading once a passage is half full), up to TAIL_SEARCH_CHARS in all; each under the last
    heading line at or above its start."""
    pieces: list[PlainPiece] = []
    heading = chunk_heading = ""
    chunk: list[str] = []
    size = 0
    chunk_line = line = first_line

    def flush() -> None:
        body = "\n".join(chunk).strip()
        if body:
            pieces.append(PlainPiece(chunk_heading, chunk_line, body))
        chunk.clear()

    for raw in text[:TAIL_SEARCH_CHARS].splitlines():
        match = _HEADING_RE.match(raw)
        if chunk and (size >= TAIL_PASSAGE_CHARS or (match and size >= TAIL_PASSAGE_CHARS // 2)):
            flush()
            size = 0
        if match:
            heading = match.group(1).strip()
        if not chunk:
            if not raw.strip():
                line += 1
                continue
            chunk_line, chunk_heading = line, heading
        chunk.append(raw)
        size += len(raw) + 1
        line += 1
    flush()
    return pieces
