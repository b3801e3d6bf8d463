"""Which decision-tree nodes are commands, and what a label says beside its command.

Troubleshooting trees mix nodes to run (`运行 docker compose ps`, `curl -i
http://localhost:8080/health`) with nodes that describe (`nginx 启动失败`,
`nginx fails to start`) and nodes that pair a command with a note about it
(`ss -ltnp 查占用进程`). A node is offered as a command only when:

- its label, with `<br/>` and line breaks joined, holds a command: the whole
  label, the part after a run word (`运行 X`, `run X`), inline code, or the
  part between a note before it (`查看日志：`, `Check the port:`, a CJK lead-in)
  and a note after it (a CJK tail, `(…)`, ` # …`, ` — …`);
- its first word is a program: one operators run (kb.parse.vocab.COMMAND_PROGRAMS),
  one the same report runs in its shell blocks (`report_programs`), a script
  path, or a word followed by an option (`mc -v`); a bare program only after
  a run word;
- a shell accepts it (placeholders filled), and nothing is elided (`...`);
- it is not prose: no English sentence word outside quotes (`is`, `fails`,
  `returns`: vocab.TREE_PROSE_WORDS), and no note after it that says how
  things went (`失败`, `正常`: vocab.TREE_OUTCOME_WORDS) unless the note says
  what the command is for (`查…`, `定位…`: vocab.TREE_PURPOSE_WORDS); a note
  after the command holds nothing shaped like an argument (`certbot renew 加
  dry-run 验证` describes another command: `certbot renew` would not do what it says).

Anything else is a plain step: shown, never run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kb.parse import vocab
from kb.parse.flowchart import join_label
from kb.parse.shell import runnable

_CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
# a token of a note that is shaped like an argument (`dry-run`, `--force`, `a=b`, `/etc/x`): the note then
# describes a different command (`certbot renew 加 dry-run 验证`), it does not annotate this one
_ARGUMENT_SHAPED_RE = re.compile(r"(?:^|\s)(?:-{1,2}[A-Za-z]|[A-Za-z0-9_]+[-=/.][A-Za-z0-9_]|/[A-Za-z])")
_RUN_PREFIX_RE = re.compile(
    r"^\s*(?:" + "|".join(re.escape(w) for w in vocab.RUN_WORDS) + r")\s*[:：]?\s+(?=\S)", re.IGNORECASE)
_RUN_BEFORE_RE = re.compile(r"(?:" + "|".join(re.escape(w) for w in vocab.RUN_WORDS) + r")\s*[:：]?\s*$", re.IGNORECASE)
_INLINE_CODE_RE = re.compile(r"`([^`\n]+)`")
_LEAD_NOTE_RE = re.compile(r"^(?P<note>[^:：`]{1,60}?)\s*(?:：\s*|:\s+)(?P<rest>\S.*)$")  # 查看日志：journalctl …
_TAIL_NOTE_RE = re.compile(r"\s+(?:#\s|[—–]\s)(?P<note>.*)$|\s*[(（](?P<paren>[^()（）]*)[)）]\s*$")
_SCRIPT_RE = re.compile(r"^(?:\.{1,2}/[\w.@/-]+|/[\w.@/-]*/s?bin/[\w.@-]+|/[\w.@/-]+\.(?:sh|bash|py))$")
_PROGRAM_SHAPE_RE = re.compile(r"^[a-z][a-z0-9._+-]*$")
_OPTION_RE = re.compile(r"^--?[A-Za-z]")
_SHELLS = frozenset({"bash", "sh", "zsh"})
_WORD_RE = re.compile(r"""(?:[^\s'"\\]+|\\.?|'[^']*(?:'|$)|"(?:[^"\\]|\\.)*(?:"|$))+""", re.DOTALL)
_TOKEN_EDGES = "`'\"()（）[]:：,，"


@dataclass(frozen=True)
class NodeCommand:
    command: str
    note: str = ""  # what the label says beside the command (`查占用进程`), shown next to it


def report_programs(commands) -> frozenset[str]:
    """The programs a report runs in its shell blocks (the first word of each command there, `sudo` aside)."""
    found = set()
    for command in commands:
        words = command.split(None, 2)
        word = words[1] if words and words[0] == "sudo" and len(words) > 1 else (words[0] if words else "")
        if _PROGRAM_SHAPE_RE.match(word):
            found.add(word)
    return frozenset(found)


@lru_cache(maxsize=4096)
def node_command(label: str, programs: frozenset[str] = frozenset()) -> NodeCommand | None:
    """The command a node's label holds, with its note; None when the label is not a command.

    `programs`: what the node's own report runs in its shell blocks (report_programs), programs too.
    """
    text = " ".join(join_label(label).split()).strip()
    if not text or not _may_hold_a_command(text, programs):
        return None
    code = _INLINE_CODE_RE.search(text)
    if code:  # `docker ps` set as code: that is the command, the rest of the label its note
        before, after = text[:code.start()], text[code.end():]
        run = _RUN_BEFORE_RE.search(before)
        if run and not before[:run.start()].strip():
            before = ""  # `执行 \`npm run build\``: the run word is no note
        found = _command(code.group(1).strip(), programs, bare_ok=bool(run) or not (before + after).strip())
        return NodeCommand(found.command, _join_notes(_clean_note(before), _clean_note(after), found.note)) \
            if found else None
    prefixed = _RUN_PREFIX_RE.match(text)
    if prefixed:
        return _command(text[prefixed.end():], programs, bare_ok=True)
    found = _command(text, programs, bare_ok=False)
    if found or _CJK_RE.match(text) is None and not _LEAD_NOTE_RE.match(text):
        return found
    return _after_lead_note(text, programs)


def _may_hold_a_command(text: str, programs: frozenset[str]) -> bool:
    """A cheap first look (most labels are prose): some word could be a program, a script or an option."""
    for token in text.split():
        word = token.strip(_TOKEN_EDGES)
        if word in vocab.COMMAND_PROGRAMS or word in programs or _OPTION_RE.match(word) or _SCRIPT_RE.match(word):
            return True
    return False


def _after_lead_note(text: str, programs: frozenset[str]) -> NodeCommand | None:
    """A note before the command: `查看日志：journalctl -u api`, `Check the port: ss -ltnp`, `查看 docker ps 输出`."""
    labelled = _LEAD_NOTE_RE.match(text)
    if labelled:
        lead, rest = labelled.group("note"), labelled.group("rest")
    else:  # a CJK lead-in up to the first word without CJK
        words = text.split(" ")
        first = next((i for i, word in enumerate(words) if not _CJK_RE.search(word)), None)
        if first is None or first == 0:
            return None
        lead, rest = " ".join(words[:first]), " ".join(words[first:])
    run = _RUN_PREFIX_RE.match(rest)
    found = _command(rest[run.end():] if run else rest, programs, bare_ok=bool(run))
    return NodeCommand(found.command, _join_notes(_clean_note(lead), found.note)) if found else None


def _command(text: str, programs: frozenset[str], bare_ok: bool) -> NodeCommand | None:
    """`text` as a command and the note after it, or None when it is not a command (see the module docstring)."""
    text = text.strip().strip("`").strip()
    command, note = _split_tail_note(text)
    if not command or note and _ARGUMENT_SHAPED_RE.search(note) and not _tail_is_marked(text):
        return None
    if note and _says_an_outcome(note):
        return None
    words = _unquoted_words(command)
    if not words or "..." in command or "…" in command or "\n" in command or command.endswith(("?", "？")):
        return None  # elided, or a question (`npm or bun?`): not a command anyone runs
    if any(word.lower() in vocab.TREE_PROSE_WORDS for word in words[1:]):
        return None
    program_at = 1 if words[0] == "sudo" and len(words) > 1 else 0
    program, arguments = words[program_at], words[program_at + 1:]
    if not _is_program(program, arguments, programs):
        return None
    if not arguments and not bare_ok:
        return None
    if program in _SHELLS and arguments and arguments[-1] == "-c":
        return None  # `sh -c` names the technique; the command string is missing
    return NodeCommand(command, note) if runnable(command) else None


def _split_tail_note(text: str) -> tuple[str, str]:
    """`ss -ltnp 查占用进程` -> (`ss -ltnp`, `查占用进程`); `nginx -t (check syntax)` and ` # …` / ` — …` too."""
    marked = _TAIL_NOTE_RE.search(text)
    if marked and not _inside_quotes(text, marked.start()):
        return text[:marked.start()].rstrip(" :："), _clean_note(marked.group("note") or marked.group("paren") or "")
    for start, word in _word_spans(text):
        if _CJK_RE.search(word) and not word.startswith(("'", '"')):
            return text[:start].rstrip(" :：,，"), _clean_note(text[start:])
    return text, ""


def _tail_is_marked(text: str) -> bool:
    """A note set off by `#`, a dash or parentheses may hold any words: it is plainly not part of the command."""
    marked = _TAIL_NOTE_RE.search(text)
    return bool(marked) and not _inside_quotes(text, marked.start())


def _says_an_outcome(note: str) -> bool:
    if note.startswith(vocab.TREE_PURPOSE_WORDS):
        return False
    return any(word in note for word in vocab.TREE_OUTCOME_WORDS)


def _is_program(word: str, arguments: list[str], programs: frozenset[str]) -> bool:
    if word in vocab.COMMAND_PROGRAMS or word in programs or _SCRIPT_RE.match(word):
        return True
    # a word of a program's shape followed by an option (`mc -v`, `rclone --version`): no sentence reads so
    return bool(_PROGRAM_SHAPE_RE.match(word)) and any(_OPTION_RE.match(argument) for argument in arguments)


def _word_spans(text: str) -> list[tuple[int, str]]:
    """Words split at unquoted blanks, with where each starts (quotes kept in the words; an unclosed one runs on)."""
    return [(match.start(), match.group(0)) for match in _WORD_RE.finditer(text)]


def _unquoted_words(command: str) -> list[str]:
    return [word for _, word in _word_spans(command)]


def _inside_quotes(text: str, position: int) -> bool:
    quote = ""
    for i, char in enumerate(text[:position]):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"" and (i == 0 or text[i - 1] != "\\"):
            quote = char
    return bool(quote)


def _clean_note(note: str) -> str:
    return " ".join(note.split()).strip(" :：,，-—–")


def _join_notes(before: str, *after: str) -> str:
    """A note before the command and one after it, as the label reads: `查看 … 输出`."""
    tail = " ".join(note for note in after if note)
    return f"{before} … {tail}" if before and tail else before or tail
