"""Errors a report quotes outside any write-up: what a reader would still note down as an error.

Narrative reports (a diary, a retrospective, a cheat sheet) quote errors without labelling a
section as one: a log block between two paragraphs, `Error: OCI runtime error: ...` in a
sentence, a timeline cell, a comment in a command block (`# 症状：psycopg2.OperationalError`),
error lines pasted as plain paragraphs under `Look for messages like:`. Each distinct error
quoted so becomes a card in the section that quotes it, unless a card already holds it. Its fix is
what follows it there (the reply in a thread, the commands after a diary's error line, the block a
`# 症状：` comment heads); where only a line or two of prose follows, a passage the report labels as
a fix wins when linking (kb.parse.linking).

Distinct means: not held by a card already (the same text, either way round, or up to an elision),
and not nearly all the words of one (`ENOSPC` in a sentence and the log line that prints it; a
prose mention met first takes the log's whole message when the log comes).
"""

from __future__ import annotations

import re

from kb.parse import labels, textsim, vocab
from kb.parse.blocks import Block, Section
from kb.parse.command_line import inline_commands, is_command_line
from kb.parse.errors import _code_looks_like_error, _printed_lines, _short, salient_line
from kb.parse.model import ErrorEntry
from kb.parse.normalize import mask

_TOKEN_RE = re.compile(r"\b[A-Z][a-z][A-Za-z0-9]*(?:Error|Exception)\b|\bE[A-Z]{3,}\b|\bERR_[A-Z_]+\b|\bE\d{4,5}\b|"
                       r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+(?:BackOff|Killed|Error)\b")
_COMMENT_LABEL_RE = re.compile(
    r"^\s*(?:#|//|--)\s*(?:❌\s*)?(?:症状|现象|错误|报错|错误信息|error|symptom|fails? with)\s*[:：]\s*(.+)$", re.IGNORECASE)
_COMMENT_RE = re.compile(r"^\s*(?:#|//)\s*(.*)$")
_CONFIG_RE = re.compile(r"^[\w.-]+\s*[=:]\s*\S+$")  # `pool_timeout=20`, `timeout: 10s`
_PATH_RE = re.compile(r"^[~.]?/?[\w.@-]+(?:/[\w.@-]+)+/?$|^[\w.-]+\.(?:md|ya?ml|json|toml|txt|log|conf|py|ts|js|sh)$")
_LEAD_WORDS = ("message", "messages", "error", "errors", "look for", "check for", "you will see", "you'll see", "shows",
               "output", "报错", "错误", "日志", "输出", "显示", "提示")
_MAX_QUOTE = 300
_QUOTE_CHARS_RE = re.compile("[`\"“「']")
_GENERIC_RE = re.compile(r"^\W*(?:exit(?:ed)?\s+(?:with\s+)?(?:code|status)\s*\d+|errors?|failed|failure|fatal|"
                         r"[45]\d\d(?:\s+errors?)?)\W*$", re.IGNORECASE)  # a word about an error, not one
_SAME = 0.8  # share of the shorter message's words in the other: the same error (`ENOSPC` in prose and in a log)
_COMMIT_RE = re.compile(r"^(?:[0-9a-f]{7,40}\s*[-:]?\s*)?(?:fix|feat|chore|docs|refactor|perf|test|build|ci|style|revert)"
                        r"(?:\([^)]*\))?!?:\s", re.IGNORECASE)  # a commit message, not an error
_STRONG_RE = re.compile(r"\b[A-Z][a-z][A-Za-z0-9]*(?:Error|Exception)\b|\bE[A-Z]{3,}\b|\bERR_[A-Z_]+\b|"
                        r"\b[45]\d\d\b|\bexit(?:ed)?\s+(?:with\s+)?(?:code|status)|[A-Z][a-z]+[A-Z]\w*(?:BackOff|Killed|Pull)")


def quoted_errors(root: Section, cards: list[ErrorEntry]) -> list[ErrorEntry]:
    """Cards for the distinct errors the report quotes that `cards` do not hold yet, in document order."""
    held = [_plain(text) for card in cards for text in (card.title, card.message, card.log) if text.strip()]
    known: list[tuple[frozenset[str], ErrorEntry | None]] | None = None  # the cards' words, once a quote needs them
    carded = {card.section for card in cards if card.sources and card.sources[0]["kind"] == "section"}
    found: list[ErrorEntry] = []
    for section in root.walk():
        leads: dict[int, bool] = {}  # per block: does a lead-in head the run of pasted lines it ends (_pasted_line)
        for index, block in enumerate(section.blocks):
            if section.path() in carded and not (block.kind == "code" and _another_log(section, index)):
                continue  # a write-up that has its card quotes that error again (its diagnosis, more lines)
            for message, log in _quotes(section, index, block, leads):
                plain = _plain(message)
                mentioned = _mentioned(found, plain) if block.kind == "code" else None
                if mentioned is not None:  # `ERR_X` in a sentence, then the log that prints it
                    mentioned.title, mentioned.message, mentioned.log = _short(message), message[:500], log
                    held.extend({plain, _plain(log)})
                    continue
                if len(plain) < 4 or _held(plain, held):
                    continue
                words = _words(message)
                if known is None:
                    known = [(_words(card.message), None) for card in cards]
                same = next((entry for seen, entry in known if textsim.containment(words, seen) >= _SAME), False)
                if same is not False:
                    continue
                held.extend({plain, _plain(log)})
                entry = ErrorEntry(
                    title=_lead_title(section, index) or _short(message), message=message[:500], log=log,
                    section=section.path(), line=block.line,
                    symptom=_context(section, index, block),
                    sources=[{"kind": "quote", "section": section.path(), "line": block.line}])
                entry.fix, said = _what_follows(section, index)
                if block.kind == "code" and log == message and any(
                        _COMMENT_LABEL_RE.match(line) for line in block.code.splitlines()):
                    entry.fix, said = block.markdown(), True  # `# 症状：X` over the commands that deal with it
                entry.fix_inferred = not said  # unless the report says fix here, a passage labelled as one wins
                known.append((words, entry))
                found.append(entry)
    return found


_MAX_CONTEXT = 600


def _context(section: Section, index: int, block: Block) -> str:
    """What the report says around the quote, for the card's symptom: the sentence that quotes it and
    the paragraph before (a diary's "Traefik restarted and hung; every site 504" over its error line),
    or the paragraphs that introduce a log (the words a person would use to describe it)."""
    parts = [block.text.strip()] if block.kind in ("para", "item") else []
    for before in reversed(section.blocks[:index]):
        if before.kind == "code" or len(parts) >= 2:
            break
        if before.kind in ("para", "item"):
            parts.insert(0, before.text.strip())
    return "\n\n".join(parts)[:_MAX_CONTEXT]


def _mentioned(found: list[ErrorEntry], plain: str) -> ErrorEntry | None:
    """A card made from a prose mention (its log is only its words) that this longer printed line holds."""
    for entry in found:
        words = _plain(entry.message)
        if entry.log == entry.message and len(words) >= 4 and words in plain and len(plain) > len(words):
            return entry
    return None


def _lead_title(section: Section, index: int) -> str:
    """`报错二，重新入组后提交位点失败：` right above a log block: the reader's name for that error (a bare
    field label such as `**Error log**:` names nothing)."""
    before = section.blocks[index - 1] if index else None
    if section.blocks[index].kind != "code" or before is None or before.kind != "para" or len(before.lines) != 1:
        return ""
    text = before.text.strip()
    if not text.endswith((":", "：")) or len(text) > 60 or labels.field_role(text.rstrip(":：").replace("*", "")):
        return ""
    return text.rstrip(":：").strip()


def rows_into_quotes(cards: list[ErrorEntry], quotes: list[ErrorEntry]) -> list[ErrorEntry]:
    """A summary table's row that names in words an error the report quotes elsewhere (`| Prometheus
    数据目录锁 | 停掉重复实例 |` over the thread that pasted its log) is that error: one card, with the
    row's name as its title and both places as its sources. Cards keep their order; quotes come after.
    (A row naming a written-up error merges with it earlier, kb.parse.errors.merge_errors.)"""
    kept: list[ErrorEntry] = []
    for card in cards:
        quote = _quote_named_by(card, quotes) if card.sources[0]["kind"] == "table" and not card.printed else None
        if quote is None:
            kept.append(card)
            continue
        quote.title = card.title
        quote.root_cause = quote.root_cause or card.root_cause
        quote.sources = card.sources + quote.sources
        quote.commits = quote.commits + [ref for ref in card.commits if ref not in quote.commits]
        quote.fix = f"{card.fix}\n\n{quote.fix}".strip() if card.fix and card.fix not in quote.fix else quote.fix
    return kept + quotes


def _quote_named_by(row: ErrorEntry, quotes: list[ErrorEntry]) -> ErrorEntry | None:
    name = textsim.tokens(row.title)
    if len(name) < 2:
        return None
    best: tuple[float, ErrorEntry] | None = None
    for quote in quotes:
        text = textsim.tokens("\n".join((quote.title, quote.message, quote.symptom, quote.fix)))
        share = len(name & text) / len(name)
        if share >= 0.6 and len(name & text) >= 3 and (best is None or share > best[0]):
            best = (share, quote)
    return best[1] if best else None


def _words(message: str) -> frozenset[str]:
    """A message's words with the parts that vary between machines masked (times, ids, numbers)."""
    return textsim.tokens(mask(message))


_MAX_FIX = 1500


def _what_follows(section: Section, index: int) -> tuple[str, bool]:
    """What the report says after the quote, in its section, until the next error it quotes: the reply
    in a thread, the commands after a diary's error line; a sentence that quotes an error goes on to say
    what was done about it ("... so we raised max_user_watches"), and a table row has its other cells.
    True beside it when that text labels a fix (`**Fix**:`), holds commands to run or goes on past one
    block (what was done next); a lone line after it is only a guess, and a fix the report labels elsewhere
    wins (kb.parse.linking)."""
    quoting = section.blocks[index]
    parts: list[str] = [quoting.markdown()] if quoting.kind in ("para", "item", "table") else []
    said = False
    taken = 0  # blocks taken after the quote: two or more are what was done next
    for block in section.blocks[index + 1:]:
        if block.kind == "code" and _code_looks_like_error(block):
            break
        if block.kind in ("para", "item") and labels.quoted_messages(block.text) and parts:
            break
        parts.append(block.markdown())
        taken += 1
        said = said or taken >= 2 or (block.kind == "code" and block.lang in vocab.SHELL_LANGS) or any(
            labels.field_role(line.label) in ("fix", "answer") for line in block.lines if line.label) or (
            block.kind in ("para", "item") and bool(inline_commands(block.text)))
        if sum(len(part) for part in parts) > _MAX_FIX:
            break
    return "\n\n".join(parts).strip()[:_MAX_FIX], said


_SAME_ERROR_ROLES = ("diagnosis", "cause", "fix", "before", "after", "answer", "commit", "lesson")


def _another_log(section: Section, index: int) -> bool:
    """A log block in a write-up that has its card is another error (a thread of several, `**Missing
    Cloudinary credentials:**` + its block), unless it stands under the write-up's diagnosis, cause or
    fix (`**诊断**: 查看 journal：` + the journal of the same failure)."""
    for before in reversed(section.blocks[:index]):
        if before.kind != "para":
            continue
        for line in reversed(before.lines):
            if line.label and (line.bold or labels.field_role(line.label)):
                return labels.field_role(line.label) not in _SAME_ERROR_ROLES
    return True


def _held(plain: str, held: list[str]) -> bool:
    """The same error as one already carded: one text holds the other, or they agree up to an elision
    (`Multi-Attach error for volume "pvc-09..."` and the whole line)."""
    for card in held:
        if plain in card or (len(card) >= 12 and card in plain):
            return True
        for text, other in ((plain, card), (card, plain)):
            cut = re.split(r"\.\.\.|…", text, maxsplit=1)[0].strip()
            if cut != text and len(cut) >= 12 and cut in other:
                return True
    return False


def _quotes(section: Section, index: int, block: Block, leads: dict[int, bool] | None = None):
    """(message, log) pairs a block quotes (leads: _pasted_line's answers so far in this section)."""
    if block.kind == "code":
        if _code_looks_like_error(block) or _printed_lines(block):
            line = salient_line(block.code)
            if labels.reads_as_error(line) and not _COMMIT_RE.match(line):
                yield line, block.code.strip()
                return
        for raw in block.code.splitlines():
            labelled = _COMMENT_LABEL_RE.match(raw)
            if labelled:
                for message in _messages(labelled.group(1).strip().strip("\"'“”")):
                    yield message, message
                continue
            comment = _COMMENT_RE.match(raw)
            if comment:  # `# ❌ "ModuleNotFoundError: No module named 'x'"`
                for quote in labels.quoted_messages(comment.group(1)):
                    if _usable(quote):
                        yield quote, quote
        return
    if block.kind in ("para", "item"):
        if block.kind == "para" and _pasted_line(section, index, block, leads):
            yield block.text.strip(), block.text.strip()
            return
        if not _QUOTE_CHARS_RE.search(block.text):
            return
        for quote in labels.quoted_messages(block.text):
            if _usable(quote):
                yield quote, quote
    elif block.kind == "table":
        for row in block.rows:
            for cell in (cell for cell in row if _QUOTE_CHARS_RE.search(cell)):
                for quote in labels.quoted_messages(cell):
                    if _usable(quote):
                        yield quote, quote


def _messages(text: str) -> list[str]:
    text = text.strip()
    if _usable(text):
        return [text]
    return [quote for quote in labels.quoted_messages(text) if _usable(quote)]


def _usable(quote: str, strict: bool = True) -> bool:
    """An error quoted in prose, not a command, a path, a config line or an error code alone in words.
    Not strict: a line a lead-in already calls a message need only read as one."""
    quote = quote.strip()
    if not quote or len(quote) > _MAX_QUOTE or _COMMIT_RE.match(quote) or _GENERIC_RE.match(quote):
        return False
    if not (labels.reads_as_error(quote) if strict else labels.reads_as_message(quote)):
        return False
    strong = _STRONG_RE.search(quote)
    if not strong and (len(quote.split()) < 3 or labels.has_cjk(quote)):
        return False  # `[Database] CRITICAL`, `error`: a word about errors; `显示 unhealthy`: a note
    if _PATH_RE.match(quote) or (_CONFIG_RE.match(quote) and not _TOKEN_RE.search(quote)):
        return False
    return not is_command_line(quote.lstrip("$ "))


def _pasted_line(section: Section, index: int, block: Block, leads: dict[int, bool] | None = None) -> bool:
    """A one-line paragraph that is an error line pasted without a fence, under a lead-in that says so
    (`Look for messages like:`, `报错如下：`, or another such line right above it)."""
    if len(block.lines) != 1 or block.depth:
        return False
    text = block.text.strip()
    if not labels.reads_as_message(text) or not _usable(text, strict=False) or "`" in text \
            or text.endswith(("。", ".")) and not labels.has_error_token(text):
        return False
    return _lead_in_above(section.blocks, index - 1, {} if leads is None else leads)


def _lead_in_above(blocks: list[Block], start: int, leads: dict[int, bool]) -> bool:
    """Walking up from blocks[start] over pasted lines: is the first other paragraph a lead-in? Each block's
    answer is kept in `leads`, so a section of thousands of pasted lines (a log pasted as paragraphs) is walked
    once, not once per line."""
    walked: list[int] = []
    at, answer = start, False
    while at >= 0:
        if at in leads:
            answer = leads[at]
            break
        before = blocks[at]
        if before.kind != "para" or before.depth:
            break
        lead = before.text.strip()
        if len(before.lines) == 1 and labels.reads_as_message(lead) and _usable(lead, strict=False) \
                and not lead.endswith((":", "：")):
            walked.append(at)  # another pasted line of the same list
            at -= 1
            continue
        answer = lead.endswith((":", "：")) and labels.matches_any(lead, _LEAD_WORDS)
        walked.append(at)
        break
    for index in walked:
        leads[index] = answer
    return answer


def _plain(text: str) -> str:
    return " ".join(text.replace("`", "").lower().split())
