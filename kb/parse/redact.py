"""One redaction module for everything the KB writes to git, SQLite or the search index.

Reports, run records, notes, learned fixes, onboarding records and commit
messages all pass through `scan` (or `redact`) before they are stored. Every
finding is replaced by `[REDACTED:<kind>]`; the line structure is kept, so line
numbers in the stored copy match the original.

Two layers:
- our own patterns for what incident reports contain: PEM private keys (also
  inside JSON service-account keys), credentials in URLs, `Authorization:` and
  API-key headers, `password=`/`TOKEN: `/`.env` assignments, `--password x`
  flags, `mysql -pX`, `curl -u user:pass`, signed-URL parameters, Chinese labels
  (密码：…), and ~25 token shapes (AWS, GitHub, GitLab, Slack, Stripe, OpenAI,
  Google, npm, PyPI, SendGrid, Vault, ...);
- Yelp's detect-secrets plugins, as a library, on the few lines a cheap
  prefilter picks (a keyword, a long mixed token, or `user@` in a URL). Its hex
  entropy and public-IP plugins are left out: git SHAs, sha256 digests, UUIDs and
  IP addresses are what operators search for, not secrets.

A value found once is redacted wherever else it appears in the same text
(also URL-encoded), and a long token wrapped onto the next line is followed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote, unquote

MASK = "[REDACTED:{kind}]"


@dataclass(frozen=True)
class Finding:
    kind: str
    line: int  # 1-based, in the original text


@dataclass
class Redaction:
    text: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def lines(self) -> list[int]:
        return sorted({f.line for f in self.findings})

    def describe(self, name: str) -> str:
        """`leak.md: 6 secrets redacted (lines 9, 11, 13)`."""
        count = len(self.findings)
        lines = self.lines
        where = ", ".join(str(n) for n in lines[:12]) + (", ..." if len(lines) > 12 else "")
        return f"{name}: {count} secret{'s' if count != 1 else ''} redacted (line{'s' if len(lines) != 1 else ''} {where})"

    def to_dicts(self) -> list[dict]:
        return [{"line": f.line, "kind": f.kind} for f in self.findings]


# -- our own patterns ---------------------------------------------------------------------------------

_PEM_RE = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r".*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|(?=\n[ \t>]*\n)|(?=\n[ \t>]*```)|\Z)",
    re.DOTALL)

# Names whose value is a secret: the name must END with one of these (so `secretName`, `token_type`,
# `password_file`, `max_tokens` are not matched).
_SECRET_NAMES = (
    r"password|passwd|passphrase|pwd|secret|token|authtoken|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|"
    r"private[_-]?key|private[_-]?key[_-]?id|auth[_-]?key|account[_-]?key|accountkey|master[_-]?key|"
    r"signing[_-]?key|encryption[_-]?key|license[_-]?key|client[_-]?secret|credentials?|requirepass|masterauth|"
    r"sharedaccesskey|app[_-]?key|webhook[_-]?secret|db[_-]?pass|[_.-]pass|[_.-]auth|_auth|[_.-]pw|creds|"
    r"x-amz-signature|x-amz-security-token|x-amz-credential"
)
_NAME = rf"[A-Za-z0-9_.\-]*?(?:{_SECRET_NAMES})"

# A variable (a runbook's placeholder, an environment name) holds a secret when its name has one of these
# anywhere: `*TOKEN*`, `*SECRET*`, `*PASS*` (password, passphrase, passwd), `*PWD*`, `*_PW`, `*AUTH*`
# (not AUTHOR), `*CRED*`, `*KEY*` as a word, `*PRIVATE*`. Looser than assignment names above: a masked
# value that was not secret costs nothing, a secret shown costs everything.
SECRET_VARIABLE_RE = re.compile(
    r"(?i)token|secret|pass|pwd|(?:^|[_.-])pw(?:$|[_.-])|auth(?!or)|cred|private|api_?key|(?:^|[_.-])key(?:$|[_.-])|"
    r"signature|cookie")


def is_secret_name(name: str) -> bool:
    """Does a variable of this name hold a secret (mask it, never store its value)?"""
    return SECRET_VARIABLE_RE.search(name) is not None
_VALUE = r"""(?:"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)'|(?P<bare>[^\s'"`;,|&<>()\[\]{}]+))"""

_ASSIGN_RE = re.compile(
    rf"""(?<![\w\-])(?P<q>["']?)(?P<name>{_NAME}|auth)(?P=q)[ \t]*(?P<op>:=|=>|==?|:|：)[ \t]*{_VALUE}""",
    re.IGNORECASE)
_ENV_LINE_RE = re.compile(
    rf"""^[ \t>*-]*(?:export[ \t]+|set[ \t]+|\$env:)?(?P<name>{_NAME})[ \t]*=[ \t]*(?P<value>[^\s#]\S*)[ \t]*$""",
    re.IGNORECASE | re.MULTILINE)
_TABLE_RE = re.compile(  # | DB_PASSWORD | s3cret |   (a Markdown table row: name cell, value cell)
    rf"\|[ \t]*`?(?P<name>{_NAME})`?[ \t]*\|[ \t]*`?(?P<value>[^\s|`]+)`?[ \t]*(?=\|)", re.IGNORECASE)
_XML_RE = re.compile(rf"<(?P<name>{_NAME})>(?P<value>[^<\n]+)</", re.IGNORECASE)
_ZH_RE = re.compile(r"(?P<name>密码|口令|密钥|秘钥|私钥|令牌|访问密钥|凭证)[ \t]*[:：=][ \t]*(?P<value>[^\s，。；、）)'\"`|]+)")
_FLAG_RE = re.compile(
    r"""(?<![\w\-])(?P<name>--?(?:password|passwd|pass|token|secret|api-?key|api-token|auth-token|access-token|"""
    r"""client-secret|secret-key|access-key|private-key|requirepass|masterauth|[\w-]*-password|[\w-]*-token|"""
    r"""from-literal=[\w.\-]*(?:password|token|secret|key)))(?:=|(?:[ \t]|\\\r?\n)+)"""
    r"""(?:"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)'|(?P<bare>[^\s'"`;|&)]+))""",
    re.IGNORECASE)
# `-p VALUE` of any CLI is a password when the same command names a user (`docker login -u ci -p X`,
# `cli --username u -p X`): not a port (`-p 8080:80`, `ssh -p 2222`), a path (`mkdir -p /x`), a flag, nor
# mysql's `-p` with a space (that asks, and the word after it is the database).
_SHORT_P_RE = re.compile(  # `-p` first (the engine skips to it), then what must not come before it
    r"""-p(?<![\w\-]-p)[ \t]+(?P<q>['"]?)(?P<value>[^\s'"`;|&)]+)(?P=q)""")
_USER_FLAG_RE = re.compile(r"""(?<![\w\-])(?:-u|-U|-l|--user(?:name)?|--login)(?:[ \t=]|$)|\blogin\b""")
_PORTISH_RE = re.compile(r"^[\d.:\-\[\]]+(?:/(?:tcp|udp|sctp))?$", re.I)
_MYSQL_FAMILY_RE = re.compile(r"\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mysqlsh)\b")
_MYSQL_RE = re.compile(r"\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^\n]*?[ \t]-p(?P<q>['\"]?)(?P<value>[^\s'\"-][^\s'\"]*)(?P=q)")
_SSHPASS_RE = re.compile(r"\b(?:sshpass[ \t]+-p|redis-cli\b[^\n]*?[ \t]-a|AUTH)[ \t]+(?P<q>['\"]?)(?P<value>[^\s'\"]+)(?P=q)")
_CURL_USER_RE = re.compile(r"""(?:[ \t]-u|--user)(?:=|[ \t]+)(?P<q>['"]?)[^\s:'"]+:(?P<value>[^\s'"@]+)(?P=q)""")
_HEADER_RE = re.compile(
    r"""(?i)\b(?:proxy-)?authorization[ \t]*[:=][ \t]*(?:(?:bearer|basic|token|digest|apikey|sso-key|key)[ \t]+)?"""
    r"""(?P<value>[^\s'"`]+)""")
_API_HEADER_RE = re.compile(
    r"""(?i)\b(?:x-api-key|api-key|x-auth-token|x-access-token|x-vault-token|private-token|x-gitlab-token|"""
    r"""x-figma-token|x-shopify-access-token|x-goog-api-key|ocp-apim-subscription-key|(?:set-)?cookie)[ \t]*:[ \t]*"""
    r"""(?P<value>[^'"`\n]*[^\s'"`])""")
_BEARER_RE = re.compile(r"(?i)\bbearer[ \t]+(?P<value>[A-Za-z0-9\-._~+/]{12,}=*)")
_URL_CRED_RE = re.compile(
    r"""\b[a-z][a-z0-9+.\-]*://(?P<user>[^\s:/@'"`<>]*):(?P<value>[^\s/'"`<>]+)@(?=[\w\[.\-])""", re.IGNORECASE)
_URL_TOKEN_RE = re.compile(r"""\b[a-z][a-z0-9+.\-]*://(?P<value>[A-Za-z0-9_\-]{20,})@""", re.IGNORECASE)
_QUERY_RE = re.compile(
    r"""(?i)[?&;](?:sig|signature|x-amz-signature|x-amz-security-token|x-amz-credential|access_token|"""
    r"""id_token|refresh_token|token|api_?key|apikey|password|client_secret|private_token)=(?P<value>[^&\s#'"`<>)]+)""")

_TOKEN_SHAPES: list[tuple[str, str]] = [
    ("aws-access-key", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("gitlab-token", r"\b(?:glpat|glrt|gldt|glptt)-[A-Za-z0-9_\-]{20,}"),
    ("slack-token", r"\bxox[abposre]-[A-Za-z0-9\-]{10,}|\bxapp-[A-Za-z0-9\-]{10,}"),
    ("slack-webhook", r"hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9_/]+"),
    ("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|\bwhsec_[A-Za-z0-9]{20,}"),
    ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{20,}"),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    ("google-oauth-token", r"\bya29\.[0-9A-Za-z_\-]{20,}|\bGOCSPX-[0-9A-Za-z_\-]{20,}"),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{30,}\b"),
    ("pypi-token", r"\bpypi-[A-Za-z0-9_\-]{50,}"),
    ("sendgrid-key", r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"),
    ("docker-token", r"\bdckr_(?:pat|oat)_[A-Za-z0-9_\-]{20,}"),
    ("twilio-key", r"\bSK[0-9a-fA-F]{32}\b"),
    ("mailgun-key", r"\bkey-[0-9a-f]{32}\b"),
    ("digitalocean-token", r"\bdo[por]_v1_[a-f0-9]{64}\b"),
    ("vault-token", r"\bhv[sbr]\.[A-Za-z0-9_\-]{20,}"),
    ("shopify-token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    ("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}\b"),
    ("doppler-token", r"\bdp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9]{20,}"),
    ("telegram-token", r"\b\d{8,10}:AA[A-Za-z0-9_\-]{33}\b"),
    ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    ("age-secret-key", r"\bAGE-SECRET-KEY-1[0-9A-Z]{50,}"),
    ("azure-storage-key", r"(?i)\bAccountKey=[A-Za-z0-9+/=]{40,}"),
]
_TOKEN_RES = [(kind, re.compile(pattern)) for kind, pattern in _TOKEN_SHAPES]

# A secret written in prose, after the word that says what it is: `with secret <40 chars> was printed`,
# `Twilio auth token <32 hex>`, `the SendGrid key SG.x.y`, `AWS Secret Access Key [None]: ...` (aws
# configure), `密钥是 ...`. The value is the first random-looking run within three words after the word,
# before the sentence ends; a word such as `id`, `name` or `fingerprint` in between means what follows is
# not the secret. Hex runs (SHAs, digests) need a word that leaves no doubt (secret, token, password: not a
# bare `key`) and 24 characters or more; UUIDs, request ids, paths and words stay readable.
_PROSE_WORD_RE = re.compile(
    r"(?i)(?<![a-z])(?P<word>secret|token|key|password|passwd|passphrase|pwd|pw|credentials?|creds)s?(?![a-z])"
    r"|(?P<zh>密钥|秘钥|私钥|口令|密码|令牌|凭证|凭据)")
_STRONG_WORDS = {"secret", "token", "password", "passwd", "passphrase", "pwd", "pw", "credential", "credentials",
                 "creds"}
_KEY_QUALIFIERS_RE = re.compile(r"(?i)(?:api|access|secret|private|auth|signing|license|master|account|encryption|"
                                r"client|webhook|app)[\s_\-]*$")
_RUN_RE = re.compile(r"(?<![A-Za-z0-9+/=_\-.~])[A-Za-z0-9][A-Za-z0-9+/=_\-.~]*")
_SENTENCE_END_RE = re.compile(r"[.!?,](?:\s|$)|[。；;！？，\n]")
# A word between the secret word and a value that says the value is something else: `key id …`, `token
# for project …`, `secret in namespace …`, `请求ID …` (a word that ends with one counts).
_NOT_THE_SECRET_RE = re.compile(
    r"(?i)(?:^|[^a-z])(?:ids?|names?|type|fingerprint|hash|digest|checksum|sha\d*|length|size|expired|expires|"
    r"file|path|env|variable|field|header|format|policy|rotation|version|arn|alias|uuid|for|of|in|on|at|from|by|"
    r"to|project|account|user|region|bucket|namespace|cluster|service|host|instance|org|tenant|vault)$")
_ID_PREFIX_RE = re.compile(r"(?i)^(?:req|request|trace|span|txn|corr|correlation|msg|evt|event|job|run|build|"
                           r"pipeline|deploy|sess|session|order|user|acct|ch|cus|pi|in|sub)[_\-]")
_UUID_RE = re.compile(r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_HEX_RE = re.compile(r"^[0-9a-fA-F]+$")


def _entropy(value: str) -> float:
    counts: dict[str, int] = {}
    for char in value:
        counts[char] = counts.get(char, 0) + 1
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def _random_looking(value: str, strong: bool) -> bool:
    """Could this run of characters be a generated secret, rather than a word, id, path or digest?"""
    if len(value) < 16 or _placeholder(value) or _UUID_RE.match(value) or _ID_PREFIX_RE.match(value):
        return False
    if not any(c.isdigit() for c in value) or not any(c.isalpha() for c in value):
        return False
    if _HEX_RE.match(value):
        return strong and len(value) >= 24 and _entropy(value) >= 3.0
    parts = [part for part in re.split(r"[/._\-~]+", value) if part]
    if len(parts) > 1 and all(_wordy(part) for part in parts):
        return False  # a path, a host name, a release, a batch id: words and numbers between separators
    if len(parts) > 1 and parts[0].isalpha() and parts[0].islower() and len(parts[0]) >= 2 and value == value.lower():
        return False  # a generated name: `db-credentials-7f8c9d6b5`, `api-7d9f8c6b5-x2k4p` (secrets mix cases)
    return _entropy(value) >= 3.5 and (not value.isalnum() or not value.isalpha())


def _wordy(part: str) -> bool:
    """A part of a path or a name: a word in one case, a number, or a short tag (`v42`, `ec2`, `s3`)."""
    return (part.isdigit() or part.isalpha() and (part.islower() or part.isupper() or part.istitle())
            or re.fullmatch(r"(?:[a-z]+|[A-Z][a-z]*|[A-Z]+)\d{1,4}|\d{1,4}[a-z]{1,2}", part) is not None)


_SECRET_LENGTH_RUN_RE = re.compile(r"[A-Za-z0-9+/=_\-.~]{16,}")


def _prose_secrets(text: str, spans: "_Offset") -> None:
    if not _SECRET_LENGTH_RUN_RE.search(text):  # most text has no run long enough to be a secret: one pass
        return
    for word in _PROSE_WORD_RE.finditer(text):
        name = (word.group("word") or "").lower().rstrip("s") if word.group("word") else ""
        strong = bool(word.group("zh")) or name in _STRONG_WORDS or name + "s" in _STRONG_WORDS or (
            name == "key" and _KEY_QUALIFIERS_RE.search(text[max(0, word.start() - 24):word.start()]) is not None)
        end = text.find("\n", word.end())
        rest = text[word.end(): end if end >= 0 else len(text)][:200]
        stop = _SENTENCE_END_RE.search(rest)
        rest = rest[:stop.start()] if stop else rest
        if not _SECRET_LENGTH_RUN_RE.search(rest):
            continue
        words_between = 0
        for run in _RUN_RE.finditer(rest):
            between = rest[:run.start()].split()
            words_between = len(between)
            if words_between > 3 or any(_NOT_THE_SECRET_RE.search(w.strip("[]():：`'\"")) for w in between):
                break
            value = run.group(0).rstrip(".")
            if _random_looking(value, strong):
                spans.add(word.end() + run.start(), word.end() + run.start() + len(value),
                          _kind_for(word.group("zh") or name))
                break


_PLACEHOLDERS = {"", "true", "false", "null", "none", "nil", "yes", "no", "on", "off", "undefined", "required",
                 "optional", "string", "str", "bool", "int", "empty", "unset", "redacted", "hidden", "masked"}
_REFERENCE_RE = re.compile(r"^(?:process\.env|os\.environ|os\.getenv|env\.|secrets\.|vars\.|ENV\[|getenv)", re.I)
_MASKED_RE = re.compile(r"^[*xX•.#_\-]+$")
_EXAMPLE_RE = re.compile(r"^(?:your|my)[_\-]|example|placeholder|dummy|fake|not[_\-]?a[_\-]?real|do[_\-]?not[_\-]?use|"
                         r"^<|\.\*|\.\.\.$|…$|^x{3,}", re.I)


def _placeholder(value: str) -> bool:
    v = value.strip()
    if v.lower() in _PLACEHOLDERS or _MASKED_RE.match(v) or "REDACTED" in v or _EXAMPLE_RE.search(v):
        return True
    if v[0] in "$%<{" or v.startswith("[") or _REFERENCE_RE.match(v):
        return True
    if v.isdigit() and len(v) < 6:  # ports, counts, timeouts
        return True
    return False


def _kind_for(name: str) -> str:
    lowered = name.lower()
    for needle, kind in (("pass", "password"), ("pw", "password"), ("密码", "password"), ("口令", "password"),
                         ("private", "private-key"), ("私钥", "private-key"), ("token", "token"), ("令牌", "token"),
                         ("secret", "secret"), ("signature", "signature"), ("credential", "credential"),
                         ("auth", "credential"), ("凭证", "credential")):
        if needle in lowered:
            return kind
    return "api-key"


class _Spans:
    """Character ranges to redact, with their kind."""

    def __init__(self) -> None:
        self.items: list[tuple[int, int, str]] = []

    def add(self, start: int, end: int, kind: str) -> None:
        if end > start:
            self.items.append((start, end, kind))

    def overlaps(self, start: int, end: int) -> bool:
        return any(start < e and s < end for s, e, _ in self.items)

    def merged(self) -> list[tuple[int, int, str]]:
        out: list[list] = []
        for start, end, kind in sorted(self.items, key=lambda item: (item[0], -item[1])):
            if out and start < out[-1][1]:
                out[-1][1] = max(out[-1][1], end)
            else:
                out.append([start, end, kind])
        return [(s, e, k) for s, e, k in out]


class _Offset:
    """Adds spans found in a slice of the text at their place in the whole text."""

    def __init__(self, spans: _Spans, offset: int) -> None:
        self.spans, self.offset = spans, offset

    def add(self, start: int, end: int, kind: str) -> None:
        self.spans.add(start + self.offset, end + self.offset, kind)


def _value_span(match: re.Match) -> tuple[int, int] | None:
    for group in ("dq", "sq", "bare", "value"):
        if group in match.re.groupindex and match.group(group) is not None:
            return match.span(group)
    return None


def _own_patterns(text: str, spans: _Spans, offset: int = 0) -> None:
    spans = _Offset(spans, offset)
    for kind, regex in _TOKEN_RES:
        for match in regex.finditer(text):
            spans.add(match.start(), match.end(), kind)
    for regex, kind in ((_URL_CRED_RE, "url-password"), (_URL_TOKEN_RE, "url-token"), (_HEADER_RE, "authorization"),
                        (_API_HEADER_RE, "api-key"), (_BEARER_RE, "bearer-token"), (_QUERY_RE, "url-secret"),
                        (_MYSQL_RE, "password"), (_SSHPASS_RE, "password"), (_CURL_USER_RE, "password")):
        for match in regex.finditer(text):
            span = _value_span(match)
            if span and not _placeholder(text[span[0]:span[1]]):
                spans.add(*span, kind)
    for match in _SHORT_P_RE.finditer(text):
        value = match.group("value")
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[line_start:match.start()]
        if (_USER_FLAG_RE.search(before) or _USER_FLAG_RE.search(text[match.end():text.find("\n", match.end())
                                                                       if "\n" in text[match.end():] else len(text)]))\
                and not _MYSQL_FAMILY_RE.search(before) and not _placeholder(value) and not _PORTISH_RE.match(value)\
                and value[0] not in "-/.~" and not value.endswith("/") and not re.fullmatch(r"[a-z][a-z_.\-]*", value):
            spans.add(*match.span("value"), "password")
    _prose_secrets(text, spans)
    for match in _FLAG_RE.finditer(text):
        span = _value_span(match)
        value = text[span[0]:span[1]] if span else ""
        if span and not _placeholder(value) and not value.startswith("-"):
            spans.add(*span, _kind_for(match.group("name")))
    for match in _ENV_LINE_RE.finditer(text):
        value = match.group("value").strip("'\"")
        if not _placeholder(value):
            start, end = match.span("value")
            spans.add(start, end, _kind_for(match.group("name")))
    for regex in (_XML_RE, _ZH_RE, _TABLE_RE):
        for match in regex.finditer(text):
            if not _placeholder(match.group("value")) and (regex is _XML_RE or re.search(r"[!-~]", match.group("value"))):
                spans.add(*match.span("value"), _kind_for(match.group("name")))
    for match in _ASSIGN_RE.finditer(text):
        span = _value_span(match)
        if span is None:
            continue
        value = text[span[0]:span[1]]
        if not value or _placeholder(value) or _is_reference(text, match):
            continue
        if match.group("op") in (":", "：") and match.group("bare") is not None and _prose(value, text, span[1]):
            continue
        if match.group("name").lower() == "auth" and not match.group("q"):
            continue  # `auth: true`-style settings; `"auth": "..."` (docker config) is a secret
        spans.add(*span, _kind_for(match.group("name")))


def _is_reference(text: str, match: re.Match) -> bool:
    """`password = get_secret()` / `token = request.headers["x"]`: code that reads a secret, not one."""
    end = text.find("\n", match.end())
    rest = text[match.start(): end if end >= 0 else len(text)]
    return bool(re.match(r"[^=:]*[:=]\s*[\w.\-]+[\[(]", rest[:300]))


def _prose(value: str, text: str, end: int) -> bool:
    """`Password: rotated on Monday` is a sentence, not a secret: a lower-case word followed by more words."""
    if not value.isalpha() or not value.islower():
        return False
    return bool(re.match(r"[ \t]+[^\W\d_]", text[end:end + 3]))


# -- detect-secrets -----------------------------------------------------------------------------------

_SKIPPED_PLUGINS = {"HexHighEntropyString", "IPPublicDetector", "PrivateKeyDetector"}
_LONG_RUN_RE = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")
_QUOTED_VALUE_RE = re.compile(r"""[=:>(,]\s*@?["'`]|://[^\s/@]*:[^\s/@]*@""")
_DIGEST_RE = re.compile(r"^(?:sha\d+[-:]|h1:|md5[-:]|sha\d+=)|^[0-9a-fA-F\-]+$", re.I)
# Where a secret can be: a lower-cased text is searched for these (one pass, literals mostly); only the
# lines they hit are looked at closely. Every alternative starts with a literal character, so the
# regex engine knows the characters a match can start with and skips every other position at once
# (`[ \t]-` and `["']` are written out per character for that: the same matches, 40% faster).
_TRIGGER_RE = re.compile(
    r"""pass|pw|secret|token|key|auth|cred|bearer|cookie|sig=|signature|://[^\s/@'"]+@|-----begin|akia|asia|abia|"""
    r"""acca|gh[pousr]_|github_pat|gl(?:pat|rt|dt|ptt)-|xox|xapp-|hooks\.slack|sk_|rk_|sk-|whsec_|aiza|ya29\.|"""
    r"""gocspx|npm_|pypi-|sg\.|_v1_|hv[sbr]\.|shp|hf_|dp\.|:aa|eyj|age-secret|dckr_|密码|口令|令牌|私钥|凭证|凭据|密钥|秘钥|"""
    r"""sq0[a-z]{3}-|sk[0-9a-f]{32}| -[upa]|\t-[upa]|--user|%[0-9a-f]{2}|"[a-z0-9+/=_\-]{20,}["']|"""
    r"""'[a-z0-9+/=_\-]{20,}["']""")


@lru_cache(maxsize=1)
def _plugins() -> list:
    """detect-secrets' plugins as objects (no global settings, no network verification)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    plugins = []
    for cls in get_mapping_from_secret_type_to_class().values():
        if cls.__name__ in _SKIPPED_PLUGINS:
            continue
        plugins.append(cls(limit=4.5) if cls.__name__ == "Base64HighEntropyString" else cls())
    return plugins


@lru_cache(maxsize=1)
def _filters():
    from detect_secrets.filters import heuristic

    return heuristic


def _worth_scanning(line: str) -> bool:
    """Cheap filter before detect-secrets: a quoted value, credentials in a URL, or a long mixed token
    that is not hex (SHAs and digests are hex)."""
    if _QUOTED_VALUE_RE.search(line):
        return True
    for run in _LONG_RUN_RE.findall(line):
        if not _DIGEST_RE.match(run) and any(c.isdigit() for c in run) and any(c.isalpha() for c in run):
            return True
    return False


def _detect_secrets(line: str) -> list[tuple[str, str]]:
    """(kind, value) pairs detect-secrets finds in one line, after its heuristic filters and ours."""
    heuristic = _filters()
    out = []
    for plugin in _plugins():
        try:
            found = plugin.analyze_line(filename="report.md", line=line, line_number=0)
        except Exception:  # a plugin must never stop an ingest
            continue
        for secret in found or ():
            value = secret.secret_value or ""
            if (len(value) < 4 or _placeholder(value) or heuristic.is_sequential_string(value)
                    or heuristic.is_potential_uuid(value) or heuristic.is_templated_secret(value)
                    or heuristic.is_not_alphanumeric_string(value)
                    or (type(plugin).__name__ == "Base64HighEntropyString" and _DIGEST_RE.match(value))
                    or (type(plugin).__name__ == "KeywordDetector"
                        and (heuristic.is_likely_id_string(value, line, plugin) or heuristic.is_indirect_reference(line)))):
                continue
            out.append((_slug(secret.type), value))
    return out


def _slug(secret_type: str) -> str:
    return {"Secret Keyword": "secret", "Base64 High Entropy String": "high-entropy-string",
            "Basic Auth Credentials": "url-password"}.get(
        secret_type, re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-"))


# -- the scan -----------------------------------------------------------------------------------------

_URLENCODED_RE = re.compile(r"\S*%[0-9A-Fa-f]{2}\S*%[0-9A-Fa-f]{2}\S*")
_WRAPPED_RE = re.compile(r"[ \t>|]*(?P<token>[A-Za-z0-9+/_\-]{8,}={0,2})[ \t|\\]*(?:\n|$)")


def scan(text: str, secrets: Iterable[str] = (), deep: bool = True) -> Redaction:
    """The text with every secret replaced by `[REDACTED:<kind>]`, and what was found where.

    `secrets` are known values (a run's secret variables), redacted wherever they appear.
    `deep=False` skips detect-secrets (our own patterns only): for URL-decoded fragments.
    """
    if not text:
        return Redaction(text=text)
    spans = _Spans()
    for value in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        for variant in _variants(value):
            start = text.find(variant)
            while start >= 0:
                spans.add(start, start + len(variant), "variable")
                start = text.find(variant, start + len(variant))
    if "-----BEGIN" in text:
        for match in _PEM_RE.finditer(text):
            spans.add(match.start(), match.end(), "private-key")
    for start, end in _chunks(text):
        _own_patterns(text[start:end], spans, start)
        if deep:
            _scan_lines(text, start, end, spans)
        if "%" in text[start:end]:
            _scan_urlencoded(text[start:end], spans, start)
    _propagate(text, spans)
    _follow_wrapped(text, spans)
    merged = spans.merged()
    if not merged:
        return Redaction(text=text)
    pieces, findings, last = [], [], 0
    for start, end, kind in merged:
        pieces.append(text[last:start])
        pieces.append(MASK.format(kind=kind) + "\n" * text.count("\n", start, end))
        findings.append(Finding(kind=kind, line=text.count("\n", 0, start) + 1))
        last = end
    pieces.append(text[last:])
    return Redaction(text="".join(pieces), findings=findings)


def _chunks(text: str) -> list[tuple[int, int]]:
    """(start, end) of the runs of lines a trigger hits; a line ending in `\\` takes the next one too."""
    lower = text.lower()
    if len(lower) != len(text):  # a few characters change length when lower-cased: search case-blind
        matches = re.compile(_TRIGGER_RE.pattern, re.IGNORECASE).finditer(text)
    else:
        matches = _TRIGGER_RE.finditer(lower)
    chunks: list[list[int]] = []
    for match in matches:
        pos = match.start()
        if chunks and pos < chunks[-1][1]:
            continue
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", match.end())
        end = len(text) if end < 0 else end
        while end < len(text) and text[end - 1:end] == "\\" or text[end - 2:end] == "\\\r":
            nxt = text.find("\n", end + 1)
            end = len(text) if nxt < 0 else nxt
        if chunks and start <= chunks[-1][1] + 1:
            chunks[-1][1] = max(chunks[-1][1], end)
        else:
            chunks.append([start, end])
    return [(s, e) for s, e in chunks]


def might_hold_secret(text: str) -> bool:
    """A cheap first look (one regex pass): False means `scan` would find nothing."""
    return bool(text) and _TRIGGER_RE.search(text.lower()) is not None


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """The text with every secret replaced (see `scan`)."""
    return scan(text, secrets).text


def _variants(value: str) -> set[str]:
    return {value, quote(value, safe=""), quote(value)}


def _scan_lines(text: str, start: int, end: int, spans: _Spans) -> None:
    offset = start
    for line in text[start:end].split("\n"):
        if len(line) <= 4000 and _worth_scanning(line):
            known = {text[s:e] for s, e, _ in spans.items if offset <= s < offset + len(line) + 1}
            for kind, value in _detect_secrets(line):
                if value in known or any(value in k or k in value for k in known):
                    continue  # our own patterns already have it (and know its exact place)
                for match in re.finditer(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", line):
                    absolute = offset + match.start()
                    if not spans.overlaps(absolute, absolute + len(value)):
                        spans.add(absolute, absolute + len(value), kind)
        offset += len(line) + 1


def _scan_urlencoded(text: str, spans: _Spans, offset: int = 0) -> None:
    """Secrets inside URL-encoded text (`postgresql%3A%2F%2Fapp%3Ap%40ss%40db`): found in the decoded
    text, redacted at exactly the characters they were encoded from, so the rest of the line is kept."""
    spans = _Offset(spans, offset)
    for match in _URLENCODED_RE.finditer(text):
        token = match.group(0)
        decoded, origin = _percent_decode(token)
        if decoded == token:
            continue
        inner = _Spans()
        _own_patterns(decoded, inner)
        for start, end, kind in inner.merged():
            if end - start < 4:
                continue  # too short to be told from ordinary characters
            spans.add(match.start() + origin[start], match.start() + origin[end], kind)


def _percent_decode(token: str) -> tuple[str, list[int]]:
    """The decoded text and, for each of its characters (and its end), the offset it came from in token."""
    out: list[str] = []
    origin: list[int] = []
    i = 0
    while i < len(token):
        if token[i] == "%" and re.match(r"%[0-9A-Fa-f]{2}", token[i:i + 3]):
            start = i
            raw = bytearray()
            while re.match(r"%[0-9A-Fa-f]{2}", token[i:i + 3]):
                raw.append(int(token[i + 1:i + 3], 16))
                i += 3
            chars = raw.decode("utf-8", "replace")
            if len(chars) == len(raw):  # one byte, one character: each maps to its own %XX
                out.extend(chars)
                origin.extend(range(start, i, 3))
            else:  # multi-byte characters: each maps to the start of the run
                out.extend(chars)
                origin.extend([start] * len(chars))
        else:
            out.append(token[i])
            origin.append(i)
            i += 1
    origin.append(len(token))
    return "".join(out), origin


def _propagate(text: str, spans: _Spans) -> None:
    """A secret found once is redacted wherever else it appears (bare, or URL-encoded)."""
    values = {}
    for start, end, kind in list(spans.items):
        value = text[start:end]
        if len(value) >= 8 and "\n" not in value and (any(c.isdigit() for c in value) or not value.isalpha()):
            values.setdefault(value, kind)
    for value, kind in values.items():
        for variant in _variants(value):
            at = text.find(variant)
            while at >= 0:
                spans.add(at, at + len(variant), kind)
                at = text.find(variant, at + len(variant))


def _follow_wrapped(text: str, spans: _Spans) -> None:
    """A long secret that ends a line and goes on at the start of the next (a wrapped token) is followed."""
    for start, end, kind in list(spans.items):
        while end - start >= 16:
            rest = text[end:end + 2]
            if not (rest.startswith("\n") or rest.startswith("\\\n") or rest.startswith("\r\n")):
                break
            nxt = text.index("\n", end) + 1
            match = _WRAPPED_RE.match(text, nxt)
            if not match or not any(c.isdigit() for c in match.group("token")):
                break
            spans.add(*match.span("token"), kind)
            start, end = match.span("token")
