"""parse_report: Markdown text in, a ParsedReport out. Never raises on any text."""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager

from kb.parse import commits as commit_finder
from kb.parse import labels, vocab
from kb.parse.bound import TAIL_SEARCH_CHARS, find_cut, plain_pieces
from kb.parse.blocks import Section, parse_sections
from kb.parse.checklists import ChecklistExtractor
from kb.parse.errors import extract_section_errors, is_error_card, merge_errors, table_errors
from kb.parse.error_ids import join_by_id
from kb.parse.quoted_errors import quoted_errors, rows_into_quotes
from kb.parse.flowchart import is_flowchart, parse_flowchart
from kb.parse.linking import link_errors
from kb.parse.model import CommitRef, FlowchartEntry, Lesson, ParsedReport, Passage
from kb.parse.passages import cut_passages

_FRONT_MATTER_RE = re.compile(r"\A(?:\ufeff)?---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD_RE = re.compile(r"[A-Za-z]{2,}")


_ESCAPED_FENCE_RE = re.compile(r"(?m)^([ \t>]*)\\`\\`\\`")


def parse_report(text: str, name: str = "") -> ParsedReport:
    with _collector_paused():
        return _parse_report(text, name)


@contextmanager
def _collector_paused():
    """Parsing makes hundreds of thousands of small objects for a big report (tokens, blocks, sections), and
    CPython's cycle collector rescans all of them again and again as they pile up: 60% of the time of a report
    with 50,000 headings. Paused while one report is parsed; the collector runs as usual afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse_report(text: str, name: str) -> ParsedReport:
    front, body = split_front_matter(text)
    body = _ESCAPED_FENCE_RE.sub(r"\1```", body)  # chat-tool exports write fences as \`\`\`
    cut = find_cut(body)  # a giant file (50,000 headings): only its first part is read as sections
    rest = ""
    if cut is not None:
        body, rest = body[:cut.at], body[cut.at:]
    root = parse_sections(body)
    report = ParsedReport(title=_title(root, front, name), lang=_language(root))
    report.meta = {**front, **_metadata(root)}
    report.outline = root.outline()
    report.errors, report.commits = _errors_and_commits(root)
    checklists = ChecklistExtractor()
    checklists.run(root)
    report.checklists, report.commands = checklists.checklists, checklists.commands
    report.flowcharts = _flowcharts(root)
    report.lessons = _lessons(root)
    report.timeline = _timeline(root)
    report.passages = cut_passages(root)
    link_errors(report.errors, report.passages)
    if cut is not None:
        _read_rest_as_text(report, cut, rest)
    return report


BOUND_META_KEY = "read as sections"


def _read_rest_as_text(report: ParsedReport, cut, rest: str) -> None:
    """The part of a giant report beyond the parse bound: plain passages (after the others, so every index into
    the passages stays put), and a word of it where the report is shown and where it is ingested."""
    for piece in plain_pieces(rest, cut.line):
        heading = " / ".join(part for part in (report.title, piece.heading) if part)
        report.passages.append(Passage(heading=heading, line=piece.line, text=piece.text))
    report.meta[BOUND_META_KEY] = (f"lines 1-{cut.line - 1:,} of {cut.lines:,}; the rest as plain text (its first "
                                   f"{TAIL_SEARCH_CHARS // 1000:,} KB searchable)")
    report.bound_note = cut.describe()


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Optional `---` front matter of simple `key: value` lines (runbooks use it)."""
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text.lstrip("\ufeff")
    meta: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t", "-")):
            meta[key.strip()] = value.strip().strip("'\"")
    # keep line numbers stable: replace the front matter with blank lines
    blank = "\n" * match.group(0).count("\n")
    return meta, blank + text[match.end():]


def _title(root: Section, front: dict[str, str], name: str) -> str:
    if front.get("title"):
        return front["title"]
    for section in root.walk():
        if section.level >= 1 and section.title:
            return section.title
    return name.rsplit("/", 1)[-1] or "Untitled report"


def _language(root: Section) -> str:
    cjk = words = 0
    for section in root.walk():
        sample = section.title + "\n" + "\n".join(block.text for block in section.blocks if block.kind in ("para", "item"))
        cjk += len(_CJK_RE.findall(sample))
        words += len(_WORD_RE.findall(sample))
    return "zh" if cjk > words else "en"


def _metadata(root: Section) -> dict[str, str]:
    """Bold-label lines before the first second-level heading (`**项目**: x`, `**Date**: y`)."""
    meta: dict[str, str] = {}
    heads = [root] + [child for child in root.children if child.level == 1]
    for section in heads:
        for block in section.blocks:
            if block.kind not in ("para", "item"):
                continue
            for line in block.lines:
                if line.label and line.bold and line.value and len(line.label) <= 40:
                    meta.setdefault(line.label, line.value.replace("`", "").strip())
    return meta


def _lesson_sections(root: Section) -> list[Section]:
    return [s for s in root.walk() if s.level > 0 and labels.matches_any(s.title, vocab.LESSON_HEADING_WORDS)]


def _errors_and_commits(root: Section) -> tuple[list, list[CommitRef]]:
    lesson_ids = {id(sub) for section in _lesson_sections(root) for sub in section.walk()}
    found = []
    for section in root.walk():
        found.extend(extract_section_errors(section, in_lessons=id(section) in lesson_ids))
        for block in section.blocks:
            if block.kind == "table":
                found.extend(table_errors(block, section))
    errors = [error for error in merge_errors(join_by_id(root, found)) if is_error_card(error)]
    errors = rows_into_quotes(errors, quoted_errors(root, errors))  # after the write-ups: theirs keep their positions
    return errors, _report_commits(root, errors)


def _report_commits(root: Section, errors) -> list[CommitRef]:
    """Every distinct SHA (message from a log list first) and every unpaired quoted message."""
    by_sha: dict[str, str] = {}
    order: list[str] = []
    loose: list[str] = []

    def note(sha: str, message: str = "") -> None:
        if sha not in by_sha:
            by_sha[sha] = message
            order.append(sha)
        elif message and not by_sha[sha]:
            by_sha[sha] = message

    for section in root.walk():
        for block in section.blocks:
            if block.kind == "code" and block.lang in ("", "text", "git", "log", "txt", "console", "bash", "shell"):
                for sha, message in commit_finder.log_list(block.code.splitlines()):
                    note(sha, message)
            elif block.kind == "item":
                for sha, message in commit_finder.log_list([block.text]):
                    note(sha, message)
            if block.kind in ("para", "item"):
                for sha in commit_finder.shas_in_text(block.text):
                    note(sha)
        for sha in commit_finder.shas_in_text(section.title):
            note(sha)
    for error in errors:
        for ref in error.commits:
            if ref.sha:
                note(ref.sha, ref.message)
    for error in errors:
        for ref in error.commits:
            if ref.sha and ref.message and by_sha.get(ref.sha) != ref.message and ref.message not in loose:
                loose.append(ref.message)
            if ref.sha is None and ref.message and ref.message not in loose and ref.message not in by_sha.values():
                loose.append(ref.message)
    return [CommitRef(sha=sha, message=by_sha[sha]) for sha in order] + [CommitRef(sha=None, message=m) for m in loose]


def _flowcharts(root: Section) -> list[FlowchartEntry]:
    out: list[FlowchartEntry] = []
    for section in root.walk():
        for block in section.blocks:
            if block.kind == "code" and (block.lang == "mermaid" or (not block.lang and is_flowchart(block.code))):
                chart = parse_flowchart(block.code)
                if chart and chart.nodes:
                    data = chart.to_dict()
                    out.append(FlowchartEntry(section=section.path(), line=block.line, direction=chart.direction,
                                              nodes=data["nodes"], edges=data["edges"], kind=data["kind"]))
    return out


def _lessons(root: Section) -> list[Lesson]:
    out: list[Lesson] = []
    for section in _lesson_sections(root):
        if any(_lesson_sections_within(section)):
            continue  # a parent of a more specific lessons heading
        if section.children:
            for child in section.children:
                body = "\n".join(block.markdown() for sub in child.walk() for block in sub.blocks).strip()
                out.append(Lesson(title=child.title, text=body, line=child.line))
            continue
        items = [block for block in section.blocks if block.kind == "item" and block.depth == 1]
        if items:
            for item in items:
                out.append(Lesson(title=item.text.split("\n")[0][:120], text=item.text, line=item.line))
        elif section.blocks:
            body = "\n".join(block.markdown() for block in section.blocks).strip()
            out.append(Lesson(title=section.title, text=body, line=section.line))
    return out


def _lesson_sections_within(section: Section):
    return (s for s in section.walk() if s is not section and labels.matches_any(s.title, vocab.LESSON_HEADING_WORDS))


def _timeline(root: Section) -> list[dict]:
    rows: list[dict] = []
    for section in root.walk():
        for block in section.blocks:
            if block.kind == "table" and block.header and any(
                labels.matches_any(cell, vocab.TIMELINE_WORDS) for cell in block.header[:2]
            ):
                for row in block.rows:
                    rows.append({block.header[i] if i < len(block.header) else str(i): cell for i, cell in enumerate(row)})
        if labels.matches_any(section.title, ("时间线", "timeline", "时间轴", "chronology")):
            for block in section.blocks:
                if block.kind == "item":
                    rows.append({"event": block.text})
    return rows
