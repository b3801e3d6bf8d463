"""Flatten markdown-it-py's token stream into a list of blocks, then a section tree.

Extraction wants "what came after what under which heading", not a render
tree. So each paragraph (split into its lines, with any leading bold label
separated out), code fence, table and list item becomes one Block, in document
order, and headings cut the stream into a tree of Sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.token import Token

_MD = MarkdownIt("commonmark", {"html": False}).enable("table").disable("html_block").disable("html_inline")

# Characters at which an enabled inline rule can fire (newline, escape, backticks, emphasis, link,
# image, autolink, entity). Text without any of them is one text token, however long: most
# paragraphs, table cells and headings of a report. Skipping markdown-it's character-by-character
# inline tokenizer for those halves its cost (ingest parses thousands of reports).
_INLINE_MARKUP_RE = re.compile(r"[\n\\`*_\[<&]")
# Brackets alone are plain text too when no link can come of them: a link needs `](` or, for `[label]`,
# a reference definition somewhere in the document (`- [ ] task` items, `[INFO]` log words).
_LINKLESS_RE = re.compile(r"[\n\\`*_<&]|\]\(|!\[")


# `**Label**: value` — a bold run opening the text, then plain text — is most of the rest (report
# labels). For it, the tokens markdown-it's emphasis rule makes are built directly, when its
# delimiter rules (markdown_it's own character tests) make the two `**` runs a pair; anything else
# goes through markdown-it.
_LABEL_RE = re.compile(r"\*\*([^\n\\`*_\[\]<&!]+)\*\*([^\n\\*_\[\]<&!]*)")


def _punct(char: str) -> bool:
    return isMdAsciiPunct(ord(char)) or isPunctChar(char)


def _label_tokens(content: str) -> list[Token] | None:
    match = _LABEL_RE.fullmatch(content)
    if match is None:
        return None
    label, rest = match.group(1), match.group(2)
    if isWhiteSpace(ord(label[0])):
        return None  # the first `**` cannot open
    last, after = label[-1], rest[0] if rest else " "
    if isWhiteSpace(ord(last)) or (_punct(last) and not (isWhiteSpace(ord(after)) or _punct(after))):
        return None  # the second `**` cannot close
    after_label = _code_spans(rest, first_text=True)
    if after_label is None:
        return None
    lead = Token("text", "", 0)
    opening = Token("strong_open", "strong", 1, markup="**")
    inner = Token("text", "", 0, content=label, level=1)
    closing = Token("strong_close", "strong", -1, markup="**")
    return [lead, opening, inner, closing, *after_label]


def _code_spans(text: str, first_text: bool = False) -> list[Token] | None:
    """Plain text with `code` spans (single backticks, in pairs) as markdown-it's tokens: a text token
    for each non-empty run of text, a code_inline for each span. With first_text the first text token
    is made even when empty (after a bold label, markdown-it's emptied delimiter token stands there)."""
    parts = text.split("`")
    if len(parts) % 2 == 0 or "``" in text:
        return None  # an odd backtick, or a run of two
    tokens: list[Token] = []
    for number, part in enumerate(parts):
        if number % 2:
            if part.startswith(" ") and part.endswith(" ") and part.strip(" "):
                part = part[1:-1]
            tokens.append(Token("code_inline", "code", 0, markup="`", content=part))
        elif _MARKUP_CHAR_RE.search(part):
            return None
        elif part or (first_text and not number):
            tokens.append(Token("text", "", 0, content=part))
    return tokens


_MARKUP_CHAR_RE = re.compile(r"[\\`*_\[\]<&!]")


def _label_lines(content: str) -> list[Token] | None:
    """Lines that are each a `**Label**: value` line or plain text, either with `code` spans
    (`**Project**: x` / `**Date**: y`, `**Root cause**:` then its sentence, `**Commit**: ``fix: x```),
    joined by soft breaks: each bold pair and each code span lies within its line."""
    tokens: list[Token] = []
    for number, line in enumerate(content.split("\n")):
        if not line or line[0] in " \t" or line[-1] in " \t":
            return None  # markdown-it drops those spaces, or makes a hard break of them
        if number:
            tokens.append(Token("softbreak", "br", 0))
        if line.startswith("**"):
            label = _label_tokens(line)
            if label is None:
                return None
            tokens.extend(label)
        else:
            plain = _code_spans(line)
            if plain is None:
                return None
            tokens.extend(plain)
    return tokens


def _inline(state) -> None:
    """markdown-it's core "inline" rule, with plain text turned into its one text token directly."""
    md = state.md
    linkless = "references" not in state.env
    for token in state.tokens:
        if token.type != "inline":
            continue
        if token.children is None:
            token.children = []
        content = token.content
        if content and (_INLINE_MARKUP_RE.search(content) is None
                        or (linkless and _LINKLESS_RE.search(content) is None)):
            text = Token("text", "", 0)
            text.content = content
            token.children.append(text)
        else:
            label = _label_lines(content) if "**" in content or "`" in content else None
            if label is not None:
                token.children.extend(label)
            else:
                md.inline.parse(content, md, state.env, token.children)


_MD.core.ruler.at("inline", _inline)

# markdown-it's text rule takes plain text up to the next of 23 "terminator" characters, where any
# inline rule might fire; at each one, every rule is tried in turn before the character joins the text
# as well. Of those rules, ours enables only these, each starting at one of these characters (and a
# link label ends at "]", which the text rule must stop at too): `-`, `:`, `#`, `=` and the rest,
# common in reports, then cost nothing, and the same text comes out (the golden ingest test checks).
_INLINE_RULES = ["text", "newline", "escape", "backticks", "emphasis", "link", "image", "autolink", "entity"]
assert _MD.inline.ruler.get_active_rules() == _INLINE_RULES and not _MD.options["linkify"], "review the terminators"
_MD.inline.terminator_re = re.compile(r"[\n\\`*_\[\]!<&]")

_TASK_RE = re.compile(r"^\[([ xX✓✔])\]\s+")


@dataclass
class Line:
    """One line of a paragraph or list item. `label` is set for `**Label**: value` lines."""

    text: str  # plain text, inline code kept in backticks
    label: str = ""
    value: str = ""  # text after the label and its colon
    bold_only: bool = False  # the whole line is bold (a label on its own line)
    bold: bool = False  # the label was written in bold (plain `Word:` labels count only if known)


@dataclass
class Block:
    kind: str  # "para" | "code" | "table" | "item"
    line: int
    lines: list[Line] = field(default_factory=list)
    lang: str = ""
    code: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    depth: int = 0  # list nesting depth (0 = not in a list)
    checked: bool | None = None  # task-list state for items
    ordered: bool = False
    number: int | None = None  # an ordered item's number as written (`3.` -> 3): a list split by a fence goes on

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def markdown(self) -> str:
        """Markdown of this block, for rendering a field back to a person."""
        if self.kind == "code":
            return f"```{self.lang}\n{self.code.rstrip()}\n```"
        if self.kind == "table":
            head = "| " + " | ".join(self.header) + " |"
            sep = "|" + "---|" * len(self.header)
            body = ["| " + " | ".join(row) + " |" for row in self.rows]
            return "\n".join([head, sep, *body])
        if self.kind == "item":
            indent = "  " * max(self.depth - 1, 0)
            box = "" if self.checked is None else ("[x] " if self.checked else "[ ] ")
            return f"{indent}- {box}{self.text}"
        return self.text


@dataclass
class Section:
    title: str
    level: int
    line: int
    blocks: list[Block] = field(default_factory=list)
    children: list["Section"] = field(default_factory=list)
    parent: "Section | None" = field(default=None, repr=False)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def path(self) -> str:
        titles = []
        node: Section | None = self
        while node is not None and node.level > 0:
            titles.append(node.title)
            node = node.parent
        return " / ".join(reversed(titles))

    def outline(self) -> list[dict]:
        return [{"title": c.title, "level": c.level, "line": c.line, "children": c.outline()} for c in self.children]


def parse_sections(text: str) -> Section:
    """Parse Markdown into a root Section (level 0) holding the heading tree."""
    tokens = _MD.parse(text)
    root = Section(title="", level=0, line=1)
    stack = [root]
    current = root
    for block_or_heading in _iter_blocks(tokens):
        if isinstance(block_or_heading, tuple):
            level, title, line = block_or_heading
            while stack[-1].level >= level:
                stack.pop()
            section = Section(title=title, level=level, line=line, parent=stack[-1])
            stack[-1].children.append(section)
            stack.append(section)
            current = section
        else:
            current.blocks.append(block_or_heading)
    return root


def _iter_blocks(tokens: list[Token]):
    depth = 0
    ordered_stack: list[bool] = []
    pending_item: Block | None = None  # a list item waiting for its first paragraph
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        line = (tok.map[0] + 1) if tok.map else 0
        if tok.type == "heading_open":
            inline = tokens[i + 1]
            yield (int(tok.tag[1:]), _plain(inline).strip(), line)
            i += 3
            continue
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            ordered_stack.append(tok.type == "ordered_list_open")
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            ordered_stack.pop()
        elif tok.type == "list_item_open":
            ordered = ordered_stack[-1] if ordered_stack else False
            number = int(tok.info) if ordered and tok.info.isdigit() else None
            pending_item = Block(kind="item", line=line, depth=depth, ordered=ordered, number=number)
        elif tok.type == "list_item_close":
            if pending_item is not None:  # an item with no paragraph (e.g. only a code block or empty)
                yield pending_item
                pending_item = None
        elif tok.type == "inline" and i > 0 and tokens[i - 1].type == "paragraph_open":
            lines = _lines(tok)
            if pending_item is not None:
                item = pending_item
                pending_item = None
                if lines:
                    match = _TASK_RE.match(lines[0].text)
                    if match:
                        item.checked = match.group(1) != " "
                        lines[0] = _relabel(lines[0].text[match.end():])
                item.lines = lines
                yield item
            else:
                yield Block(kind="para", line=line, lines=lines, depth=depth)
        elif tok.type in ("fence", "code_block"):
            if pending_item is not None:
                yield pending_item
                pending_item = None
            info = (tok.info or "").split()  # a whitespace-only info string (```\t) has no language
            lang = info[0].lower() if info else ""
            yield Block(kind="code", line=line, lang=lang, code=tok.content, depth=depth)
        elif tok.type == "table_open":
            j, header, rows = _table(tokens, i)
            yield Block(kind="table", line=line, header=header, rows=rows, depth=depth)
            i = j
        i += 1


def _table(tokens: list[Token], start: int) -> tuple[int, list[str], list[list[str]]]:
    header: list[str] = []
    rows: list[list[str]] = []
    row: list[str] | None = None
    in_head = False
    i = start
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "table_close":
            break
        if tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close" and row is not None:
            if in_head:
                header = row
            else:
                rows.append(row)
            row = None
        elif tok.type == "inline" and row is not None:
            row.append(_plain(tok).strip())
        i += 1
    return i, header, rows


def _plain(inline: Token) -> str:
    return "".join(_render_children(inline.children or []))


def _render_children(children: list[Token]) -> list[str]:
    out: list[str] = []
    for child in children:
        if child.type == "text":
            out.append(child.content)
        elif child.type == "code_inline":
            out.append(f"`{child.content}`")
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "image":
            out.append(child.content)
        # strong/em/link open/close markers carry no text
    return out


def _lines(inline: Token) -> list[Line]:
    """Split an inline token into lines, separating a leading bold label on each."""
    lines: list[Line] = []
    current: list[Token] = []
    for child in (inline.children or []):
        if child.type in ("softbreak", "hardbreak"):
            lines.append(_line(current))
            current = []
        else:
            current.append(child)
    lines.append(_line(current))
    return [line for line in lines if line.text.strip() or line.label]


_PLAIN_LABEL_RE = re.compile(r"^\s*([^\s:：`*][^:：`]{0,24}?)\s*[:：]\s*(.*)$")


def _line(children: list[Token]) -> Line:
    text = "".join(_render_children(children)).strip()
    # A bold run at the start is a label candidate: **根本原因**: ... / **Fix** / **修复后代码** (Commit `x`):
    start = 0
    while start < len(children) and children[start].type == "text" and not children[start].content.strip():
        start += 1
    if start < len(children) and children[start].type == "strong_open":
        end = start + 1
        while end < len(children) and children[end].type != "strong_close":
            end += 1
        label = "".join(_render_children(children[start + 1:end])).strip()
        rest = "".join(_render_children(children[end + 1:])).strip()
        if label.endswith((":", "：")):
            label = label[:-1].strip()
            return Line(text=text, label=label, value=rest, bold=True)
        if not rest:
            return Line(text=text, label=label, value="", bold_only=True, bold=True)
        if rest.startswith((":", "：")):
            return Line(text=text, label=label, value=rest[1:].strip(), bold=True)
        if rest.startswith(("(", "（")) and rest.rstrip().endswith((":", "：", ")", "）")):
            # **修复后代码** (Commit `02c3e18`):  -> label with an annotation, content follows
            value = rest.rstrip()
            value = value[:-1].strip() if value.endswith((":", "：")) else value
            return Line(text=text, label=label, value=value, bold=True)
        return Line(text=text)
    return _relabel(text)


def _relabel(text: str) -> Line:
    """Plain `Label: value` lines; whether the label means anything is decided later."""
    match = _PLAIN_LABEL_RE.match(text)
    if match and not match.group(1).strip().startswith(("http", "-")):
        return Line(text=text, label=match.group(1).strip(), value=match.group(2).strip())
    return Line(text=text)
