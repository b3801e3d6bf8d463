"""Checklists (task lists, numbered step sections, verification lists) and the commands in them.

Task-list items group under the label or heading above them (`**部署前**:`,
`### Post-deploy`). Sibling headings `步骤 1` / `Step 2` make one procedure
whose items are the steps. A shell block whose commands carry numbered
comments (`# 1. 检查应用状态`) is a procedure too. Every shell command is kept,
attached to the item or step it belongs to when there is one; so is a command
line written as inline code in a list item or table cell (kb.parse.command_line).
"""

from __future__ import annotations

import re

from kb.parse import labels, vocab
from kb.parse.blocks import Block, Section
from kb.parse.command_line import inline_commands, is_command_line
from kb.parse.model import Checklist, ChecklistItem, CommandEntry
from kb.parse.procedures import find_procedures
from kb.parse.shell import split_commands

_STEP_RE = re.compile(vocab.STEP_HEADING_PATTERN, re.IGNORECASE)
_INLINE_CODE_RE = re.compile(r"`[^`\n]+`")
_NUMBERED_COMMENT_RE = re.compile(r"^\s*(?:step\s*|步骤\s*)?\d+\s*[.)、:：]\s*", re.IGNORECASE)


class ChecklistExtractor:
    def __init__(self) -> None:
        self.checklists: list[Checklist] = []
        self.commands: list[CommandEntry] = []
        self._by_key: dict[tuple[str, str], int] = {}
        self._handled: set[int] = set()  # blocks already taken by a step procedure
        self._taken: set[int] = set()  # blocks that are (or are inside) an item of a checklist
        self._block_commands: dict[int, list[int]] = {}  # block id -> indexes into self.commands

    def run(self, root: Section) -> None:
        self._visit(root)
        self._reader_procedures(root)

    def _reader_procedures(self, root: Section) -> None:
        """Numbered lists, bold numbered labels and numbered headings that read as steps (kb.parse.procedures).

        They come after the checklists found above, so a checklist keeps its position in its report (and
        with it its stable ref, kb/store/refs.py) when a newer parser finds more procedures beside it.
        """
        found = find_procedures(root, self._taken | self._handled,
                                lambda block: len(self._block_commands.get(id(block), ())))
        for procedure in found:
            index = len(self.checklists)
            checklist = Checklist(title=procedure.title, kind="procedure", phase=labels.phase_of(procedure.title),
                                  section=procedure.section.path(), line=procedure.line)
            self.checklists.append(checklist)
            for step in procedure.steps:
                checklist.items.append(ChecklistItem(text=step.text, depth=step.depth, line=step.line,
                                                     detail="\n\n".join(part for part in step.detail if part.strip())))
                for block in step.blocks:
                    for number in self._block_commands.get(id(block), ()):
                        command = self.commands[number]
                        if command.checklist is None:
                            command.checklist, command.item = index, len(checklist.items) - 1

    def _visit(self, section: Section) -> None:
        steps = [child for child in section.children if _STEP_RE.match(labels.normalise_label(child.title) or "")
                 or _STEP_RE.match(child.title.strip())]
        step_ids = {id(child) for child in steps}
        if len(steps) >= 2 or (steps and len(section.children) == 1):
            self._procedure(section, steps)
        self._blocks(section)
        for child in section.children:
            if id(child) in step_ids and (len(steps) >= 2 or len(section.children) == 1):
                for grandchild in child.children:
                    self._visit(grandchild)
                continue
            self._visit(child)

    # -- numbered step sections --------------------------------------------------------------------
    def _procedure(self, parent: Section, steps: list[Section]) -> None:
        title = parent.title or "Procedure"
        checklist = Checklist(title=title, kind="procedure", phase=labels.phase_of(title), section=parent.path(),
                              line=steps[0].line)
        index = len(self.checklists)
        self.checklists.append(checklist)
        for step in steps:
            detail = "\n".join(block.markdown() for block in step.blocks if block.kind != "code").strip()
            checklist.items.append(ChecklistItem(text=step.title, line=step.line, detail=detail))
            item_index = len(checklist.items) - 1
            for sub in [step] + [s for c in step.children for s in c.walk()]:
                for block in sub.blocks:
                    if block.kind == "code" and is_command_fence(block):
                        self._commands(block, sub, index, item_index)
                    elif block.kind in ("item", "table", "para"):
                        self._inline(block, sub, index, item_index)
        self._handled.update(id(b) for step in steps for sub in step.walk() for b in sub.blocks)

    # -- blocks of one section ---------------------------------------------------------------------
    def _blocks(self, section: Section) -> None:
        label, label_depth = "", 0  # the bold label above (a paragraph, or a list item holding only a label)
        current: tuple[int, int] | None = None  # (checklist index, item index) for nested code
        for block in section.blocks:
            if id(block) in self._handled:
                continue
            lead = block.lines[0] if block.lines else None
            is_label = lead is not None and lead.bold and (lead.bold_only or not lead.value) and (
                len(block.lines) == 1 or block.kind == "item")
            if block.kind == "para" and block.depth == 0:
                if is_label:
                    label, label_depth = lead.label, 0
                else:
                    self._inline(block, section, None, None)
                current = None
                continue
            if block.kind == "para":  # a paragraph inside a list item: its commands are the item's
                self._inline(block, section, *(current or (None, None)))
                continue
            if block.kind == "item":
                if is_label and block.checked is None:
                    label, label_depth = lead.label, block.depth
                    current = None
                    continue
                if label_depth and block.depth <= label_depth:
                    label, label_depth = "", 0
                if block.checked is not None:
                    current = self._add_item(section, label, block, "tasks")
                elif block.depth == label_depth + 1 and _is_check_context(section.title, label):
                    current = self._add_item(section, label, block, "list")
                else:
                    self._inline(block, section, None, None)
                continue
            if block.kind == "table":
                self._inline(block, section, None, None)
                continue
            if block.kind == "code" and is_command_fence(block):
                if current is not None and block.depth > 0:
                    self._taken.add(id(block))
                    self._commands(block, section, *current)
                else:
                    self._code_block(block, section, label)

    def _add_item(self, section: Section, label: str, block: Block, kind: str) -> tuple[int, int]:
        key = (section.path(), label)
        if key not in self._by_key:
            title = f"{section.title} / {label}" if label and section.title else (label or section.title or "Checklist")
            phase = labels.phase_of(label) or labels.phase_of(section.title)
            self._by_key[key] = len(self.checklists)
            self.checklists.append(Checklist(title=title, kind=kind, phase=phase, section=section.path(), line=block.line))
        index = self._by_key[key]
        checklist = self.checklists[index]
        if checklist.kind == "list" and kind == "tasks":
            checklist.kind = "tasks"
        checklist.items.append(ChecklistItem(text=block.text.strip(), checked=block.checked, depth=block.depth,
                                             line=block.line))
        self._taken.add(id(block))
        self._inline(block, section, index, len(checklist.items) - 1)
        return index, len(checklist.items) - 1

    def _inline(self, block: Block, section: Section, checklist: int | None, item: int | None) -> None:
        """Command lines written as inline code in a list item, paragraph or table cell (`docker build -t
        app .`), and paragraphs that are command lines themselves (a fence lost on the way: `kubectl get
        pods -n <namespace>` standing alone between paragraphs)."""
        if block.kind == "para":
            for number, line in enumerate(_command_paragraph(block)):
                self._block_commands.setdefault(id(block), []).append(len(self.commands))
                self.commands.append(CommandEntry(command=line, lang="text", section=section.path(),
                                                  line=block.line + number, checklist=checklist, item=item))
        whole = block.kind != "para"  # a paragraph's code is prose's: only whole commands (`podman system reset`)
        if block.kind == "para":  # sentence by sentence, leaving out what not to do and what is asked
            places = [(sentence, _INLINE_CODE_RE.sub("", sentence)) for sentence in _SENTENCE_RE.split(block.text)
                      if sentence.strip() and not _DONT_RE.search(sentence)]
        elif block.kind == "item":
            places = [(block.text, _INLINE_CODE_RE.sub("", block.text))]
        else:
            places = [(cell, next((c for c in row if c != cell and c.strip()), "")) for row in block.rows for cell in row]
        for text, context in places:
            for command in inline_commands(text):
                if not whole and not _whole_in_prose(command):
                    continue
                self._block_commands.setdefault(id(block), []).append(len(self.commands))
                self.commands.append(CommandEntry(
                    command=command, comment=" ".join(context.split())[:200], lang="inline", section=section.path(),
                    line=block.line, checklist=checklist, item=item))

    def _code_block(self, block: Block, section: Section, label: str) -> None:
        commands = split_commands(block.code, block.lang)
        numbered = [c for c in commands if _NUMBERED_COMMENT_RE.match(c.comment)]
        if len(commands) >= 2 and len(numbered) >= 2 and len(numbered) * 2 >= len(commands):
            title = f"{section.title} / {label}" if label else section.title
            checklist = Checklist(title=title or "Procedure", kind="procedure",
                                  phase=labels.phase_of(label) or labels.phase_of(section.title),
                                  section=section.path(), line=block.line)
            index = len(self.checklists)
            self.checklists.append(checklist)
            self._taken.add(id(block))
            for command in commands:
                if _NUMBERED_COMMENT_RE.match(command.comment) or not checklist.items:
                    text = _NUMBERED_COMMENT_RE.sub("", command.comment) or command.command
                    checklist.items.append(ChecklistItem(text=text, line=block.line + command.line))
                self._add_command(command, block, section, index, len(checklist.items) - 1)
            return
        for command in commands:
            self._add_command(command, block, section, None, None)

    def _commands(self, block: Block, section: Section, checklist: int | None, item: int | None) -> None:
        for command in split_commands(block.code, block.lang):
            self._add_command(command, block, section, checklist, item)

    def _add_command(self, command, block: Block, section: Section, checklist: int | None, item: int | None) -> None:
        self._block_commands.setdefault(id(block), []).append(len(self.commands))
        self.commands.append(CommandEntry(
            command=command.command, comment=command.comment, expected=command.expected, lang=block.lang or "console",
            section=section.path(), line=block.line + command.line, checklist=checklist, item=item,
        ))


def _is_check_context(title: str, label: str) -> bool:
    """A plain list is a checklist under a checklist/phase label, or a checklist heading with no label."""
    if label:
        return labels.matches_any(label, vocab.CHECKLIST_WORDS) or bool(labels.phase_of(label))
    if labels.matches_any(title, vocab.CHECKLIST_TITLE_WORDS):
        return True
    short = labels.normalise_label(title)
    return bool(labels.phase_of(title)) and len(short) <= 20 and "." not in short


_COMMAND_FENCE_LANGS = frozenset({"powershell", "ps1", "pwsh"})  # PowerShell blocks of docker/kubectl lines
# Programs that are also English words: a paragraph line led by one is a command only with shell signs in it.
_WORD_PROGRAMS = frozenset("make find watch touch kill free top head tail sleep timeout env cat ping go http "
                           "ls ps ip nc dig tee sh bash node java ruby php rails bundle rake composer".split())
_SHELL_SIGN_RE = re.compile(r"\s--?[A-Za-z]|<[\w.-]+>|\||/|=|\$")
# A sentence about a command (`kubectl get pods shows STATUS: OOMKilled`), not the command itself.
_PROSE_WORD_RE = re.compile(r"\b(?:shows?|returns?|displays?|prints?|outputs?|means|should|will|would|is|are|was|were|"
                            r"then|when|which|that)\b")
_QUOTED_RE = re.compile(r"\"[^\"]*\"|'[^']*'")
_ASSIGNMENT_RE = re.compile(r"^[\w.-]+\s+=\s")  # `timeout = 900`: configuration, not a command
# `kubectl apply -f`, `docker exec -it`, `npm install -D`: a flag that wants a value, then nothing
_LONE_FLAG_RE = re.compile(r"\s-(?:f|n|o|p|u|e|v|l|c|i|it|D|r|m|k|w|x|-file|-name|-namespace)$")


_SENTENCE_RE = re.compile(r"(?<=[。！？；])|(?<=[.!?;])\s+|\n")
_DONT_RE = re.compile(r"❌|\bdo not\b|\bdon't\b|\bnever\b|\bavoid\b|不要|别再|禁止|切勿|[?？]|\|\|\s*true")


def _whole_in_prose(command: str) -> bool:
    """Code in a sentence is a command to run when it is whole: arguments beyond a subcommand
    (`podman system reset`, `journalctl --vacuum-time=2d`), not a program and its verb (`helm upgrade`)
    or a command cut short (`kubectl apply -f`), nor a setting (`timeout = 900`)."""
    words = command.split()
    if _LONE_FLAG_RE.search(command) or _ASSIGNMENT_RE.match(command):
        return False
    return len(words) >= 3 or any(word.startswith("-") for word in words[1:])


def is_command_fence(block: Block, half: bool = False) -> bool:
    """A fence whose lines are commands to run: a shell or PowerShell block, a console transcript, or an
    unlabelled block whose lines are mostly command lines (with `half`, at least half of them: under a
    heading that quotes an error, what follows is its fix)."""
    if block.lang in vocab.SHELL_LANGS or block.lang in _COMMAND_FENCE_LANGS or _console_like(block):
        return True
    if block.lang:
        return False
    lines = [line.strip() for line in block.code.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines or len(lines) > 40 or any(labels.reads_as_error(line) for line in lines):
        return False  # an unlabelled block that prints an error is a log, whatever program it names
    commands = sum(1 for line in lines if is_command_line(line) and not _ASSIGNMENT_RE.match(line))
    return commands * 2 > len(lines) or (half and commands * 2 == len(lines))


def _command_paragraph(block: Block) -> list[str]:
    """The lines of a paragraph that is nothing but command lines (every line one, none a sentence)."""
    lines = [line.text.strip() for line in block.lines if line.text.strip()]
    if not lines or any("`" in line or labels.has_cjk(line) or line.endswith((".", "。", ":", "：")) for line in lines):
        return []
    commands: list[str] = []
    for line in lines:
        program = line.split()[1] if line.startswith("sudo ") and len(line.split()) > 1 else line.split()[0]
        if not is_command_line(line) or (program in _WORD_PROGRAMS and not _SHELL_SIGN_RE.search(line)) \
                or _PROSE_WORD_RE.search(_QUOTED_RE.sub("", line)) or _ASSIGNMENT_RE.match(line):
            return []
        commands.extend(command.command for command in split_commands(line, "bash"))  # `cmd  # note` -> cmd
    return commands


def _console_like(block: Block) -> bool:
    if block.lang:
        return False
    lines = [line for line in block.code.splitlines() if line.strip()]
    return bool(lines) and lines[0].lstrip().startswith("$ ")
