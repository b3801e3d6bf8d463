"""Drills: an error the KB knows, printed as another machine would print it, to check understanding.

A newcomer who only reads the fix has not shown they would recognise the error at 3 a.m. on another
host. A drill shows the error with what varies between machines changed (timestamps, IPs, ports that
are not a service's own, PIDs, container ids, UUIDs, home directories: what kb/parse/normalize.py
masks), asks what they would do, then shows the recorded cause and fix and asks whether they got it.
The varied text keeps the error's fingerprint, so `runbook search` would still find the known fix.
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from kb.parse.normalize import fingerprint
from kb.search.ports import WELL_KNOWN

MAX_LINES = 14


@dataclass
class Drill:
    ref: str  # the error's stable ref, e.g. e12
    title: str
    shown: str  # the error as another machine prints it
    cause: str
    fix: str  # the whole recorded fix (Markdown), with before/after code
    report: str  # the report it comes from, as `title (path)`


_TIMESTAMP_RE = re.compile(r"\b(\d{4})([-/])(\d{2})\2(\d{2})([T ])(\d{2}):(\d{2}):(\d{2})")
_DATE_RE = re.compile(r"\b(\d{4})([-/])(\d{2})\2(\d{2})\b")
_SYSLOG_RE = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)(\s+)(\d{1,2}) (\d{2}):(\d{2}):(\d{2})")
_TIME_RE = re.compile(r"(?<![\d:])(\d{2}):(\d{2}):(\d{2})(?![\d:])")
_UUID_RE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
_IP_RE = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::(\d{2,5}))?(?!\d|\.\d)")
_HOST_PORT_RE = re.compile(r"(?<![\w.-])([A-Za-z][\w-]*(?:\.[\w-]+)*|\])(:)(\d{4,5})(?!\d)")
_SOURCE_FILE_RE = re.compile(r"\.(?:java|kt|scala|py|go|js|mjs|cjs|ts|tsx|jsx|rb|rs|c|cc|cpp|h|cs|php|swift|ex|exs)$")
_PID_RE = re.compile(r"(?i)\b(pid|process|worker|thread|tid)([\s:=#(]+)(\d+)")
_BRACKET_NUMBER_RE = re.compile(r"\[(\d{2,})\]")
_NGINX_ID_RE = re.compile(r"\b(\d+)#(\d+)\b")
_HEX_RE = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{12,64}\b")
_HOME_RE = re.compile(r"(/home/|/Users/|C:\\Users\\)([A-Za-z][\w.-]*)")
_DOMAIN_RE = re.compile(r"(?i)\b([a-z0-9-]+)((?:\.[a-z0-9-]+)*\.(?:com|net|org|io|cn|dev|app|local|internal|cloud|"
                        r"co|uk|de|jp|ai|me|info|biz|xyz|lan|svc|example|test|localdomain))\b(?![.\w-])")
_OTHER_DOMAINS = (".prod.internal", ".eu-west.example.net", ".corp.example.org", ".staging.example.io")
_LOCAL_IPS = {"127.0.0.1", "0.0.0.0", "255.255.255.255", "127.0.0.11"}
_OTHER_USERS = ("deploy", "ops", "build", "app", "ci")


class _Machine:
    """Another machine: one random source, one clock offset, consistent replacements."""

    def __init__(self, seed: str) -> None:
        self.random = random.Random(seed)
        self.offset = timedelta(days=self.random.randint(3, 400), hours=self.random.randint(0, 23),
                                minutes=self.random.randint(1, 59), seconds=self.random.randint(1, 59))
        self.seen: dict[str, str] = {}

    def same(self, old: str, make) -> str:
        """One value becomes the same new value everywhere it appears."""
        if old not in self.seen:
            self.seen[old] = make()
        return self.seen[old]

    def number(self, old: str) -> str:
        low = 10 ** (len(old) - 1) if len(old) > 1 else 1
        return self.same(old, lambda: str(self.random.randint(low, 10 ** len(old) - 1)))

    def hex(self, old: str) -> str:
        return self.same(old, lambda: "".join(self.random.choice("0123456789abcdef") for _ in old))

    def port(self, old: str) -> str:
        if old in WELL_KNOWN or int(old) < 1024:
            return old  # a service's own port is the same everywhere: 6379 stays Redis
        return self.same(old, lambda: str(self.random.randint(1024 if len(old) == 4 else 10000,
                                                              9999 if len(old) == 4 else 65535)))

    def ip(self, match: re.Match) -> str:
        address = ".".join(match.group(i) for i in range(1, 5))
        port = match.group(5)
        if address in _LOCAL_IPS:
            new = address
        else:
            first = match.group(1)
            new = self.same(address, lambda: ".".join(
                [first, *(str(self.random.randint(1, 254)) for _ in range(3))]))
        return new + (f":{self.port(port)}" if port else "")


def as_another_machine(text: str, seed: str) -> str:
    """The same error as another machine prints it: its fingerprint is unchanged, its details are not."""
    machine = _Machine(seed)

    def timestamp(match: re.Match) -> str:
        year, sep, month, day, tee, hour, minute, second = match.groups()
        try:
            when = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second)) + machine.offset
        except ValueError:
            return match.group(0)
        return when.strftime(f"%Y{sep}%m{sep}%d{tee}%H:%M:%S")

    def date(match: re.Match) -> str:
        year, sep, month, day = match.groups()
        try:
            when = datetime(int(year), int(month), int(day)) + timedelta(days=machine.offset.days)
        except ValueError:
            return match.group(0)
        return when.strftime(f"%Y{sep}%m{sep}%d")

    def syslog(match: re.Match) -> str:
        month, space, day, hour, minute, second = match.groups()
        try:
            when = datetime.strptime(f"2001 {month} {day} {hour}:{minute}:{second}", "%Y %b %d %H:%M:%S")
        except ValueError:
            return match.group(0)
        when += machine.offset
        return f"{when.strftime('%b')}{space}{when.day} {when.strftime('%H:%M:%S')}"

    def clock(match: re.Match) -> str:
        hour, minute, second = (int(v) for v in match.groups())
        if hour > 23 or minute > 59 or second > 59:
            return match.group(0)
        moved = (datetime(2001, 1, 1, hour, minute, second) + machine.offset).strftime("%H:%M:%S")
        return moved

    out = _TIMESTAMP_RE.sub(timestamp, text)
    out = _DATE_RE.sub(date, out)
    out = _SYSLOG_RE.sub(syslog, out)
    out = _TIME_RE.sub(clock, out)
    out = _UUID_RE.sub(lambda m: machine.same(m.group(0), lambda: str(uuid.UUID(int=machine.random.getrandbits(128),
                                                                                  version=4))), out)
    out = _IP_RE.sub(machine.ip, out)
    out = _HOST_PORT_RE.sub(lambda m: m.group(0) if _SOURCE_FILE_RE.search(m.group(1)) else  # File.java:1689
                            m.group(1) + ":" + machine.port(m.group(3)), out)
    out = _PID_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{machine.number(m.group(3))}", out)
    out = _BRACKET_NUMBER_RE.sub(lambda m: f"[{machine.number(m.group(1))}]", out)
    out = _NGINX_ID_RE.sub(lambda m: f"{machine.number(m.group(1))}#{machine.number(m.group(2))}", out)
    out = _HEX_RE.sub(lambda m: machine.hex(m.group(0)), out)
    out = _DOMAIN_RE.sub(lambda m: m.group(1) + machine.same("domain:" + m.group(2),
                                                             lambda: machine.random.choice(_OTHER_DOMAINS)), out)
    out = _HOME_RE.sub(lambda m: m.group(1) + machine.same("user:" + m.group(2),
                                                           lambda: machine.random.choice(_OTHER_USERS)), out)
    return out


def shown_error(message: str, log: str, seed: str) -> str:
    """What the drill shows: the log as printed (its first lines), or the message when there is no log."""
    source = log if log and log.strip() else message
    lines = [line for line in source.splitlines() if line.strip()]
    if message and not any(message.splitlines()[0].strip() in line for line in lines[:MAX_LINES]):
        lines = [message.splitlines()[0], *lines]  # the telling line first when the log's head lacks it
    text = "\n".join(lines[:MAX_LINES] + (["…"] if len(lines) > MAX_LINES else []))
    varied = as_another_machine(text, seed)
    if message and fingerprint(as_another_machine(message, seed)) != fingerprint(message):
        return text  # a change that would make it another error: show it as recorded instead
    return varied


_WORD_RE = re.compile(r"[A-Za-z][\w.-]{2,}|[\u3400-\u9fff]{2,}")
_STOP = frozenset("""the and for with that this from have has was were are not but you your use using then
into when what which will would should could can run check make sure also just all any its it's there
their they them our out off see set get got been being""".split())


def shared_words(answer: str, fix: str) -> list[str]:
    """The telling words an answer shares with the recorded fix (a hint, not a grade)."""
    def words(text: str) -> dict[str, str]:
        found = {}
        for word in _WORD_RE.findall(text):
            key = word.lower().strip(".-")
            if len(key) >= 3 and key not in _STOP:
                found.setdefault(key, word.strip(".-"))
        return found

    fix_words = words(fix)
    return [word for key, word in words(answer).items() if key in fix_words][:8]
