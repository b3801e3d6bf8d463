r"""Find commit SHAs and commit messages where reports quote them.

`Commit \`02c3e18\``, `(commit 9f8e…)`, `**提交信息**: \`fix: …\``, and log lists
(`e5f0b6f - fix: …` in a code block or a Markdown list). A bare hex word is
only a SHA in a commit context, so container ids in logs are not mistaken.
"""

from __future__ import annotations

import re

_HEX = r"[0-9a-f]{7,40}"
_CONTEXT_RE = re.compile(rf"(?:commit|提交|sha|revision|rev|修复提交)\s*(?:id|hash)?\s*[:：#]?\s*[`(（]?\s*`?({_HEX})\b", re.IGNORECASE)
_INLINE_SHA_RE = re.compile(rf"`({_HEX})`")
_LOG_LINE_RE = re.compile(rf"^\s*(?:[-*+]\s+)?`?({_HEX})`?\s*(?:[-–—:|]\s*)?(\S.*)$")
_CONVENTIONAL_RE = re.compile(
    r"^(?:fix|feat|add|chore|docs|refactor|perf|test|tests|build|ci|revert|style|hotfix|update|remove|merge)"
    r"(?:\([^)]*\))?!?\s*[:：]\s*\S"
)
_COMMIT_WORD_RE = re.compile(r"commit|提交|\bsha\b", re.IGNORECASE)
_INLINE_CODE_RE = re.compile(r"`([^`]+)`")


def is_sha(word: str, in_commit_context: bool = False) -> bool:
    """7-40 hex characters; outside an explicit commit context they must mix letters and digits
    (so `1234567` or `deadbee` in prose are not taken for SHAs)."""
    word = word.lower()
    if not re.fullmatch(_HEX, word):
        return False
    return in_commit_context or len(word) >= 12 or (any(c.isdigit() for c in word) and any(c.isalpha() for c in word))


def shas_in_text(text: str) -> list[str]:
    """SHAs quoted in a commit context (a commit word nearby, or inline code on a commit line)."""
    found: list[str] = []
    for match in _CONTEXT_RE.finditer(text):
        _add(found, match.group(1), in_commit_context=True)
    if "`" not in text or _COMMIT_WORD_RE.search(text) is None:
        return found  # no inline code, or no commit word on any line
    for line in text.splitlines():
        if _COMMIT_WORD_RE.search(line):
            for match in _INLINE_SHA_RE.finditer(line):
                _add(found, match.group(1))
    return found


def _add(found: list[str], sha: str, in_commit_context: bool = False) -> None:
    sha = sha.lower()
    if is_sha(sha, in_commit_context) and sha not in found:
        found.append(sha)


def is_commit_message(text: str) -> bool:
    return _CONVENTIONAL_RE.match(text.strip()) is not None


def messages_in_text(text: str, commit_field: bool = False) -> list[str]:
    """Commit messages: inline code that reads as one, or a commit field's value."""
    out: list[str] = []
    for match in _INLINE_CODE_RE.finditer(text):
        candidate = match.group(1).strip()
        if is_commit_message(candidate) or (commit_field and not is_sha(candidate) and len(candidate) > 8):
            out.append(candidate)
    if commit_field and not out:
        plain = text.strip().strip("`").strip()
        if plain and not is_sha(plain) and len(plain) > 8 and not plain.startswith(("(", "（")):
            out.append(plain)
    return out


def log_list(lines: list[str]) -> list[tuple[str, str]]:
    """`sha - message` lines, when most non-empty lines of a block are such lines."""
    entries: list[tuple[str, str]] = []
    nonempty = [line for line in lines if line.strip()]
    for line in nonempty:
        match = _LOG_LINE_RE.match(line)
        if match and is_sha(match.group(1)):
            entries.append((match.group(1).lower(), match.group(2).strip().strip("`").strip()))
    if len(entries) >= max(1, (len(nonempty) + 1) // 2):
        return entries
    return []
