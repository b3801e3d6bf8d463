"""The topic names table: which words in what a report says mean which topic.

Kept as data (`topics.toml` beside this module), so adding a topic or a name is an edit to a
table, not to code; a team extends it with a `topics.toml` at its KB's root, as it would a glossary.
Names match whole (an ASCII letter or digit on either side means a longer word: `pg` is not in
`upgrade`, `6379` not in `16379`), case-insensitively; a name written in Chinese matches anywhere.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from kb.store.knowledge_base import KBError

TEAM_FILE = "topics.toml"  # at a KB's root, committed with the reports
_EDGE = "a-z0-9"


@dataclass(frozen=True)
class Topic:
    key: str
    title: str
    names: tuple[str, ...]
    forms: tuple[str, ...] = ()  # regular expressions for names that are also everyday words


_RUN_RE = re.compile(r"[a-z0-9]+")
_SPACE_RE = re.compile(r"\s+")


def _pattern(name: str) -> str:
    """A name as a pattern on lower-cased text: whole (no ASCII letter or digit just outside an end that is
    one), any run of white space where it has a space."""
    before = f"(?<![{_EDGE}])" if name[0].isascii() and name[0].isalnum() else ""
    after = f"(?![{_EDGE}])" if name[-1].isascii() and name[-1].isalnum() else ""
    return before + r"\s+".join(re.escape(part) for part in name.split(" ")) + after


def _form_pattern(form: str) -> str:
    """A form that starts with a letter or digit starts a word (`node` is not the end of `kubenode`)."""
    leading = _leading_literal(form)
    return f"(?<![{_EDGE}])(?:{form})" if leading[:1].isascii() and leading[:1].isalnum() else f"(?:{form})"


def _leading_run(form: str) -> str:
    """The first word a form must contain (`node` for `\\bnode(?= +v\\d)`, `service` for `\\.service\\b`):
    a text without that word is not tried. Empty when the form starts otherwise."""
    run = _RUN_RE.search(_leading_literal(form))
    return run.group(0) if run else ""


def _leading_literal(form: str) -> str:
    """The text a form starts with once its zero-width checks are passed (`node` in `\\bnode(?= +v\\d)`),
    lower-cased: a text without it cannot match, so the form is not tried there. Empty when unknown."""
    from re import _parser  # the standard library's own parser: the form's first literal characters

    try:
        parsed = _parser.parse(form.lower())
    except re.error:
        return ""
    out = []
    for op, value in parsed:
        name = str(op)
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            if out:
                break
            continue
        if name == "LITERAL":
            out.append(chr(value))
            continue
        break
    return "".join(out)


class Names:
    """Topics and their names, compiled into one scan per text.

    A text is read as the set of its runs of ASCII letters and digits (`redis`, `6379`, `k8s`), made in
    C by one simple pattern; the runs that begin some name are the only places looked at further. A
    name that is one run (`redis`) is then found; a longer one (`redis-cli`, `node.js`, `github
    actions`) is checked with its own pattern. A form is tried only where its leading words are in
    the text. So a text costs about the same however many names there are (a KB of 10,000 reports
    is read in seconds), and a name inside another (`nginx` in `ingress-nginx`) is found too."""

    def __init__(self, topics: dict[str, Topic], source: str = "") -> None:
        self.topics = topics
        self.digest = hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]
        self._by_run: dict[str, list[tuple[str, str, bool, str]]] = {}  # run -> (before, after, closed, name)
        self._anywhere: dict[str, set[str]] = {}  # names with no ASCII letter or digit (Chinese): substrings
        self._topics_of: dict[str, set[str]] = {}
        for topic in topics.values():
            for name in topic.names:  # the key is not a name by itself: `go`, `node` are everyday words
                name = " ".join(name.lower().split())
                if not name:
                    continue
                self._topics_of.setdefault(name, set()).add(topic.key)
                run = _RUN_RE.search(name)
                if run is None:
                    self._anywhere.setdefault(name, set()).add(topic.key)
                    continue
                entry = (name[:run.start()], name[run.end():], name[-1].isascii() and name[-1].isalnum(), name)
                if entry not in self._by_run.setdefault(run.group(0), []):
                    self._by_run[run.group(0)].append(entry)
        self._simple: dict[str, frozenset[str]] = {}  # run -> topics of the names that are that run alone
        self._longer: dict[str, list[tuple[re.Pattern, str]]] = {}  # run -> (pattern, name) of longer names
        for run, entries in self._by_run.items():
            for before, after, _, name in entries:
                if not before and not after:
                    self._simple[run] = frozenset(self._simple.get(run, frozenset()) | self._topics_of[name])
                else:
                    self._longer.setdefault(run, []).append((re.compile(_pattern(name)), name))
        self._firsts = frozenset(self._by_run)
        self._form_checks = {key: [(_leading_run(form), re.compile(_form_pattern(form), re.IGNORECASE))
                                   for form in topic.forms] for key, topic in topics.items() if topic.forms}
        self._forms = {key: re.compile("|".join(_form_pattern(form) for form in topic.forms), re.IGNORECASE)
                       for key, topic in topics.items() if topic.forms}
        self._alias = {name: sorted(keys)[0] for name, keys in self._topics_of.items()}
        for topic in topics.values():
            self._alias[topic.title.lower()] = topic.key
            self._alias[topic.key] = topic.key

    def _matches(self, text: str):
        """(start, end, name) of every name in the text (lower-cased, white space made single)."""
        for run in _RUN_RE.finditer(text):
            for before, after, closed, name in self._by_run.get(run.group(0), ()):
                start, end = run.start() - len(before), run.end() + len(after)
                if before and (start < 0 or text[start:run.start()] != before):
                    continue
                if after and not text.startswith(after, run.end()):
                    continue
                if closed and end < len(text) and text[end].isascii() and text[end].isalnum():
                    continue
                yield start, end, name
        for name in self._anywhere:
            position = text.find(name)
            while position >= 0:
                yield position, position + len(name), name
                position = text.find(name, position + 1)

    def topics_in(self, text: str) -> set[str]:
        """The topics a text names."""
        found: set[str] = set()
        if not text:
            return found
        lowered = text.lower()
        runs = set(_RUN_RE.findall(lowered))
        for run in self._firsts.intersection(runs):
            found |= self._simple.get(run, frozenset())
            for pattern, name in self._longer.get(run, ()):
                if not self._topics_of[name] <= found and pattern.search(lowered):
                    found |= self._topics_of[name]
        for name, keys in self._anywhere.items():
            if name in lowered:
                found |= keys
        for key, checks in self._form_checks.items():
            if key not in found and any((not leading or leading in runs) and form.search(text)
                                        for leading, form in checks):
                found.add(key)
        return found

    def names(self, text: str, key: str) -> list[str]:
        """The names of one topic a text uses, in order of appearance (to show why it belongs)."""
        lowered = _SPACE_RE.sub(" ", text.lower())
        hits = sorted((start, name) for start, _, name in self._matches(lowered) if key in self._topics_of[name])
        out: list[str] = []
        for _, name in hits:
            if name not in out:
                out.append(name)
        if key in self._forms:
            out += [m.group(0) for m in self._forms[key].finditer(text) if m.group(0) not in out]
        return out

    def resolve(self, word: str) -> str | None:
        """The topic a user means: its key, its title or any of its names (`k8s`, `pg`, `certbot`)."""
        return self._alias.get(word.lower().strip())

    def title(self, key: str) -> str:
        topic = self.topics.get(key)
        return topic.title if topic else key


def _topics_from(data: dict, origin: str, base: dict[str, Topic] | None = None) -> dict[str, Topic]:
    topics = dict(base or {})
    for key, entry in data.items():
        where = f"{origin}: [{key}]"
        if not isinstance(entry, dict):
            raise KBError(f"{where} is not a table (write `[{key}]` then `names = [\"...\"]`)")
        names = entry.get("names", [])
        forms = entry.get("forms", [])
        title = entry.get("title", "")
        for field, value in (("names", names), ("forms", forms)):
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise KBError(f"{where}: {field} must be a list of words in quotes")
        if not isinstance(title, str):
            raise KBError(f"{where}: title must be text in quotes")
        for form in forms:
            try:
                re.compile(form)
            except re.error as exc:
                raise KBError(f"{where}: form {form!r} is not a regular expression ({exc})") from None
        key = key.strip().lower()
        old = topics.get(key)
        if old and not entry.get("replace"):
            names = [*old.names, *(n for n in names if n not in old.names)]
            forms = [*old.forms, *(f for f in forms if f not in old.forms)]
            title = title or old.title
        topics[key] = Topic(key, title or key, tuple(n.strip() for n in names), tuple(forms))
    return topics


@lru_cache(maxsize=1)
def _shipped() -> tuple[dict[str, Topic], str]:
    text = resources.files("kb.onboarding").joinpath("topics.toml").read_text(encoding="utf-8")
    return _topics_from(tomllib.loads(text), "topics.toml (shipped)"), text


def load(kb_root: Path | None = None) -> Names:
    """The shipped table, extended by the KB's own `topics.toml` when there is one."""
    topics, source = _shipped()
    team = Path(kb_root) / TEAM_FILE if kb_root is not None else None
    if team is not None and team.is_file():
        try:
            text = team.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise KBError(f"{team}: not a topics table ({exc})") from None
        topics = _topics_from(data, str(team), topics)
        source += "\n" + text
    return _cached(tuple(sorted(topics.items())), source)


@lru_cache(maxsize=4)
def _cached(items: tuple, source: str) -> Names:
    return Names(dict(items), source)
