"""Procedures as a reader sees them: numbered steps written as a list, as bold labels, or as headings.

Reports write what to do in three shapes besides task lists and `Step N` sections
(kb.parse.checklists):

- a numbered list under a fix or steps heading or lead-in (`**解决**:`, `Solution:`, `然后：`),
  `1. 备份数据库` / `2. 使用 \\`pnpm prisma migrate dev --create-only\\` 创建新的 migration`,
  a list that a fence interrupts going on where its numbering does (`2. Add:` + fence + `3. Click Save`);
- bold numbered labels, each followed by its blocks: `**1. 检查 .env 配置**` + a bash fence,
  `**步骤 2：检查 Pod 状态**：`, `**第1步：查看日志**`;
- numbered sibling headings (`#### 1. Stage Changes`, `### 2. 验证端口监听`, `### Test 3: ...`).

A list is a procedure when its items read as actions: an imperative verb first (`Restart`, `检查`),
a check word last (`容器状态检查`), or a command of their own (a fence or inline code). The nearest
lead-in decides the context: one that introduces steps or a fix asks less of the items; one that
introduces causes, facts, lessons, recommendations or plans (`Root cause:`, `建议`, `Lessons`) means
it is not a procedure, nor is a team backlog (items with an owner or a date). Nested items stay
nested under their step, as sub-steps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from kb.parse import labels, vocab
from kb.parse.blocks import Block, Section

_EMOJI_RE = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff\u2b50\u2b06\u2194-\u21ff\ufe0f\u200d\u20e3]")
_LEAD_MARKS_RE = re.compile(r"^[\s*_`#>\-–—·•\[\]✓✔✗✘]+")
_NUMBERED_RE = re.compile(
    r"^(?:(?:步骤|step|阶段|phase|test|check|task|测试|检查|验证|任务)\s*#?\s*)?(\d{1,2})(?!\d|\.\d)\s*[.、):：\-—–]\s*(?=\S)"
    r"|^第\s*(\d{1,2})\s*步\s*[:：.、]?\s*(?=\S)", re.IGNORECASE)
_STEP_WORD_RE = re.compile(r"^(?:步骤|step|阶段|phase|第\s*\d)", re.IGNORECASE)
_STRONG_CONTEXT = ("步骤", "下一步", "操作步骤", "修复步骤", "解决步骤", "steps", "step-by-step", "step by step",
                   "procedure", "how to", "instructions", "next steps", "fix steps")
_OWNER_RE = re.compile(r"(?:\bowner\s*[:：=]|负责人|\bassignee\b|@[A-Za-z][\w.-]+|\bdue\b|截止|\bby\s+(?:mon|tue|wed|thu|fri|"
                       r"sat|sun|q[1-4]|end of)|\b20\d\d-\d\d-\d\d\b|\b\d{1,2}/\d{1,2}\b|\d+月\d+日)", re.IGNORECASE)
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]*")
_DONE_RE = re.compile(r"(?:已完成|已修复|已解决|\bdone\b|\bcompleted\b)\W*$", re.IGNORECASE)  # a status, not a step
_MAX_LEAD = 50  # a longer lead-in is a sentence about something, not a label for the list
_CHAPTER_BLOCKS = 12  # numbered headings holding more blocks than this, on average, are chapters
_MAX_TITLE = 120
_THEN_RE = re.compile(r"^(?:if|when|once|after|then|next|finally|otherwise|如果|若|假如|一旦|当|之后|然后|接下来|最后|完成后|修复后|否则)",
                      re.IGNORECASE)
# Words of a problem: a lead-in or parent naming one (`如果遇到问题：`, `## 常见问题`) is followed by what to do.
_PROBLEM_WORDS = frozenset({"问题", "problem", "problems", "issue", "issues", "errors", "failures", "symptom", "symptoms",
                            "现象", "症状"})
# ... and of a list of causes, which a condition does not turn into steps (`If this fails, it is one of:`).
_CAUSE_WORDS = frozenset({"one of", "possible", "likely", "可能", "原因", "根本原因", "根因", "cause", "causes", "root cause",
                          "reason", "reasons", "why"})
# Parents whose sections hold facts all the way down (`## Root causes` / `### 1. ...` / lists): any facts
# word but a problem's and a summary's (`## Summary of required fixes` lists what to do).
_FACT_PARENT_WORDS = tuple(word for word in vocab.NOT_PROCEDURE_WORDS
                           if word not in _PROBLEM_WORDS and word not in ("summary", "总结", "摘要", "overview", "概述"))
_LABELLED_NUMBER_RE = re.compile(r"^[^\d\s:：]{1,12}\s*#?\s*(?:\d+|[A-Z]|[一二三四五六七八九十]+)\s*[:：.、)\-—–]")
_MAX_STEP_BLOCKS = 8  # an unnumbered action heading holding more is a chapter about it, not a step


@dataclass
class FoundStep:
    text: str
    line: int
    depth: int = 1
    detail: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)  # blocks whose commands are this step's


@dataclass
class FoundProcedure:
    title: str
    section: Section
    line: int
    steps: list[FoundStep]


CommandCount = Callable[[Block], int]


def find_procedures(root: Section, taken: set[int], commands_in: CommandCount) -> list[FoundProcedure]:
    """Procedures in the three shapes above, in document order; blocks in `taken` belong to others.

    `commands_in(block)` says how many commands the block holds (a fence's, or an item's inline code).
    """
    taken = set(taken)
    found: list[FoundProcedure] = []
    for section in root.walk():
        found.extend(_heading_steps(section, taken, commands_in))
        found.extend(_action_headings(section, taken, commands_in))
    for section in root.walk():
        found.extend(_label_steps(section, taken, commands_in))
        found.extend(_list_steps(section, taken, commands_in))
    found.sort(key=lambda procedure: procedure.line)
    return found


# -- what a step reads as ---------------------------------------------------------------------------------

def step_text(text: str) -> str:
    """The words of a step: without emoji, bullets, bold marks or a leading `1.` / `步骤 1：`."""
    first = text.strip().split("\n", 1)[0]
    first = _LEAD_MARKS_RE.sub("", _EMOJI_RE.sub("", first)).replace("**", "").strip()
    match = _NUMBERED_RE.match(first)
    return first[match.end():].strip() if match else first


@lru_cache(maxsize=8192)
def is_action(text: str) -> bool:
    """Does a step's text tell the reader to do something (`Restart the worker`, `检查容器状态`, `Nginx 日志验证`)?"""
    words = step_text(text)
    if not words or _DONE_RE.search(words):
        return False
    if labels.has_cjk(words[:1]) or labels.has_cjk(words[:6]) and not _WORD_RE.match(words):
        return _chinese_action(words)
    first = _WORD_RE.match(words)
    if first and first.group(0).lower() in vocab.ACTION_VERBS:
        return True
    subject = re.match(r"^[A-Za-z0-9._/`'\"-]+(?: [A-Za-z0-9._/`'\"-]+)* (?=[\u3400-\u9fff])", words)
    if subject:  # `Nginx 日志验证`, `HTTP 端点检查`: a subject, then a check word last
        head = re.split(r"[，,。；;：:（(]", words[subject.end():], maxsplit=1)[0].strip()
        return len(head) <= 20 and head.rstrip(" ？?").endswith(vocab.ACTION_ENDINGS_ZH)
    return False


def _chinese_action(words: str) -> bool:
    head = re.split(r"[，,。；;：:（(]", words, maxsplit=1)[0].strip()
    verb = next((verb for verb in vocab.ACTION_VERBS_ZH if head.startswith(verb)), "")
    if verb:
        # 建立了 / 创建了: what was done; 部署前 / 升级后 / 配置的: a time or a thing, not a step
        return not head[len(verb):].startswith(("了", "过", "前", "后", "时", "中", "的", "点"))
    for lead in vocab.STEP_LEAD_WORDS_ZH:
        if head.startswith(lead):
            rest = head[len(lead):]
            return any(verb in rest for verb in vocab.ACTION_VERBS_ZH) or rest.lstrip().startswith(vocab.ACTION_VERBS_ZH)
    return len(head) <= 30 and head.rstrip(" ？?").endswith(vocab.ACTION_ENDINGS_ZH)


@lru_cache(maxsize=8192)
def context_of(text: str) -> str:
    """"procedure" for a lead-in or heading that says steps follow (`Steps:`, `步骤`, `Next steps`),
    "steps" for one that introduces what to do (a fix, an answer, `If it still fails:`, `After these
    changes:`), "facts" for causes, lessons, plans and the like, "" when it says neither."""
    if not text or not text.strip():
        return ""
    clean = labels.normalise_label(_EMOJI_RE.sub("", text))
    if labels.matches_any(clean, _STRONG_CONTEXT):
        return "procedure"
    facts = _facts_in(clean.replace("`", "").replace("*", ""))
    if _THEN_RE.match(clean) and text.rstrip().endswith((":", "：")) and not any(word in _CAUSE_WORDS for word in facts):
        return "steps"  # `If it still fails:` / `如果遇到问题：` / `After these changes:`: what to do then
    if facts:
        return "facts"
    role = labels.field_role(clean) if len(clean) <= 24 else ""
    if role in ("fix", "answer"):
        return "steps"
    if role in ("cause", "lesson", "impact"):
        return "facts"
    if labels.matches_any(clean, vocab.PROCEDURE_CONTEXT_WORDS):
        return "steps"
    return ""


def _words_re(words) -> re.Pattern:
    """One pattern for a word list, matched as labels.matches_any matches each word: Chinese words anywhere,
    others as whole words."""
    cjk = sorted((w for w in words if labels.has_cjk(w)), key=len, reverse=True)
    ascii_words = sorted((w for w in words if not labels.has_cjk(w)), key=len, reverse=True)
    ascii_part = "|".join(re.escape(w) for w in ascii_words)
    return re.compile("|".join(re.escape(w) for w in cjk) + rf"|(?<![a-z0-9])(?:{ascii_part})(?![a-z0-9])")


_FACTS_RE = _words_re(vocab.NOT_PROCEDURE_WORDS)


def _facts_in(text: str) -> set[str]:
    """The facts words a (normalised) text holds (longest first: `root cause` rather than `cause`)."""
    return set(_FACTS_RE.findall(text))


def _says_steps(context: str) -> bool:
    return context in ("steps", "procedure")


def _is_backlog(texts: list[str]) -> bool:
    """A team's to-do list: most items name an owner or a date."""
    marked = sum(1 for text in texts if _OWNER_RE.search(text))
    return marked * 2 > len(texts)


def _reads_as_procedure(steps: list[FoundStep], context: str, commands_in: CommandCount) -> bool:
    if len(steps) < 2 or context == "facts":
        return False
    texts = [step.text for step in steps if step.depth == 1]
    if len(texts) < 2 or _is_backlog(texts):
        return False
    if context == "procedure":
        return True  # `**步骤**:` / `Steps:` over a numbered list: the report says these are steps
    top = [step for step in steps if step.depth == 1]
    doing = [is_action(step.text) or _has_commands(step, steps, commands_in) for step in top]
    share = sum(doing) / len(doing)
    if _says_steps(context):
        return share >= 0.5 or doing[0]
    return share >= 0.65


def _has_commands(step: FoundStep, steps: list[FoundStep], commands_in: CommandCount) -> bool:
    """A step's own commands, and its sub-steps'."""
    index = steps.index(step)
    group = [step]
    for later in steps[index + 1:]:
        if later.depth == 1:
            break
        group.append(later)
    return any(commands_in(block) for member in group for block in member.blocks)


# -- numbered lists ---------------------------------------------------------------------------------------

def _list_steps(section: Section, taken: set[int], commands_in: CommandCount) -> list[FoundProcedure]:
    out: list[FoundProcedure] = []
    blocks = section.blocks
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if not (block.kind == "item" and block.ordered and id(block) not in taken):
            i += 1
            continue
        steps, end = _list_run(blocks, i, taken)
        lead = _lead_in(blocks, i)
        context = _list_context(section, lead, _nearest_label(blocks, i))
        if _reads_as_procedure(steps, context, commands_in):
            title = _title(section, lead)
            out.append(FoundProcedure(title=title, section=section, line=steps[0].line, steps=steps))
            taken.update(id(b) for step in steps for b in step.blocks)
        i = max(end, i + 1)
    return out


def _list_run(blocks: list[Block], start: int, taken: set[int]) -> tuple[list[FoundStep], int]:
    """The steps of the numbered list at `start` (its nested items as sub-steps) and the index past it.
    A fence or paragraph between `2.` and `3.` (which ends a Markdown list) belongs to step 2."""
    depth = blocks[start].depth
    steps: list[FoundStep] = []
    last_number = blocks[start].number
    i = start
    while i < len(blocks):
        block = blocks[i]
        if id(block) in taken:
            if block.depth > depth and steps:
                i += 1  # a nested checklist of its own (`**Lint & Test**:` + items) inside a step
                continue
            break
        if block.kind == "item" and block.depth == depth:
            if not block.ordered:
                break
            steps.append(FoundStep(text=block.text.strip(), line=block.line, blocks=[block]))
            last_number = block.number
            i += 1
            continue
        if block.depth > depth or (block.depth == depth and block.kind != "item"):
            _attach(steps, block, depth)
            i += 1
            continue
        # shallower: the list ended, unless its numbering goes on after a fence or paragraph
        j = i
        while j < len(blocks) and blocks[j].kind in ("code", "para", "table") and blocks[j].depth < depth \
                and id(blocks[j]) not in taken and not _is_label_step(blocks[j]) and j - i < 4:
            j += 1
        resumed = j < len(blocks) and j > i and blocks[j].kind == "item" and blocks[j].ordered \
            and blocks[j].depth == depth and last_number is not None and blocks[j].number == last_number + 1
        if not resumed:
            break
        for middle in blocks[i:j]:
            _attach(steps, middle, depth)
        i = j
    return steps, i


def _attach(steps: list[FoundStep], block: Block, depth: int) -> None:
    """A block inside the current step: a nested item is a sub-step, anything else its detail and commands."""
    if not steps:
        return
    if block.kind == "item":
        steps.append(FoundStep(text=block.text.strip(), line=block.line, depth=min(3, 1 + block.depth - depth),
                               blocks=[block]))
        return
    current = steps[-1]
    current.blocks.append(block)
    if block.kind != "code":
        current.detail.append(block.markdown())


def _lead_in(blocks: list[Block], index: int) -> str:
    """The paragraph right above a list: a bold label (`**Solution:**`) or a sentence ending in a colon."""
    first = blocks[index]
    for block in reversed(blocks[:index]):
        if block.kind == "item" and block.depth == first.depth - 1 and block.lines:
            lead = block.lines[0]  # `- **典型流水线阶段**:` over its numbered list
            return lead.label if lead.bold and lead.label and not lead.value else ""
        if block.kind == "para" and block.depth == 0:
            lead = block.lines[-1] if block.lines else None
            if lead is None:
                return ""
            if lead.bold and lead.label:
                return lead.label + (": " + lead.value if lead.value else "")
            text = lead.text.strip()
            if len(text) > _MAX_LEAD:
                return ""
            if text.endswith((":", "：")) or (len(block.lines) == 1 and not text.endswith((".", "。"))):
                return text  # `Once fixed, verify:`, or a short line standing as a heading (`Troubleshooting & Solutions`)
            return ""
        if block.kind == "code":
            continue  # a lead-in, its command, then the list (`Run:` + fence + `1. ...`)
        return ""
    return ""


def _title(section: Section, lead: str) -> str:
    lead = lead.strip().rstrip(":：").strip()
    base = section.title or "Procedure"
    if lead and len(lead) <= 30 and "\n" not in lead:
        return f"{base} / {lead}"[:_MAX_TITLE] if section.title else lead
    return base[:_MAX_TITLE]


def _list_context(section: Section, lead: str, label: str) -> str:
    """What a list's surroundings say it is. A facts heading (`Root causes`, `Lessons`) rules; then the
    lead-in and the bold label above the list (`**根本原因**:` / `**解决方案**:`); an error write-up
    (`错误 2：...`, `Issue: ...`) says "facts" unless one of those introduces steps (its lists describe
    the problem); a facts parent carries down."""
    own = context_of(section.title)
    problem = labels.error_heading_title(section.title) is not None or (
        own == "facts" and labels.looks_like_error(section.title))  # `Agora SDK Errors`: a problem, not facts
    own = "" if problem else own
    if own == "facts":
        return "facts"
    near = [context_of(lead), context_of(label)]
    if "procedure" in near:
        return "procedure"
    if "facts" in near:
        return "facts"
    if "steps" in near:
        return "steps"
    if own:
        return own
    if problem or (section.parent is not None and labels.matches_any(
            labels.normalise_label(section.parent.title), _FACT_PARENT_WORDS)):
        return "facts"
    return ""


def _nearest_label(blocks: list[Block], index: int) -> str:
    """The bold label that the list falls under (`**根本原因**:`, `**Solution:**`), if one stands above it."""
    for block in reversed(blocks[:index]):
        if block.kind != "para" or block.depth != 0:
            continue
        for line in reversed(block.lines):
            if line.bold and line.label and (line.bold_only or len(line.value) <= _MAX_LEAD):
                return line.label
    return ""


# -- bold numbered labels ---------------------------------------------------------------------------------

def _label_number(block: Block) -> tuple[int | None, str]:
    """(number, step text) of a paragraph that opens with a bold numbered label (`**2. 检查防火墙**`)."""
    if block.kind != "para" or block.depth != 0 or not block.lines:
        return None, ""
    lead = block.lines[0]
    if not (lead.bold and lead.label) or (lead.value and not lead.bold_only and len(lead.value) > 80):
        return None, ""
    label = _EMOJI_RE.sub("", lead.label).strip()
    match = _NUMBERED_RE.match(label)
    if not match:
        return None, ""
    number = int(match.group(1) or match.group(2))
    text = label if _STEP_WORD_RE.match(label) else label[match.end():].strip()
    return number, text


def _is_label_step(block: Block) -> bool:
    return _label_number(block)[0] is not None


def _label_steps(section: Section, taken: set[int], commands_in: CommandCount) -> list[FoundProcedure]:
    out: list[FoundProcedure] = []
    groups: list[tuple[str, list[FoundStep]]] = []
    steps: list[FoundStep] = []
    lead = ""
    last = 0
    for index, block in enumerate(section.blocks):
        if id(block) in taken:
            if block.kind != "item" or not steps:  # a checklist under a step (`**3. X**` + `- item`) stays in it
                if steps:
                    groups.append((lead, steps))
                steps = []
            continue
        number, text = _label_number(block)
        if number is not None:
            if steps and number != last + 1:
                groups.append((lead, steps))
                steps = []
            if not steps:
                lead = _lead_in(section.blocks, index)
            steps.append(FoundStep(text=text, line=block.line, blocks=[block]))
            rest = block.lines[1:]
            if block.lines[0].value:
                steps[-1].detail.append(block.lines[0].value)
            steps[-1].detail.extend(line.text for line in rest)
            last = number
            continue
        if not steps:
            continue
        if block.kind == "para" and block.depth == 0 and block.lines and block.lines[0].bold_only \
                and context_of(block.lines[0].label):
            groups.append((lead, steps))  # a new bold label (`**预防措施**`) ends the steps
            steps = []
            continue
        _attach(steps, block, 0)
    if steps:
        groups.append((lead, steps))
    for lead, group in groups:
        context = context_of(lead) or context_of(section.title) or "steps"  # numbered bold labels say "steps"
        if _reads_as_procedure(group, context, commands_in):
            out.append(FoundProcedure(title=_title(section, lead), section=section, line=group[0].line, steps=group))
            taken.update(id(b) for step in group for b in step.blocks)
    return out


# -- numbered headings ------------------------------------------------------------------------------------

def _heading_number(title: str) -> int | None:
    clean = _LEAD_MARKS_RE.sub("", _EMOJI_RE.sub("", title)).replace("**", "").strip()
    match = _NUMBERED_RE.match(clean)
    return int(match.group(1) or match.group(2)) if match else None


def _heading_steps(section: Section, taken: set[int], commands_in: CommandCount) -> list[FoundProcedure]:
    runs: list[list[Section]] = []
    run: list[Section] = []
    last = 0
    for child in section.children:
        number = _heading_number(child.title)
        own = [block for block in child.blocks]
        owned = bool(own) and all(id(block) in taken for block in own)
        if number is None or owned or _STEP_WORD_RE.match(labels.normalise_label(child.title)):
            if run:
                runs.append(run)
            run = []
            continue
        if run and number != last + 1:
            runs.append(run)
            run = []
        run.append(child)
        last = number
    if run:
        runs.append(run)
    out: list[FoundProcedure] = []
    context = context_of(section.title)
    for run in runs:
        if len(run) < 2 or sum(1 for child in run if _problem_heading(child.title)) * 2 >= len(run):
            continue
        if _chapters(run):
            continue
        steps = [step for child in run for step in _heading_step(child, taken)]
        if _reads_as_procedure(steps, context if context in ("procedure", "facts") else "", commands_in):
            out.append(FoundProcedure(title=section.title or "Procedure", section=section, line=run[0].line,
                                      steps=steps))
            taken.update(id(b) for child in run for sub in child.walk() for b in sub.blocks)
    return out


def _action_headings(section: Section, taken: set[int], commands_in: CommandCount) -> list[FoundProcedure]:
    """Unnumbered sibling headings that each tell what to do and give its commands (`### Stage changes` +
    fence, `### Commit` + fence, `### Push to the remote` + fence): a procedure when two or more follow
    each other under a steps heading, three or more under any other but a facts one."""
    context = context_of(section.title)
    if context == "facts":
        return []
    runs: list[list[Section]] = [[]]
    for child in section.children:
        own = [block for block in child.blocks if id(block) not in taken]
        title = step_text(child.title)
        if (_heading_number(child.title) is None and not child.children and is_action(child.title)
                and not _STEP_WORD_RE.match(labels.normalise_label(child.title))
                and not _LABELLED_NUMBER_RE.match(title)  # `修复 2：...`, `Option B: ...`: one of several ways
                and len(own) <= _MAX_STEP_BLOCKS
                and any(commands_in(block) for block in own if block.kind == "code")):
            runs[-1].append(child)
        elif runs[-1]:
            runs.append([])
    out: list[FoundProcedure] = []
    for run in runs:
        if len(run) >= (2 if _says_steps(context) else 3):
            steps = [step for child in run for step in _heading_step(child, taken)]
            out.append(FoundProcedure(title=section.title or "Procedure", section=section, line=run[0].line,
                                      steps=steps))
            taken.update(id(b) for step in steps for b in step.blocks)
    return out


def _chapters(run: list[Section]) -> bool:
    """A document's numbered chapters, not steps: most have sections of their own, one is numbered as its
    chapter's part (`## 2. 构建` / `### 2.1. 前端构建`), or they are long (many blocks each)."""
    if sum(1 for child in run if child.children) * 2 > len(run):
        return True
    for child in run:
        number = _heading_number(child.title)
        if any(re.match(rf"^\W*{number}\.\d", sub.title) for sub in child.children):
            return True
    blocks = sum(len(sub.blocks) for child in run for sub in child.walk())
    return blocks > _CHAPTER_BLOCKS * len(run)


def _problem_heading(title: str) -> bool:
    """`3. Migration Fails`, `问题 2：...`: a numbered problem, not a step."""
    words = step_text(title)
    if is_action(title):
        return False
    return (labels.error_heading_title(words) is not None or labels.looks_like_error(words)
            or context_of(words) == "facts")


def _heading_step(child: Section, taken: set[int]) -> list[FoundStep]:
    """A numbered heading as a step: its blocks and sub-sections are its detail and commands, its own list
    items its sub-steps (`- Go to Settings`, `- Click Save`), with the fences written under them."""
    step = FoundStep(text=step_text(child.title) or child.title, line=child.line)
    out = [step]
    for block in child.blocks:
        if id(block) in taken:
            continue  # a task list under the heading is a checklist of its own
        if block.kind == "item":
            out.append(FoundStep(text=block.text.strip(), line=block.line, depth=min(3, 1 + block.depth),
                                 blocks=[block]))
        elif block.depth >= 1 and len(out) > 1:
            _attach(out, block, 1)
        else:
            step.blocks.append(block)
            if block.kind != "code":
                step.detail.append(block.markdown())
    for sub in child.walk():
        if sub is child:
            continue
        step.detail.append(f"**{sub.title}**")
        for block in sub.blocks:
            if id(block) in taken:
                continue
            step.blocks.append(block)
            if block.kind != "code":
                step.detail.append(block.markdown())
    return out
