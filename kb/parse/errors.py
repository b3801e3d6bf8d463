"""Extract errors (message, log, cause, fix, before/after, commits) from a section tree.

Structure first, words second. A section's blocks are cut into *segments* at
each label (`**根本原因**:`, `Root cause:`, `#### Fix`, `Q:`); each segment gets
a role from kb.parse.vocab. Segments group into error write-ups (a new log/symptom
after a fix starts the next one). A group is an error when it has a problem
and an answer, or sits under an error-looking heading. Quick-reference table
rows and FAQ pairs become errors too, and duplicates within a report merge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from kb.parse import commits as commit_finder
from kb.parse import labels, textsim, vocab
from kb.parse.blocks import Block, Section
from kb.parse.model import CommitRef, ErrorEntry
from kb.parse.structured_logs import is_error_level, readable, structured

_QUESTION_HEADING_RE = re.compile(r"^\s*(?:Q\d*|问)\s*[:：.]\s*", re.IGNORECASE)
_BEFORE_AFTER_RE = re.compile(
    r"^\s*(?:#|//|--|;)\s*(?:❌|✅)?\s*(before|after|修复前|修复后|旧版本|新版本|错误|正确|old|new|broken|fixed)\b.*$",
    re.IGNORECASE | re.MULTILINE,
)
_ANSWER_ROLES = frozenset({"cause", "fix", "after", "before", "answer"})
_PROBLEM_ROLES = frozenset({"log", "symptom", "problem", "question"})


@dataclass
class Segment:
    role: str  # a field role, "other" for an unknown bold label, "" before any label
    line: int
    label: str = ""
    annotation: str = ""
    texts: list[str] = field(default_factory=list)  # markdown parts in order
    codes: list[Block] = field(default_factory=list)

    def markdown(self) -> str:
        return "\n\n".join(part for part in self.texts if part.strip()).strip()

    def plain(self) -> str:
        return "\n".join(part for part in self.texts if not part.startswith("```")).strip()


def section_segments(section: Section) -> list[Segment]:
    """Cut a section (and its label-only sub-sections, e.g. `#### Root cause`) into segments."""
    segments: list[Segment] = [Segment(role="", line=section.line)]
    _segment_blocks(section.blocks, segments)
    for child in section.children:
        role = label_heading_role(child)
        if role:
            segments.append(Segment(role=role, line=child.line, label=child.title))
            for sub in child.walk():
                if sub is not child:  # 方案 A / Option 2 under a fix label: part of the fix, title kept
                    segments[-1].texts.append(f"**{sub.title}**")
                _segment_blocks(sub.blocks, segments)
    return [seg for seg in segments if seg.texts or seg.codes or seg.annotation or seg.role]


def label_heading_role(section: Section) -> str:
    """A sub-heading that is only a label (`#### Root cause`) and holds no sections of its own.

    `### Problem` is ambiguous: a label when a sibling heading is a cause/fix
    label, otherwise an error section of its own.
    """
    role = _heading_role(section.title)
    if any(not label_heading_role(child) and not (role == "fix" and is_option_heading(child.title))
           for child in section.children):
        return ""
    if not role:
        return ""
    if labels.error_heading_title(section.title) is not None and section.parent is not None:
        if not _answer_sibling(section):
            return ""
    return role


def _answer_sibling(section: Section) -> bool:
    """Has the section a sibling headed by a cause/fix label? (The parent's count is kept on it: a parent of
    50,000 `Error N` headings would otherwise be scanned once per child.)"""
    parent = section.parent
    count = getattr(parent, "_answer_children", None)
    if count is None:
        count = sum(1 for child in parent.children if _heading_role(child.title) in _ANSWER_ROLES)
        parent._answer_children = count
    return count - (1 if _heading_role(section.title) in _ANSWER_ROLES else 0) > 0


# vocab.FIELD_WORDS as a lookup: word -> its first place in them (a heading is matched against the words
# it starts with, at most 13 lengths, instead of every word: reports may have 50,000 headings)
_HEADING_WORD_FIRST: dict[str, int] = {}
for _place, _word in enumerate(word for words in vocab.FIELD_WORDS.values() for word in words):
    if len(_word) >= 2:
        _HEADING_WORD_FIRST.setdefault(_word, _place)


@lru_cache(maxsize=4096)
def _heading_role(title: str) -> str:
    """Role of a heading: only when the heading *is* the label, not a sentence containing it.

    The label word first in vocab.FIELD_WORDS that is the whole heading, or that begins it followed by a
    separator and at most 12 more characters."""
    norm = labels.normalise_label(title)
    best: tuple[int, str] | None = None
    for length in range(max(2, len(norm) - 12), len(norm) + 1):
        word = norm[:length]
        place = _HEADING_WORD_FIRST.get(word)
        if place is None or (best is not None and place >= best[0]):
            continue
        if length < len(norm):
            nxt = norm[length]
            if nxt.isalnum() or labels.has_cjk(nxt) or nxt in ":：":
                continue
        best = (place, word)
    return labels.field_role(best[1]) if best is not None else ""


def _segment_blocks(blocks: list[Block], segments: list[Segment]) -> None:
    for block in blocks:
        if block.kind == "code":
            segments[-1].codes.append(block)
            segments[-1].texts.append(block.markdown())
            continue
        if block.kind == "table":
            segments[-1].texts.append(block.markdown())
            continue
        prefix = "  " * max(block.depth - 1, 0) + "- " if block.kind == "item" else ""
        for index, line in enumerate(block.lines):
            role, label, value = _line_role(line)
            if role == "other" and segments[-1].role in ("fix", "answer"):
                role = ""  # **方法1：…** / **Option B** after a fix label: part of that fix
            if role:
                annotation = ""
                if value.startswith(("(", "（")) and value.endswith((")", "）")):
                    annotation, value = value, ""
                segments.append(Segment(role=role, line=block.line + index, label=label, annotation=annotation))
                if value:
                    segments[-1].texts.append(value)
            else:
                segments[-1].texts.append((prefix if index == 0 else "") + line.text)


_OPTION_HEADING_RE = re.compile(
    r"^(?:方案|方法|办法|选项|措施|option|approach|alternative|method|步骤|step)\s*#?\s*(?:\d+|[a-z](?![a-z])|[一二三四五六七八九十]+)",
    re.IGNORECASE)


def is_option_heading(title: str) -> bool:
    """方案 A / 方法 2 / Option B / Step 3: one of several ways (or steps) of a fix."""
    return bool(_OPTION_HEADING_RE.match(labels.normalise_label(title)))


def _line_role(line) -> tuple[str, str, str]:
    if not line.label:
        return "", "", ""
    label, value = line.label, line.value
    if line.bold_only and re.search(r"[:：]", label):
        head, _, tail = re.split(r"([:：])", label, maxsplit=1)
        role = labels.field_role(head)
        if role:
            return role, head.strip(), tail.strip()
    role = labels.field_role(label)
    if role:
        return role, label, value
    if line.bold and (line.bold_only or not value):
        return "other", label, value
    return "", "", ""


def error_heading(section: Section) -> tuple[str | None, bool]:
    """(title, strong): strong for `错误 N`/`Error:`/`Q:` headings, weak for error-looking ones."""
    title = labels.error_heading_title(section.title)
    if title is not None:
        return title, True
    question = _QUESTION_HEADING_RE.match(section.title)
    if question:
        return section.title[question.end():].strip(), True
    clean = labels.normalise_label(section.title)
    if (labels.looks_like_error(section.title) or labels.reads_as_message(section.title)) \
            and not labels.matches_any(clean, vocab.SUCCESS_WORDS):
        return section.title.strip(), False
    return None, False


def extract_section_errors(section: Section, in_lessons: bool = False) -> list[ErrorEntry]:
    if in_lessons or label_heading_role(section):
        return []
    segments = section_segments(section)
    heading_title, strong = error_heading(section)
    quote = heading_quote(section.title)
    if quote:  # ## `uv: command not found` / ### Nginx 日志显示 "Connection refused"
        heading_title, strong = heading_title or section.title.strip(), True
    elif heading_title is None and _heading_in_log(section):
        heading_title, strong = section.title.strip(), True  # the heading copies a line of its log
    groups = _group(segments)
    errors: list[ErrorEntry] = []
    for index, group in enumerate(groups):
        roles = {seg.role for seg in group}
        implicit_log = any(_code_looks_like_error(code) for seg in group if seg.role in ("", "other") for code in seg.codes)
        has_problem = bool(roles & (_PROBLEM_ROLES - {"question"})) or implicit_log or _error_question(group)
        has_answer = bool(roles & _ANSWER_ROLES)
        has_content = any(seg.texts or seg.codes for seg in group)
        first = index == 0
        faq_entry = first and heading_title is not None and any(
            _command_block(code) for seg in group if seg.role == "" for code in seg.codes)
        accept = (has_problem and has_answer) or faq_entry or (
            first and heading_title is not None and has_content and (strong or has_problem or has_answer or implicit_log)
        )
        if accept:
            errors.append(_build(section, group, heading_title if first else None, strong,
                                 quote if first else ""))
    if errors and not errors[0].fix:
        sibling_fix = _sibling_fix(section)
        if sibling_fix:
            errors[0].fix = sibling_fix
    return errors


_PRACTICE_QUESTION_RE = re.compile(
    r"^(?:can|could|should|is|are|do|does|how|what|why|when|which|能否|是否|可以|要不要|为什么|怎么|如何)\b", re.IGNORECASE)


def _error_question(group: list[Segment]) -> bool:
    """A FAQ question is an error when it quotes one, not when it asks about practice."""
    for seg in group:
        if seg.role == "question":
            text = seg.plain()
            if labels.has_error_token(text):
                return True
            if labels.looks_like_error(text) and not _PRACTICE_QUESTION_RE.match(text.strip()):
                return True
    return False


def _group(segments: list[Segment]) -> list[list[Segment]]:
    groups: list[list[Segment]] = [[]]
    closed = False
    for seg in segments:
        if seg.role in vocab.OPENING_FIELDS and closed:
            groups.append([])
            closed = False
        groups[-1].append(seg)
        if seg.role in vocab.CLOSING_FIELDS:
            closed = True
    return [g for g in groups if g]


def _one_error(codes: list[Block], so_far: list[str]) -> list[Block]:
    """The blocks of one error: the first log, and later ones only when they print the same error again
    (more of its lines). A thread that pastes three different failures under one label (`新问题：` +
    three logs) gives the first; the others are cards of their own (kb.parse.quoted_errors)."""
    kept: list[Block] = []
    first = so_far[0] if so_far else ""
    for code in codes:
        if not first:
            first = code.code
            kept.append(code)
            continue
        mine, theirs = textsim.tokens(salient_line(code.code)), textsim.tokens(salient_line(first))
        if mine and textsim.containment(mine, theirs) >= 0.5:
            kept.append(code)
    return kept


def _command_block(code: Block) -> bool:
    """A fence of commands to run (kb.parse.checklists.is_command_fence)."""
    from kb.parse.checklists import is_command_fence

    return is_command_fence(code, half=True)


_NARRATIVE_RE = re.compile(r"^\s*(?:\d+[.)]\s|[-*•]\s|→|=>|->)")


def _printed_lines(code: Block, need_message: bool = True) -> bool:
    """A short block of what a program printed (`❌ DATABASE_URL is not set!`), not commands: unlabelled,
    or a shell block holding more output than commands. Under a label that says it is the error
    (`**Problem:**`, `**现象：**`) any such block is; elsewhere one of its lines must read as a message."""
    shell = code.lang in vocab.SHELL_LANGS
    if code.lang not in ("", "text", "txt", "log", "plaintext", "output") and not shell:
        return False
    lines = [line for line in code.code.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines or len(lines) > 15:
        return False
    if sum(1 for line in lines if _NARRATIVE_RE.match(line)) * 2 >= len(lines):
        return False  # `1. render.yaml runs: ...` / `→ marked as applied`: a story told in a fence
    if need_message and not any(labels.reads_as_message(line.strip()) for line in lines):
        return False
    from kb.parse.command_line import is_command_line

    commands = sum(1 for line in lines if is_command_line(line.strip().lstrip("$ ")))
    # commands; or a shell fence of prose, not a command and what it printed
    return not (commands * 2 >= len(lines) or (shell and need_message and not commands))


def _heading_in_log(section: Section) -> bool:
    """A heading that copies a line of the log under it is that error's message, quotes or not
    (`## Received unregistered task of type 'x'` over the worker's log)."""
    title = " ".join(labels.normalise_label(section.title).split())
    if len(title) < 12:
        return False
    return any(block.kind == "code" and _code_looks_like_error(block) and title in " ".join(block.code.lower().split())
               for block in section.blocks)


def heading_quote(title: str) -> str:
    """The error a heading quotes: a message in backticks or quotes (`` `uv: command not found` ``,
    `Nginx 日志显示 "Connection refused"`), or the one code span of a heading that names errors
    (``Python version errors (`requires-python >=3.11`)``)."""
    quoted = labels.quoted_messages(title)
    if quoted:
        return quoted[0]
    spans = [span for span in labels.quoted_spans(title) if "`" in title]
    bare = labels.normalise_label(re.sub(r"`[^`]*`", " ", title))
    if len(spans) == 1 and (labels.matches_any(bare, vocab.ERROR_HEADING_WORDS + ("errors", "warning", "警告"))):
        return spans[0]
    return ""


def _build(section: Section, group: list[Segment], heading_title: str | None, strong: bool,
           quote: str = "") -> ErrorEntry:
    def joined(*roles: str) -> str:
        return "\n\n".join(seg.markdown() for seg in group if seg.role in roles and seg.markdown()).strip()

    log_parts: list[str] = []
    for seg in group:
        if seg.role == "log":
            log_parts.extend(code.code.strip() for code in _one_error(seg.codes, log_parts))
            if not seg.codes and seg.plain():
                log_parts.append(_strip_code_ticks(seg.plain()))
        elif seg.role in ("problem", "symptom"):  # a log quoted under 问题描述 / Symptoms is the error's log
            printed = [code for code in seg.codes
                       if _code_looks_like_error(code) or _printed_lines(code, need_message=False)]
            log_parts.extend(code.code.strip() for code in _one_error(printed, log_parts))
    description_before: list[str] = []
    description_after: list[str] = []
    seen_log = bool(log_parts)
    follow_commands = False  # what follows the log holds commands (`**Check if the DB runs:**` + fence)
    next_error = False  # a later log in the same segment run is another error (a thread), not this one's fix
    for seg in group:
        if next_error:
            break
        if seg.role in ("", "other"):
            logged_here = False
            for code in seg.codes:
                if not log_parts and (_code_looks_like_error(code) or (
                        strong and heading_title is not None and _printed_lines(code, need_message=False))):
                    log_parts.append(code.code.strip())  # under `### Error 1: X`, what was printed is its log
                    seen_log = logged_here = True
            if seg.role == "" and not (seen_log and not logged_here):
                text = "\n\n".join(t for t in seg.texts if not t.startswith("```")).strip()
                if text:
                    (description_after if seen_log else description_before).append(text)
            elif seen_log:  # after the log: its checks and commands, labels and fences kept
                if any(_code_looks_like_error(code) for code in seg.codes):
                    next_error = True
                    continue
                head = f"**{seg.label}**\n\n" if seg.role == "other" and seg.label else ""
                text = (head + seg.markdown()).strip()
                if text:
                    description_after.append(text)
                follow_commands = follow_commands or any(
                    code.lang in vocab.SHELL_LANGS for code in seg.codes if code.code.strip())
    log = "\n".join(log_parts).strip()
    symptom = joined("symptom", "problem", "question") or "\n\n".join(description_before)
    fix = joined("fix", "answer")
    if not fix and heading_title is not None and not log and not joined("symptom", "problem", "question") \
            and _only_list(description_before):
        fix, symptom = "\n".join(description_before), ""  # `### Error X` over a bare list of fixes
    if not fix and heading_title is not None and not description_after:
        commands = [code for seg in group if seg.role == "" for code in seg.codes
                    if code.code.strip() not in log_parts and _command_block(code)]
        if commands:  # `## \`error: X\`` over an unlabelled fence of the commands that fix it
            fix = "\n\n".join(part for seg in group if seg.role == "" for part in seg.texts
                              if not any(part == f"```{code.lang}\n{code.code.rstrip()}\n```" and code.code.strip()
                                         in log_parts for code in seg.codes)).strip()
            symptom = "" if symptom and symptom in fix else symptom
    inferred = not fix and bool(description_after)
    if inferred:
        fix = "\n\n".join(description_after)
        inferred = not follow_commands  # commands after the log are its fix; prose is only a guess
    before = "\n\n".join(code.code.rstrip() for seg in group if seg.role == "before" for code in seg.codes)
    after = "\n\n".join(code.code.rstrip() for seg in group if seg.role == "after" for code in seg.codes)
    if not before and not after:
        before, after = _split_before_after(group)
    message = salient_line(log) if log else quote or _message(log, heading_title or None, symptom, section.title, strong)
    if not log and not labels.reads_as_message(message):
        quoted = [q for text in (symptom, "\n".join(description_before), fix) for q in labels.quoted_messages(text)]
        if quoted:  # `Missing curl in the image` whose text says: fails with "curl: command not found"
            message = quoted[0]
    title = heading_title or _short(message) or _first_line(symptom) or section.title
    entry = ErrorEntry(
        title=_clip(title, 200),
        message=_clip(message, 500),
        log=log,
        symptom=symptom,
        impact=joined("impact"),
        root_cause=joined("cause"),
        diagnosis=joined("diagnosis"),
        fix=fix,
        before=before,
        after=after,
        section=section.path(),
        line=group[0].line if group[0].role else section.line,
        sources=[{"kind": "section", "section": section.path(), "line": section.line}],
    )
    entry.commits = _group_commits(group)
    entry.fix_inferred = inferred
    return entry


def _only_list(texts: list[str]) -> bool:
    """Prose that is only list items (`- do this`), as under a troubleshooting heading."""
    lines = [line for text in texts for line in text.splitlines() if line.strip()]
    return bool(lines) and all(line.lstrip().startswith(("- ", "* ")) or re.match(r"\s*\d+[.)]\s", line)
                               for line in lines)


def _split_before_after(group: list[Segment]) -> tuple[str, str]:
    """One code block with `# Before` / `# After` comment lines holds both sides."""
    for seg in group:
        if seg.role not in ("fix", "answer", "other", ""):
            continue
        for code in seg.codes:
            marks = list(_BEFORE_AFTER_RE.finditer(code.code))
            kinds = [_side(m.group(1)) for m in marks]
            if "before" in kinds and "after" in kinds:
                cut = marks[kinds.index("after")].start()
                return code.code[:cut].strip(), code.code[cut:].strip()
    return "", ""


def _side(word: str) -> str:
    word = word.lower()
    return "before" if word in ("before", "修复前", "旧版本", "错误", "old", "broken") else "after"


def _group_commits(group: list[Segment]) -> list[CommitRef]:
    shas: list[str] = []
    messages: list[str] = []
    for seg in group:
        text = "\n".join([seg.label, seg.annotation, *seg.texts])
        for sha in commit_finder.shas_in_text(text):
            if sha not in shas:
                shas.append(sha)
        for code in seg.codes:
            for sha, message in commit_finder.log_list(code.code.splitlines()):
                if sha not in shas:
                    shas.append(sha)
                if message not in messages:
                    messages.append(message)
        for message in commit_finder.messages_in_text("\n".join(seg.texts), commit_field=seg.role == "commit"):
            if message not in messages:
                messages.append(message)
    if len(shas) == 1 and messages:
        refs = [CommitRef(sha=shas[0], message=messages[0])]
        refs += [CommitRef(sha=None, message=m) for m in messages[1:]]
        return refs
    return [CommitRef(sha=s) for s in shas] + [CommitRef(sha=None, message=m) for m in messages]


def _sibling_fix(section: Section) -> str:
    """`初始方案 (失败)` followed by `最终方案 (成功)`: the sibling is the fix."""
    parent = section.parent
    if parent is None or not labels.matches_any(section.title, vocab.FAILURE_WORDS):
        return ""
    siblings = parent.children
    position = siblings.index(section)
    for sibling in siblings[position + 1:]:
        if labels.matches_any(sibling.title, vocab.SUCCESS_WORDS):
            body = "\n".join(block.markdown() for sub in sibling.walk() for block in sub.blocks).strip()
            return f"{sibling.title}\n\n{body}".strip()
    return ""


_FRAME_RE = re.compile(r"^\s*(?:at\s|File \"|\^|\.\.\.|goroutine\s|\S+\.go:\d+|#\d+\s|\|)")
_GENERIC_RE = re.compile(
    r"process completed with exit code|exited with (?:code|status)|npm ERR! code\b|error command failed|"
    r"^error:?$|an unexpected error occurred:?$|^error: script .* exited|^make: \*\*\*|^\s*\^",
    re.IGNORECASE,
)
_BOX_PREFIX_RE = re.compile(r"^[ \t]*[│┃╷╵║]+", re.MULTILINE)  # Terraform draws a box down its log's left edge
_TRACEBACK_LINE_RE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Fault)\b.*")


_HEADLINE_RE = re.compile(r"^(?:Error|ERROR|FATAL|Fatal):\s+\S")  # a CLI's own headline, first in its log


def unboxed(log: str) -> str:
    """The log without the box drawn down its left edge (`│ Error: ...` reads `Error: ...`)."""
    return _BOX_PREFIX_RE.sub("", log)


def salient_line(log: str) -> str:
    """The line of a log that names the error: the last line of a traceback, else the first error line."""
    lines = [readable(line.strip()) for line in unboxed(log).splitlines() if line.strip()]
    if not lines:
        return ""
    if any("Traceback (most recent call last)" in line for line in lines):
        for line in reversed(lines):
            if _TRACEBACK_LINE_RE.match(line):
                return line
    specific = [line for line in lines if not _GENERIC_RE.search(line) and not _FRAME_RE.match(line)]
    if specific and _HEADLINE_RE.match(specific[0]):
        return specific[0]  # `Error: Error acquiring the state lock` over the details printed under it
    for pool in (specific, lines):
        for test in (labels.has_error_token, labels.looks_like_error):
            for line in pool:
                if test(line):
                    return line
    return (specific or lines)[0]


def _message(log: str, heading_title: str | None, symptom: str, section_title: str, strong: bool) -> str:
    if log:
        return salient_line(log)
    for line in symptom.splitlines():
        clean = _strip_code_ticks(line.strip().lstrip("-*").strip())
        if clean and labels.has_error_token(clean) and not (heading_title and labels.has_error_token(heading_title)):
            return clean
    if heading_title and (strong or labels.looks_like_error(heading_title) or labels.reads_as_message(heading_title)
                          or not symptom):
        return heading_title
    if symptom:
        for line in symptom.splitlines():
            clean = line.strip().lstrip("-*").strip()
            if clean and labels.looks_like_error(clean):
                return _strip_code_ticks(clean)
        return _strip_code_ticks(_first_line(symptom))
    return heading_title or section_title


def _code_looks_like_error(code: Block) -> bool:
    structured_only = code.lang in ("json", "jsonl", "ndjson")  # a JSON block is a log only if its lines are log lines
    if code.lang and not structured_only and code.lang not in (
            "", "text", "log", "txt", "console", "plaintext", "python-traceback", "pytb", "output"):
        return False
    raw = [line for line in code.code.splitlines() if line.strip()][:40]
    reads = [structured(line) for line in raw]
    if not raw or (structured_only and not any(reads)):
        return False
    lines = [read[1] if read else line for read, line in zip(reads, raw)]
    if any(read and is_error_level(read[0]) for read in reads):
        return True  # a service logged it at error level
    strong = sum(1 for line in lines if labels.has_error_token(line) or "Traceback (most recent" in line)
    weak = sum(1 for line in lines if labels.looks_like_error(line))
    window = max(1, len(lines) - sum(1 for line in lines if _FRAME_RE.match(line)))
    return (strong >= 1 and (strong * 4 >= window or window <= 6)) or (weak >= 1 and weak * 3 >= window)


def _short(message: str, limit: int = 90) -> str:
    """A title from a message: its first line, without a log prefix, clipped at a word."""
    line = message.strip().splitlines()[0] if message.strip() else ""
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0]
    return (cut if len(cut) > limit // 2 else line[:limit]) + "…"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        clean = line.strip().lstrip("-*").strip()
        if clean:
            return clean
    return ""


def _strip_code_ticks(text: str) -> str:
    return text.replace("`", "").strip()


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- quick-reference tables ----------------------------------------------------------------------

def _column(header: list[str], words: tuple[str, ...]) -> int | None:
    for index, cell in enumerate(header):
        norm = labels.normalise_label(cell)
        if norm in words:
            return index
    for index, cell in enumerate(header):
        if labels.matches_any(cell, words):
            return index
    return None


_STATUS_CELL_RE = re.compile(
    r"^[\W_]*(?:已修复|已解决|已完成|已处理|修复中|处理中|待修复|待处理|未修复|未解决|进行中|完成|fixed|resolved|done|"
    r"closed|open|pending|wip|in progress|mitigated|verified|yes|no|ok)?[\W_]*"
    r"(?:(?:commit\s*)?`?[0-9a-f]{7,40}`?)?[\W_]*$", re.IGNORECASE)


MAX_TABLE_ROWS = 500  # a quick-reference table longer than this is data, not a list of known errors
_BARE_SHA_RE = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{7,40}(?![0-9A-Za-z])")


_COMMIT_HEADER_WORDS = ("commit", "commits", "sha", "hash", "提交", "提交记录", "revision")


def _commit_list(header: list[str], err: int) -> bool:
    """`| Commit | Message |`: a list of commits and their messages, not of errors."""
    return (labels.normalise_label(header[err]) in ("message", "description", "说明", "描述")
            and any(labels.normalise_label(cell) in _COMMIT_HEADER_WORDS for i, cell in enumerate(header) if i != err))


def _status_column(rows: list[list[str]], column: int) -> bool:
    """A column of statuses (✅ 已修复 (abc1234), Fixed, Pending): most of its cells say only that."""
    cells = [row[column].strip() for row in rows if column < len(row) and row[column].strip()]
    if not cells:
        return False
    return sum(1 for cell in cells if _STATUS_CELL_RE.match(cell)) * 2 > len(cells)


def table_errors(block: Block, section: Section) -> list[ErrorEntry]:
    """Rows of a table whose header names an error column and a cause or fix column."""
    header = block.header
    err = _column(header, vocab.TABLE_ERROR_WORDS)
    if err is None or _commit_list(header, err):
        return []
    cause = _column([h if i != err else "" for i, h in enumerate(header)], vocab.TABLE_CAUSE_WORDS)
    skip = {err, cause}
    fix = _column([h if i not in skip else "" for i, h in enumerate(header)], vocab.TABLE_FIX_WORDS)
    while fix is not None and _status_column(block.rows, fix):
        skip.add(fix)  # 修复状态 / Status: "✅ 已修复 (abc1234)" says that it was fixed, not how
        fix = _column([h if i not in skip else "" for i, h in enumerate(header)], vocab.TABLE_FIX_WORDS)
    if cause is None and fix is None and not any(_status_column(block.rows, i) for i in range(len(header))
                                                 if i not in (err, cause)):
        return []
    statuses = [i for i in range(len(header)) if i not in (err, cause, fix) and _status_column(block.rows, i)]
    said = _message_column(block, err, {err, cause, fix, *statuses})
    out: list[ErrorEntry] = []
    for row in block.rows[:MAX_TABLE_ROWS]:  # rows past it stay searchable as the table's passage
        cell = row[err].strip() if err < len(row) else ""
        plain = _strip_code_ticks(cell)
        if labels.normalise_label(plain) in vocab.EMPTY_CELLS:
            continue
        printed = _strip_code_ticks(row[said].strip()) if said is not None and said < len(row) else ""
        if labels.normalise_label(printed) in vocab.EMPTY_CELLS:
            printed = ""
        entry = ErrorEntry(
            title=_clip(plain, 200),
            message=_clip(printed or plain, 500),
            root_cause=row[cause].strip() if cause is not None and cause < len(row) else "",
            fix=row[fix].strip() if fix is not None and fix < len(row) else "",
            section=section.path(),
            line=block.line,
            sources=[{"kind": "table", "section": section.path(), "line": block.line}],
        )
        entry.printed = bool(printed) or bool(re.fullmatch(r"`[^`]+`", cell))  # the cell quotes it as code
        shas = commit_finder.shas_in_text(" ".join(row))
        for column in statuses:  # "✅ 已修复 (abc1234)": the SHA of the commit that fixed it
            for match in _BARE_SHA_RE.finditer(row[column] if column < len(row) else ""):
                if commit_finder.is_sha(match.group(0).lower(), True) and match.group(0).lower() not in shas:
                    shas.append(match.group(0).lower())
        entry.commits = [CommitRef(sha=s) for s in shas]
        out.append(entry)
    return out


_MESSAGE_HEADERS = ("错误信息", "报错信息", "报错", "错误日志", "错误输出", "日志", "error message", "error output",
                    "message", "log", "output", "printed")


def _message_column(block: Block, err: int, taken: set) -> int | None:
    """`| 问题 | 错误信息 | ...`: beside a column naming the problem, the one holding what was printed.
    Its header says so, and most of its cells read as messages."""
    def messages(column: int) -> int:
        return sum(1 for row in block.rows if column < len(row) and labels.reads_as_message(_strip_code_ticks(row[column])))

    for index, cell in enumerate(block.header):
        if index not in taken and labels.normalise_label(cell) in _MESSAGE_HEADERS:
            return index if messages(index) * 2 >= len(block.rows) else None
    return None


def is_error_card(entry: ErrorEntry) -> bool:
    """An error card holds what a program printed: a log, or a message that reads as one; or it is a row
    of the report's own table of errors and their causes or fixes. A write-up of a problem a person
    named in words (`### 问题1: 端口被占用`, `### Missing SSL Directory`) stays searchable as its
    report's passages, but is not listed as an error (its fix steps are procedures)."""
    if entry.sources and entry.sources[0]["kind"] == "table" and (entry.fix.strip() or entry.root_cause.strip()):
        return True  # a row of a table of errors and their fixes: the report's own list of what went wrong
    return entry.printed or bool(entry.log.strip()) or labels.reads_as_message(entry.message) or (
        bool(entry.message) and heading_quote(entry.title) == entry.message)


# --- merging duplicates ---------------------------------------------------------------------------

MERGE_BUDGET = 150  # errors compared pairwise in one report (the most in a real one: 14); past them, only the
# same message merges


def merge_errors(errors: list[ErrorEntry]) -> list[ErrorEntry]:
    """One error per distinct error: a table row or second write-up of the same error merges in.

    Each error is compared with every one kept before it, so a report of 50,000 error sections would take
    hours: past MERGE_BUDGET kept errors, a new one merges only into one with the very same message."""
    merged: list[ErrorEntry] = []
    by_message: dict[str, ErrorEntry] = {}
    for entry in errors:
        key = " ".join(entry.message.lower().split())
        if len(merged) < MERGE_BUDGET:
            target = _find_same(merged, entry)
        else:
            target = by_message.get(key) if len(key) >= 12 else None
        if target is None:
            merged.append(entry)
            by_message.setdefault(key, entry)
        else:
            _absorb(target, entry)
    return merged


def _key_tokens(entry: ErrorEntry) -> set[str]:
    return textsim.tokens(f"{entry.message}\n{entry.title}")


def _answer_tokens(entry: ErrorEntry) -> set[str]:
    return textsim.tokens(f"{entry.root_cause}\n{entry.fix}\n{entry.before}\n{entry.after}")


def _find_same(existing: list[ErrorEntry], entry: ErrorEntry) -> ErrorEntry | None:
    """Two write-ups merge only when one message contains the other; a table/list row merges
    into the error it names (shared words), helped by a matching cause/fix."""
    mine = _key_tokens(entry)
    my_message = textsim.tokens(entry.message)
    best: tuple[float, ErrorEntry] | None = None
    for other in existing:
        if _is_section(entry) and _is_section(other):
            if _same_message(entry.message, other.message):
                return other
            continue
        if not _is_section(entry) and not _is_section(other) and entry.line == other.line:
            continue  # two rows of one table are two errors
        if _is_section(entry) != _is_section(other) and _same_title(entry.title, other.title):
            return other  # `| 页面 500，样式缺失 | <message> |` and `### P2 页面 500，样式缺失`
        theirs = _key_tokens(other) | textsim.tokens(other.log)
        their_message = textsim.tokens(other.message)
        by_message = textsim.containment(my_message, their_message)
        by_key = textsim.containment(mine, theirs)
        score = max(by_key, by_message)
        common = max(len(mine & theirs), len(my_message & their_message))
        strong = score >= 0.6 and (common >= 2 or min(len(mine), len(theirs)) == 1)
        weak = score >= 0.2 and score + textsim.containment(_answer_tokens(entry), _answer_tokens(other)) >= 0.9
        if (strong or weak) and (best is None or score > best[0]):
            best = (score, other)
    return best[1] if best else None


def _same_title(a: str, b: str) -> bool:
    """A row's problem name is the heading of a write-up (less its id or numbering)."""
    mine, theirs = textsim.tokens(a), textsim.tokens(b)
    short = min(mine, theirs, key=len)
    return len(short) >= 2 and len(mine & theirs) >= 0.8 * len(short) and (
        labels.has_cjk(a) or len(mine & theirs) >= 3)


def _is_section(entry: ErrorEntry) -> bool:
    return entry.sources[0]["kind"] == "section"


def _same_message(a: str, b: str) -> bool:
    a, b = " ".join(a.lower().split()), " ".join(b.lower().split())
    short, long = sorted((a, b), key=len)
    return len(short) >= 12 and short in long


def _absorb(target: ErrorEntry, other: ErrorEntry) -> None:
    fields = ("log", "symptom", "impact", "root_cause", "diagnosis", "fix", "before", "after")
    target.printed = target.printed or other.printed
    if target.sources[0]["kind"] != "section" and other.sources[0]["kind"] == "section":
        # a full write-up found after a table row is the better primary: its fields win
        target.title, target.message, target.section, target.line = other.title, other.message, other.section, other.line
        for name in fields:
            if getattr(other, name):
                setattr(target, name, getattr(other, name))
        target.sources.insert(0, other.sources[0])
        other.sources = other.sources[1:]
    for name in fields:
        if not getattr(target, name) and getattr(other, name):
            setattr(target, name, getattr(other, name))
    target.sources.extend(other.sources)
    for ref in other.commits:
        if all((ref.sha, ref.message) != (mine.sha, mine.message) for mine in target.commits):
            if ref.sha is None or all(ref.sha != mine.sha for mine in target.commits):
                target.commits.append(ref)
