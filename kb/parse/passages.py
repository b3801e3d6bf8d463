"""Cut a report into passages along its section tree, so every part of it is searchable.

Rules only find the errors and fixes written in shapes they know; a passage is
the fallback that holds for any shape. A passage is a heading's own blocks (not
its children's), with its heading path and first line. A long section is split
at block boundaries (paragraph, list item, table, code fence); a code fence is
never split.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from kb.parse import vocab
from kb.parse.labels import error_heading_title, field_role, normalise_label
from kb.parse.passage_model import Passage
from kb.parse.lazy_re import lazy

if TYPE_CHECKING:  # annotations only: kb.parse.blocks brings markdown-it, which search never needs
    from kb.parse.blocks import Block, Section

TARGET_CHARS = 1200  # a passage is about a screenful; longer sections are split
MAX_CODE_CHARS = 8000  # a huge log block is kept whole but clipped
WHOLE_CHARS = 6000  # a whole fix section (its sub-sections included) is clipped here
MAX_PASSAGES = 2000  # more sections than this (a hostile or generated report): consecutive ones are joined


def cut_passages(root: Section) -> list[Passage]:
    """Passages of a report in document order."""
    passages: list[Passage] = []
    for section in root.walk():
        pieces = [_block_markdown(block) for block in section.blocks]
        chunk: list[str] = []
        chunk_line = section.line  # the first passage of a section starts at its heading
        size = 0
        for block, piece in zip(section.blocks, pieces):
            if not piece.strip():
                continue
            if chunk and size + len(piece) > TARGET_CHARS:
                _add(passages, section, chunk, chunk_line)
                chunk, size, chunk_line = [], 0, block.line
            chunk.append(piece)
            size += len(piece)
        if chunk:
            _add(passages, section, chunk, chunk_line)
        elif section.level > 0 and not section.children and section.title.strip():
            _add(passages, section, [], section.line)  # a heading alone still says something
    if len(passages) > MAX_PASSAGES:
        passages = _coalesced(passages)
    titled = len(root.children) == 1  # one top heading: the document's title, not a fix section
    for section in root.walk():  # whole fix sections last, so the positions of the others stay put
        if titled and section.parent is root:
            continue
        if section.level > 0 and section.children and heading_role(section.title) == "fix":
            text = _whole_text(section)
            if text:
                passages.append(Passage(heading=section.path(), line=section.line, text=text, role="fix", whole=True))
    return passages


def _coalesced(passages: list[Passage]) -> list[Passage]:
    """A report of thousands of tiny sections (50,000 headings) as at most MAX_PASSAGES passages: runs of
    consecutive ones joined (each one's heading kept in bold), so storing, indexing and linking it stay bounded.
    Reports below the bound keep one passage per section as before."""
    size = -(-len(passages) // MAX_PASSAGES)
    out = []
    for start in range(0, len(passages), size):
        run = passages[start:start + size]
        parts = [run[0].text] + [f"**{_last_heading(p.heading)}**\n\n{p.text}".strip() for p in run[1:]]
        role = "fix" if any(p.role == "fix" for p in run) else run[0].role
        out.append(Passage(heading=run[0].heading, line=run[0].line, text="\n\n".join(part for part in parts if part),
                           role=role))
    return out


def _last_heading(path: str) -> str:
    return path.rsplit(" / ", 1)[-1]


def _whole_text(section: Section) -> str:
    """A section with its sub-sections as one Markdown text (sub-headings in bold), clipped."""
    parts: list[str] = []
    size = 0
    for sub in section.walk():
        if sub is not section:
            parts.append(f"**{sub.title}**")
        for block in sub.blocks:
            piece = _block_markdown(block)
            parts.append(piece)
            size += len(piece)
        if size > WHOLE_CHARS:
            break
    text = "\n\n".join(part for part in parts if part.strip()).strip()
    return text[:WHOLE_CHARS] + ("\n…" if len(text) > WHOLE_CHARS else "")


def _add(passages: list[Passage], section: Section, chunk: list[str], line: int) -> None:
    passages.append(Passage(heading=section.path(), line=line, text="\n\n".join(chunk).strip(),
                            role=heading_role(section.title)))


def _block_markdown(block: Block) -> str:
    if block.kind == "code" and len(block.code) > MAX_CODE_CHARS:
        return f"```{block.lang}\n{block.code[:MAX_CODE_CHARS].rstrip()}\n…\n```"
    return block.markdown()


_OPTION_RE = lazy(
    r"^(?:方案|方法|方式|办法|选项|措施|option|approach|alternative|method|fix|修复|解法|步骤|step|phase|阶段)\s*"
    r"(?:#?\s*(?:\d+|[A-Za-z](?![A-Za-z])|[一二三四五六七八九十]+))", re.IGNORECASE)
_CHANGE_RE = lazy(r"^(?:key |file |code |config |configuration |the )?changes?\b(?!\s*log)|^(?:修改|改动|变更|更改)(?:内容|说明|记录)?$"
                        r"|\bchanges? (?:made|applied)\b|^fix(?:es)? applied\b|^applied fix")
_SUCCESS_RE = lazy(r"\(SUCCESS\)|\bSUCCESS\b|✅.*(?:成功|success|fixed|resolved|working)|（成功）|\(成功\)")
_STEP_RE = lazy(vocab.STEP_HEADING_PATTERN, re.IGNORECASE)
_SUBJECT_RE = lazy(
    r"^(?:" + "|".join(re.escape(w) for w in sorted(vocab.HEADING_LABEL_WORDS, key=len, reverse=True)) + r")s?"
    r"\s*(?:#?\s*(?:\d+|[a-z](?![a-z])|[一二三四五六七八九十]+))?\s*(?:[.、)）:：\-—–]\s*|$|\s+)", re.IGNORECASE)


@lru_cache(maxsize=8192)
def heading_role(title: str) -> str:
    """"fix" for a heading that reads as a fix, a step or an option (方案 A, Option 2, 步骤 3,
    Solutions, The Fix, What we changed); "cause"; "problem" for an error or symptom; or ""."""
    text = normalise_label(title or "")
    if not text:
        return ""
    if _OPTION_RE.match(text) or _STEP_RE.match(text):
        return "fix"
    role = field_role(text)
    if role in ("fix", "after", "answer") or _CHANGE_RE.search(text) or _SUCCESS_RE.search(title):
        return "fix"
    if role == "cause":
        return "cause"
    if role in ("log", "symptom", "problem", "question") or error_heading_title(title) is not None:
        return "problem"
    return ""


def subject(title: str) -> str:
    """A heading's subject with label words and numbering gone: "Error 3: Redis timeout" and
    "修复 2：Redis timeout" both give "redis timeout"; "" when nothing is left."""
    text = normalise_label(title or "")
    text = _SUBJECT_RE.sub("", text, count=1)
    return " ".join(text.split())
