"""Errors a report names by a short id (`E2`, `P-3`, `#4`) and writes about in several places.

A post-mortem with several errors often gives each an id: the fixes table says `| E2 | Force-unlocked
once ... |`, an appendix holds `### E2: state lock` with the log, and the root cause section says
`**E2 – lock held by a killed runner.** ...`. Read one place at a time, the table row is a card whose
message is only `E2`: nothing an operator pastes can find it. Here the places are joined by the id:
a card whose message is a bare id takes the defining section's title and log, and the cause written
under the id; a defining section with an error log that no card names becomes a card of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.parse import labels
from kb.parse.blocks import Block, Section
from kb.parse.errors import _heading_role, label_heading_role, salient_line, unboxed
from kb.parse.id_words import DEFINING_HEADING_RE as _DEFINING_HEADING_RE, ID as _ID, leading_id, mentions  # noqa: F401
from kb.parse.model import ErrorEntry

_BARE_ID_RE = re.compile(rf"^[\W_]*({_ID})[\W_]*$")
# a paragraph led by the id: `**E2 – lock held by a killed runner.** Cancelling the job ...`
_LEAD_RE = re.compile(rf"^\W*({_ID})\s*[:：.\-–—]\s*\S")
_LOG_LANGS = frozenset({"", "text", "log", "txt", "console", "plaintext", "output", "shell-session"})


@dataclass
class _Definition:
    section: Section
    title: str
    log: str


def _key(raw: str) -> str:
    return raw.upper().replace("-", "")


def _definitions(root: Section) -> dict[str, _Definition]:
    """id -> the section whose heading is `<id>: <title>` and that holds a log (the first one wins)."""
    found: dict[str, _Definition] = {}
    for section in root.walk():
        if section.level == 0:
            continue
        match = _DEFINING_HEADING_RE.match(section.title)
        if not match:
            continue
        code = next((block for block in section.blocks if block.kind == "code" and block.code.strip()
                     and block.lang.lower() in _LOG_LANGS), None)
        if code is not None:
            found.setdefault(_key(match.group(1)), _Definition(section, section.title.strip(), code.code.rstrip()))
    return found


def _led_paragraphs(root: Section) -> dict[str, list[Block]]:
    """id -> paragraphs led by that id, in sections about causes (what was wrong, not what was done)."""
    led: dict[str, list[Block]] = {}
    for section in root.walk():
        if (label_heading_role(section) or _heading_role(section.title)) != "cause":
            continue
        for block in section.blocks:
            if block.kind in ("para", "item") and block.lines:
                match = _LEAD_RE.match(block.lines[0].text)
                if match:
                    led.setdefault(_key(match.group(1)), []).append(block)
    return led


def _looks_like_error_log(log: str) -> bool:
    return any(labels.has_error_token(line) or labels.looks_like_error(line) for line in log.splitlines()[:40])


def join_by_id(root: Section, errors: list[ErrorEntry]) -> list[ErrorEntry]:
    """Fill bare-id cards from the sections that define their ids; add cards for defined ids no card names."""
    definitions = _definitions(root)
    if not definitions:
        return errors
    led = _led_paragraphs(root)
    named: set[str] = set()
    for entry in errors:
        match = _BARE_ID_RE.match(entry.message)
        if not match or _key(match.group(1)) not in definitions:
            continue
        key = _key(match.group(1))
        named.add(key)
        definition = definitions[key]
        entry.title = definition.title
        entry.log = entry.log or definition.log
        entry.message = salient_line(definition.log) or definition.title
        if not entry.root_cause and key in led:
            entry.root_cause = "\n\n".join(block.text for block in led[key])
    for key, definition in definitions.items():
        if key in named or not _looks_like_error_log(unboxed(definition.log)):
            continue
        section = definition.section
        errors.append(ErrorEntry(
            title=definition.title, message=salient_line(definition.log) or definition.title,
            log=definition.log, root_cause="\n\n".join(block.text for block in led.get(key, [])),
            section=section.path(), line=section.line,
            sources=[{"kind": "section", "section": section.path(), "line": section.line}]))
    return errors
