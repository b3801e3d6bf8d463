"""When something happened, as reports write it: a report's date, or the timestamps its logs printed."""

from __future__ import annotations

import re

_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
_ISO_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_CJK_RE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_MONTH_FIRST_RE = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{2})\b")
_DAY_FIRST_RE = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+((?:19|20)\d{2})\b")


def _valid(year: int, month: int, day: int) -> str | None:
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else None


def parse_date(text: str | None) -> str | None:
    """The first date a text gives, as YYYY-MM-DD (2025-10-19, 2025年10月30日, October 16, 2025)."""
    if not text:
        return None
    found: list[tuple[int, str]] = []
    for match in _ISO_RE.finditer(text):
        value = _valid(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if value:
            found.append((match.start(), value))
            break
    for match in _CJK_RE.finditer(text):
        value = _valid(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if value:
            found.append((match.start(), value))
            break
    for pattern, order in ((_MONTH_FIRST_RE, (3, 1, 2)), (_DAY_FIRST_RE, (3, 2, 1))):
        for match in pattern.finditer(text):
            year, month, day = (match.group(i) for i in order)
            month_number = _MONTHS.get(month.lower())
            value = month_number and _valid(int(year), month_number, int(day))
            if value:
                found.append((match.start(), value))
                break
    return min(found)[1] if found else None
