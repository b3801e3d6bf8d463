"""A bilingual glossary of operations words, to match a Chinese description of an English error
and the reverse. Query-side only: each hit adds the other language's words at a lower weight
(kb/search/ranking.py, read_query).

The words are data, not code: `glossary.json` beside this module (shipped with the package) holds
the general vocabulary Chinese and English ops teams write in post-mortems and chat, grouped by
subject: infrastructure, containers and Kubernetes, databases, queues, CI/CD, web servers, TLS,
DNS, cloud, git, package managers, runtime errors and the usual ways of saying a thing fails. Keep
entries precise: a translation that is too generic (问题 -> "error issue problem") makes unrelated
reports match. tests/test_glossary.py checks the tables (no key written twice, Chinese keys all
Chinese). A team adds its own words (service names, internal jargon, either language) in
`glossary.toml` at the root of its KB, which search reads beside the bundled words (`for_kb`):

    # a key found in a paste adds its words to what search looks up
    pgw = "payments gateway 支付网关"
    "支付网关" = "payments gateway pgw"

    [jargon]                      # tables only group entries
    "red button" = "kill switch feature flag"

Chinese keys are found anywhere in a run of Chinese text, longest first: a key inside a longer
one found there says less than it (分配 in 已被分配) and is not counted; `zh_whole` holds words that
are no ops term but contain one (表 in 表示, 包 in 包括), so that the shorter key is not counted there
either. English keys are words or phrases, matched after lowering and splitting identifiers
(CrashLoopBackOff -> crash loop back off), the longest phrase first, with plain English endings
(-s, -es, -ed, -ing) tried when a word itself is not a key. `en_zh` leaves out everyday words of an
English write-up (server, step, production, update): their Chinese would only dilute a paste.
The results are remembered per Chinese run and per word sequence: expand costs microseconds.
(JSON, not TOML, for the bundled words: it loads in about 2 ms, where tomllib takes 30 ms for them.)
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from kb.parse.textsim import CJK_RUN
from kb.store.knowledge_base import KBError
from kb.parse.lazy_re import lazy

DATA = Path(__file__).with_name("glossary.json")
TEAM_FILE = "glossary.toml"  # at the root of a KB

_CJK_RE = lazy(CJK_RUN)  # one pattern string with textsim and ranking: compiled once
_CHINESE_KEY_RE = lazy(CJK_RUN)
_WORD_RE = lazy(r"[A-Za-z][A-Za-z0-9]*")
_CAMEL_RE = lazy(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


class GlossaryError(KBError):
    """A team glossary that cannot be read: the message names the file and what is wrong, in one line."""


class Glossary:
    """Chinese keys with their English words, English keys with their Chinese words, and the Chinese
    words that only hold a key; `expand` gives the words a text's keys add."""

    def __init__(self, zh_en: dict[str, str], zh_whole: dict[str, str], en_zh: dict[str, str]) -> None:
        self.zh_en, self.zh_whole, self.en_zh = zh_en, zh_whole, en_zh
        # English keys are looked up as words: "read-only" and "read only" are the same key
        self._en = {" ".join(key.lower().replace("-", " ").split()): value for key, value in en_zh.items()}
        self._en_phrase = max((len(key.split()) for key in self._en), default=1)
        # Chinese: one table of every key with its words, and the longest key (how far a scan looks ahead)
        self._zh = {**zh_en, **{key: value for key, value in zh_whole.items() if key not in zh_en}}
        self._zh_longest = max((len(key) for key in self._zh), default=1)
        self.chinese_keys = lru_cache(maxsize=8192)(self._chinese_keys)
        self._english_words = lru_cache(maxsize=4096)(self._english_sequence)
        self._en_word = lru_cache(maxsize=16384)(self._english_word)

    def with_words(self, words: dict[str, str]) -> Glossary:
        """This glossary and a team's words (a key of theirs replaces the bundled one)."""
        zh = {key: value for key, value in words.items() if _CJK_RE.search(key)}
        en = {key: value for key, value in words.items() if key not in zh}
        return Glossary({**self.zh_en, **zh}, self.zh_whole, {**self.en_zh, **en})

    def expand(self, text: str) -> str:
        """Words of the other language for the glossary entries found in text."""
        extra: list[str] = []
        for run in _CJK_RE.findall(text) if not text.isascii() else ():
            extra.extend(words for _, words in self.chinese_keys(run) if words)
        extra.extend(self._english(text))
        return " ".join(dict.fromkeys(extra))

    def _chinese_keys(self, run: str) -> tuple[tuple[str, str], ...]:
        """The keys found in one run of Chinese text, with their English words (a description repeats its
        runs). A key inside a longer key found there says less than it (分配 in 已被分配): only the longer
        counts; a word of zh_whole stops the keys inside it and adds its own words, if any."""
        found = []
        n = len(run)
        for i in range(n):
            for j in range(min(n, i + self._zh_longest), i, -1):
                if run[i:j] in self._zh:
                    found.append((i, j))
                    break  # the longest key starting here
        out = []
        end = 0
        for i, j in found:
            if j <= end:
                continue  # inside the longer key before it
            end = j
            out.append((run[i:j], self._zh[run[i:j]]))
        return tuple(out)

    def _english(self, text: str) -> list[str]:
        words: list[str] = []
        for match in _WORD_RE.finditer(text):
            token = match.group(0)
            lower = token.lower()
            if token.islower() or token.isupper() or token[1:].islower():
                words.append(lower)
                continue
            parts = [part.lower() for part in _CAMEL_RE.findall(token)]
            words.append(lower)  # an identifier whole (OOMKilled) and in its parts (oom killed)
            words.extend(parts)
        return list(self._english_words(tuple(words)))

    def _english_sequence(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """The Chinese of each word, or of the longest phrase starting at it (state lock, not state and lock)."""
        out = []
        end = 0
        for i in range(len(words)):
            if i < end:
                continue  # inside the phrase before it
            for size in range(min(self._en_phrase, len(words) - i), 1, -1):
                phrase = self._en.get(" ".join(words[i:i + size]))
                if phrase:
                    out.append(phrase)
                    end = i + size
                    break
            else:
                chinese = self._en_word(words[i])
                if chinese:
                    out.append(chinese)
        return tuple(out)

    def _english_word(self, word: str) -> str:
        """The Chinese of a word, or of its stem when the word has a plain English ending."""
        found = self._en.get(word)
        if found is not None or len(word) <= 3:
            return found or ""
        for stem in _stems(word):
            found = self._en.get(stem)
            if found is not None:
                return found
        return ""


def _stems(word: str) -> list[str]:
    out = []
    if word.endswith("ies"):
        out.append(word[:-3] + "y")
    elif word.endswith("es"):
        out += [word[:-2], word[:-1]]
    elif word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])
    elif word.endswith("ied"):
        out.append(word[:-3] + "y")
    elif word.endswith("ed"):
        out += [word[:-2], word[:-1]]
        if word[-3] == word[-4]:
            out.append(word[:-3])  # stopped -> stop
    elif word.endswith("ing"):
        out += [word[:-3], word[:-3] + "e"]
        if word[-4] == word[-5]:
            out.append(word[:-4])  # running -> run
    return out


def _bundled() -> Glossary:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    tables = {name: {key: value for section in data[name].values() for key, value in section.items()}
              for name in ("zh_en", "zh_whole", "en_zh")}
    return Glossary(tables["zh_en"], tables["zh_whole"], tables["en_zh"])


BUNDLED = _bundled()
ZH_EN, ZH_WHOLE, EN_ZH = BUNDLED.zh_en, BUNDLED.zh_whole, BUNDLED.en_zh
expand = BUNDLED.expand

_team_cache: dict[str, tuple[tuple[int, int], Glossary]] = {}


def for_kb(root: Path | str) -> Glossary:
    """The bundled glossary with the words of the KB's own `glossary.toml`, if it has one (read again
    when the file changes). A file that cannot be read raises GlossaryError naming it."""
    path = Path(root) / TEAM_FILE
    try:
        stat = path.stat()
    except OSError:
        return BUNDLED
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _team_cache.get(str(path))
    if cached and cached[0] == key:
        return cached[1]
    merged = BUNDLED.with_words(read_team_words(path))
    _team_cache[str(path)] = (key, merged)
    return merged


def read_team_words(path: Path) -> dict[str, str]:
    """A team glossary's entries: `key = "words"` at the top or in any table (tables only group them)."""
    import tomllib  # only a KB with a glossary of its own pays for it (10 ms)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise GlossaryError(f"{path}: {exc}") from None
    words: dict[str, str] = {}

    def take(table: dict, where: str) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                take(value, f"{where}{key}.")
                continue
            if not isinstance(value, str) or not value.strip():
                raise GlossaryError(f"{path}: {where}{key}: the words must be a non-empty string")
            name = key.strip()
            if _CJK_RE.search(name) and not _CHINESE_KEY_RE.fullmatch(name):
                raise GlossaryError(f"{path}: {where}{key}: a Chinese key is Chinese characters only")
            if not name or (not _CJK_RE.search(name) and not _WORD_RE.search(name)):
                raise GlossaryError(f"{path}: {where}{key}: a key needs a word")
            words[name] = value.strip()

    take(data, "")
    return words
