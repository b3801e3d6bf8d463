"""What a search compares a candidate by and shows of it, whatever the paste: its masked message (the
signature two machines share) and a passage's first error-looking line.

An error group's signature is stored with its index document (kb/search/index.py) and read from the
hits (kb/search/ranking.py): ~20 regular-expression passes that every paste meeting the card repeated,
for a few thousand documents. A passage's is computed when a paste first meets it (and remembered):
storing it for every passage would cost ingest ~1 ms of CPU per report (400,000 passages at 50,000
reports, bench/search_speed.py --scale), more than it saves searches. Both sides call these functions,
so a stored value is the one the search would compute.
"""

from __future__ import annotations

from functools import lru_cache

from kb.parse.labels import looks_like_error
from kb.parse.normalize import signature

PASSAGE_SIGNED = 4000  # characters of a passage its signature covers (passages run longer than a message)


@lru_cache(maxsize=8192)  # documents indexed before the signature was stored, commits: computed and remembered
def message_signature(message: str) -> str:
    """A card's message as two machines share it (kb/parse/normalize.py: masked, lower-cased, no log prefix)."""
    return signature(message)


@lru_cache(maxsize=1024)  # passages run to 4,000 characters: fewer kept
def passage_signature(text: str) -> str:
    """The signature of a passage's text, as far as its first PASSAGE_SIGNED characters."""
    return signature(text[:PASSAGE_SIGNED])


def lead(text: str) -> str:
    """The line a passage result shows as its message: its first error-looking line, else its first line."""
    lines = [line.strip().strip("`") for line in (text or "").splitlines() if line.strip().strip("`").strip()]
    for line in lines[:40]:
        if looks_like_error(line):
            return line[:300]
    return lines[0][:300] if lines else ""
