"""Link an error (or any passage that quotes one) to the passages of its report that fix it.

Real reports quote an error in one section and fix it in another: under 问题描述 and
已完成的修复, "Error 3: X" and "Fix 2: X", a heading per error over a list, 方案 A/B.
Structure gives the strong links; plain similarity (rarity-weighted shared words over
the report's passages) is the default that holds when no structural rule fires. It works
on passages alone (heading paths, lines, roles), so search can link a passage hit the
same way ingest links an extracted error.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kb.parse import textsim
from kb.parse.id_words import leading_id, mentions
from kb.parse.passages import heading_role, subject
from kb.parse.lazy_re import lazy

if TYPE_CHECKING:
    from kb.parse.model import ErrorEntry
    from kb.parse.passage_model import Passage

MAX_LINKS = 5
MIN_SCORE = 0.45
_SHA_RE = lazy(r"\b[0-9a-f]{7,40}\b")


@dataclass
class Anchor:
    """What to link: the error's section (heading path), line and words."""

    heading: str
    line: int
    text: str
    title: str = ""
    shas: tuple[str, ...] = ()
    from_table: bool = False  # a table row: its subject is its own cell, not its section's heading
    error_id: str = ""  # the short id the report names it by (`E2`: kb/parse/error_ids.py)


def parent_of(heading: str) -> str:
    return heading.rsplit(" / ", 1)[0] if " / " in heading else ""


def _last(heading: str) -> str:
    return heading.rsplit(" / ", 1)[-1]


def _within(heading: str, root: str) -> bool:
    return heading == root or heading.startswith(root + " / ")


def unit_of(anchor_heading: str, roles: dict[str, str]) -> str:
    """The section an error is written up in: a bare label heading (`#### 问题描述`, `### Symptoms`)
    stands for its parent's write-up."""
    heading = anchor_heading
    while heading and " / " in heading and roles.get(heading) in ("problem", "cause", "") \
            and not subject(_last(heading)) and parent_of(heading):
        heading = parent_of(heading)
    return heading


@dataclass
class ReportShape:
    """What linking needs of a report's passages that is the same for every error in it."""

    roles: dict[str, str]  # heading path -> role ("" for the document's title)
    numbered: dict[str, int]  # heading path -> how many numbered headings stand directly under it
    fixes: list[bool]  # per passage: does it read as (part of) a fix


def report_shape(passages: list[Passage]) -> ReportShape:
    roles = {p.heading: p.role for p in passages if not p.whole}
    tops = {heading.split(" / ", 1)[0] for heading in roles}
    title = tops.pop() if len(tops) == 1 else None
    if title is not None:
        roles[title] = ""  # the document's title ("XX 修复报告") is no fix heading for all below it
    return ReportShape(roles=roles, numbered=_numbered_children(roles), fixes=[_is_fix(p, roles) for p in passages])


def link(anchor: Anchor, passages: list[Passage], bags: list[frozenset[str]] | None = None,
         shape: ReportShape | None = None) -> list[int]:
    """Indexes of the passages that fix the anchor, best first (bags and shape: the passages' words
    and structure, when the caller links many errors of one report and has them already)."""
    if not passages:
        return []
    shape = shape or report_shape(passages)
    roles, numbered, fixes = shape.roles, shape.numbered, shape.fixes
    own_heading = anchor.heading
    unit = unit_of(own_heading, roles)
    parent = parent_of(unit)
    topic = subject(anchor.title) if anchor.from_table else subject(_last(unit)) or subject(anchor.title)
    number = _number(_last(unit))
    if number and numbered.get(parent, 0) < 2:
        number = ""
    similarity = _similarities(anchor.text, passages, bags or passage_bags(passages))
    scores: dict[int, float] = {}
    for index, passage in enumerate(passages):
        structural = _structural(passage, fixes[index], anchor, unit, parent, topic, number, numbered, roles)
        if structural == 0.0 and similarity[index] < 0.5:
            continue
        score = structural + 0.5 * similarity[index]
        if score >= MIN_SCORE:
            scores[index] = score
    ordered = sorted(scores, key=lambda i: (-scores[i], passages[i].line))
    chosen: list[int] = []
    for index in ordered:
        if len(chosen) == MAX_LINKS:
            break
        if not _covered(index, chosen, passages):
            chosen.append(index)
    if not any(fixes[i] for i in chosen):
        # the report holds a fix somewhere: the likeliest one is linked rather than none
        candidates = [i for i in range(len(passages)) if fixes[i]]
        if candidates:
            best = max(candidates, key=lambda i: (passages[i].whole, similarity[i], -passages[i].line))
            chosen = chosen[:MAX_LINKS - 1] + [best]
    return chosen


def _structural(passage: Passage, is_fix: bool, anchor: Anchor, unit: str, parent: str, topic: str,
                number: str, numbered: dict[str, int], roles: dict[str, str] | None = None) -> float:
    """How the report's structure ties a passage to the error written up in `unit`."""
    heading = passage.heading
    score = 0.0
    if passage.whole:  # a whole fix section (## Resolution with its sub-sections)
        # inside the error's own write-up it is that error's fix; elsewhere the report's fallback fix
        score = 1.0 if unit and _within(heading, unit) and heading != unit else 0.45
    elif _within(heading, unit) if unit else heading == anchor.heading:
        if heading == anchor.heading and passage.line <= anchor.line:
            score = 0.6  # the error's own text: context, not the fix
        else:  # the write-up's own heading reading as a fix ("Solution.md") makes nothing under it one
            own_fix = is_fix and (passage.role == "fix" or heading == unit or _fix_below(heading, unit, roles or {})
                                  or _SUCCESS_LINE_RE.search(passage.text[:200]) is not None)
            score = 1.0 if own_fix else 0.6 if passage.role == "cause" else 0.5
    elif is_fix:
        score = 0.75 if not parent or _within(heading, parent) else 0.35  # a sibling or cousin that reads as a fix
        if topic and _same_topic(topic, heading):
            score = 0.95  # "Error 3: X" <-> "Fix 2: X"
        elif number and _number(_last(heading)) == number and not _within(heading, parent or unit) \
                and numbered.get(parent_of(heading), 0) == numbered.get(parent, 0):
            score = max(score, 0.8)  # 问题1 … 问题2 under one heading, 修复1 … 修复2 under another, as many
    elif passage.role == "cause":
        score = 0.3 if not parent or _within(heading, parent) else 0.2
    if anchor.error_id and is_fix and mentions(passage.text, anchor.error_id):
        score = max(score, 0.9)  # the fix written under the error's id: "Releasing the lock (E2)."
    if anchor.shas and any(sha[:7] in passage.text for sha in anchor.shas):
        score = max(score, 0.9)  # the same commit: a row's "✅ 已修复 (abc1234)" and the section naming abc1234
    return score


@lru_cache(maxsize=8192)
def _subject_tokens(title: str) -> frozenset[str]:
    return frozenset(textsim.tokens(subject(title)))


def _numbered_children(roles: dict[str, str]) -> dict[str, int]:
    """How many numbered headings stand directly under each heading (parallel lists must match)."""
    counts: dict[str, int] = {}
    for heading in roles:
        if _number(_last(heading)):
            counts[parent_of(heading)] = counts.get(parent_of(heading), 0) + 1
    return counts


def _covered(index: int, chosen: list[int], passages: list[Passage]) -> bool:
    """A passage inside a whole section already linked (or a whole section around one) adds nothing."""
    mine = passages[index]
    for other in (passages[i] for i in chosen):
        if other.whole and _within(mine.heading, other.heading):
            return True
        if mine.whole and _within(other.heading, mine.heading):
            return True
    return False


def _is_fix(passage: Passage, roles: dict[str, str]) -> bool:
    return passage.role == "fix" or _fix_ancestor(passage.heading, roles) or _SUCCESS_LINE_RE.search(passage.text[:200]) is not None


_SUCCESS_LINE_RE = lazy(r"^\s*(?:\*\*)?(?:✅\s*)?(?:solution|fix|修复|解决方案?|解决办法)(?:\*\*)?\s*[:：]", re.IGNORECASE | re.MULTILINE)


_NUMBER_RE = lazy(r"(?:^|[\s#第])(\d{1,2})(?:[\s.、:：)）]|$)|^[^\d]{0,12}?(\d{1,2})\b")


def _number(title: str) -> str:
    """The number of a numbered heading ("问题2：…", "Fix 3 - …", "2. …"), or ""."""
    match = _NUMBER_RE.search(title.strip())
    return (match.group(1) or match.group(2)) if match else ""


def _fix_below(heading: str, unit: str, roles: dict[str, str]) -> bool:
    """A heading between the passage and the error's write-up (`unit`) that reads as a fix."""
    node = parent_of(heading)
    while node and node != unit and _within(node, unit):
        if roles.get(node, heading_role(_last(node))) == "fix":
            return True
        node = parent_of(node)
    return False


def _fix_ancestor(heading: str, roles: dict[str, str]) -> bool:
    """A passage under a fix heading (`## 解决方案` / `### 方案 A`, `## Resolution Implementation`)
    is part of a fix, whether or not that heading has text of its own (the document's title aside)."""
    node = parent_of(heading)
    while node:
        if roles.get(node, heading_role(_last(node))) == "fix":
            return True
        node = parent_of(node)
    return False


def _same_topic(topic: str, heading: str) -> bool:
    mine = textsim.tokens(topic)
    for part in heading.split(" / ")[-2:]:
        other = _subject_tokens(part)
        if mine and other and textsim.containment(mine, other) >= 0.6:
            return True
    return False


def passage_bags(passages: list[Passage]) -> list[frozenset[str]]:
    return [textsim.tokens(p.heading.rsplit(" / ", 1)[-1] + "\n" + p.text) for p in passages]


def _similarities(text: str, passages: list[Passage], bags: list[frozenset[str]]) -> list[float]:
    """Rarity-weighted share of the anchor's words each passage holds, scaled so the best is 1."""
    wanted = textsim.tokens(text)
    if not wanted:
        return [0.0] * len(passages)
    frequency = Counter(token for bag in bags for token in bag & wanted)
    total = len(passages)
    weight = {token: math.log(1 + total / (frequency[token] or 0.5)) for token in wanted}
    whole = sum(weight.values()) or 1.0
    raw = [sum(weight[t] for t in bag & wanted) / whole for bag in bags]
    best = max((value for value, p in zip(raw, passages) if not p.whole), default=0.0) or max(raw) or 1.0
    return [min(1.0, value / best) * min(1.0, best * 2) for value in raw]


def shas_in(text: str) -> tuple[str, ...]:
    return tuple(match.group(0) for match in _SHA_RE.finditer(text) if any(c.isdigit() for c in match.group(0)))


def error_anchor(error: ErrorEntry) -> Anchor:
    text = "\n".join([error.title, error.message, error.symptom, error.log[:3000]])
    shas = tuple(ref.sha for ref in error.commits if ref.sha)
    from_table = bool(error.sources) and all(source.get("kind") == "table" for source in error.sources)
    return Anchor(heading=error.section, line=error.line, text=text, title=error.title, shas=shas, from_table=from_table,
                  error_id=leading_id(error.title))


LINK_BUDGET = 20_000  # error-passage pairs weighed in one report (the most in a real one: 372); past them, an error
# links its own section


def link_errors(errors: list[ErrorEntry], passages: list[Passage]) -> None:
    """Give each error its fix passages; an error with no fix text takes the best fix passage's.

    Every error is weighed against every passage: in a report of thousands of errors and passages that is
    hours, so past LINK_BUDGET pairs the remaining errors link the passages of their own section."""
    if not errors:
        return
    bags = passage_bags(passages)
    shape = report_shape(passages) if passages else None
    weighed = 0
    own: dict[str, list[int]] | None = None
    for error in errors:
        if weighed + len(passages) <= LINK_BUDGET:
            error.passages = link(error_anchor(error), passages, bags, shape)
            weighed += len(passages)
        else:
            if own is None:
                own = {}
                for index, passage in enumerate(passages):
                    if not passage.whole:
                        own.setdefault(passage.heading, []).append(index)
            error.passages = [i for i in own.get(error.section, []) if passages[i].line > error.line][:MAX_LINKS]
        if not error.fix.strip() or error.fix_inferred:
            error.fix = _fallback_fix(error, passages, fixes_only=error.fix_inferred) or error.fix


def _fallback_fix(error: ErrorEntry, passages: list[Passage], fixes_only: bool = False) -> str:
    linked = [passages[i] for i in error.passages]
    shas = [ref.sha[:7] for ref in error.commits if ref.sha]
    for passage in linked:
        own = passage.heading == error.section
        if passage.text and (passage.role == "fix" or (not own and any(sha in passage.text for sha in shas))):
            return passage.text
    if fixes_only:
        return ""
    for passage in linked:
        if passage.text and not (passage.heading == error.section and passage.line <= error.line):
            return passage.text
    return ""
