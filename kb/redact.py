"""Redact secrets before anything is written to git: tokens, passwords, keys, credentials in URLs.

Patterns cover what operators really paste: `Authorization: Bearer …`, `*_TOKEN=…`,
`*_KEY=…`, `password=…`, AWS access keys, PEM private key blocks, `user:pass@host`
URLs, and the values of run variables marked secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "[REDACTED]"

_PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL),
     f"-----BEGIN PRIVATE KEY-----{MASK}-----END PRIVATE KEY-----"),
    (re.compile(r"(?i)(authorization\s*[:=]\s*)(?:bearer|basic|token)?\s*[^\s'\"`]+"), rf"\1{MASK}"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*"), rf"\1 {MASK}"),
    (re.compile(r"(?i)\b([A-Z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|PASS|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|_KEY|"
                r"CREDENTIALS?))(\s*[=:]\s*)(['\"]?)[^\s'\"`]+\3"), rf"\1\2\3{MASK}\3"),
    (re.compile(r"(?i)(--?(?:password|passwd|token|secret|api-key|apikey)(?:=|\s+))(['\"]?)[^\s'\"`]+\2"),
     rf"\1\2{MASK}\2"),
    (re.compile(r"(?i)\b(password|passwd|pwd|secret|token|api_key|apikey)(\s*[=:]\s*)(['\"]?)[^\s'\",;&`]+\3"),
     rf"\1\2\3{MASK}\3"),
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
    (re.compile(r"(?i)(aws_secret_access_key\s*[=:]\s*)\S+"), rf"\1{MASK}"),
    (re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|"
                r"sk-[A-Za-z0-9]{20,}|glpat-[A-Za-z0-9\-_]{20,})\b"), MASK),
    (re.compile(r"([a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@"), rf"\1{MASK}@"),
]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Text with every known secret shape and every given secret value replaced by [REDACTED]."""
    for value in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(value, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
