"""The ingest's results, exactly as before any speed work: parsed reports, redactions, stored rows, the
index and search results over our own inputs (tests/ingest_golden.py says what is captured)."""

from __future__ import annotations

import json

from ingest_golden import GOLDEN, snapshot


def _differences(want, got, where: str = "", out: list | None = None) -> list[str]:
    out = [] if out is None else out
    if len(out) >= 20:
        return out
    if isinstance(want, dict) and isinstance(got, dict):
        for key in sorted(set(want) | set(got), key=str):
            if key not in got or key not in want:
                out.append(f"{where}/{key}: {'missing' if key not in got else 'new'}")
            else:
                _differences(want[key], got[key], f"{where}/{key}", out)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got)):
            _differences(a, b, f"{where}[{i}]", out)
    elif want != got:
        out.append(f"{where}: {str(want)[:120]!r} became {str(got)[:120]!r}")
    return out


def test_ingest_results_are_the_golden_ones():
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = snapshot()
    assert len(got["ingest"]["ingested"]) > 64  # the pooled path ran
    assert got["search"] and any(query["results"] for query in got["search"])
    differences = _differences(want, got)
    assert not differences, "\n".join(differences)
