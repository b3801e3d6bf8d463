"""What an ingest makes of our own inputs, as plain JSON: the golden check behind tests/test_ingest_golden.py.

Inputs (our own only): assets/reports/*.md, the report samples in tests/fixtures (and fixtures/shapes),
the synthetic secrets of tests/secret_corpus.py, and bench/synth.py reports. Captured:

- each input's redaction (findings and redacted text) and ParsedReport (as dicts), from kb.ingest's
  own worker function;
- every row of every table an ingest of all of them stores (more than the process pool's threshold, so
  the pooled path runs), as a digest of the whole row (the temporary folder taken out of `origin`, no
  `ingested_at`);
- the Whoosh index: each field's terms with their document frequency and total weight, and each
  document's stored fields;
- search results for error messages, titles, paraphrases and log lines: rank, score and what matched,
  and a digest of everything else the Result holds.

Speed work on the ingest must leave all of it exactly as it was:

    python tests/ingest_golden.py --write   # only when a change is meant to change the results
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "fixtures" / "ingest-golden.json"
SYNTH_COUNT = 90

sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))


def _inputs(folder: Path) -> list[Path]:
    """Write every input file under folder (one name each) and return them in order."""
    from kb.parse.decode import read_text
    from synth import synth_report

    import secret_corpus

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    fixtures = ROOT / "tests" / "fixtures"
    originals = sorted((ROOT / "assets" / "reports").glob("*.md")) + sorted(fixtures.glob("*.md")) + sorted(
        (fixtures / "shapes").glob("*.md"))
    for source in originals:
        target = folder / source.name
        target.write_bytes(source.read_bytes())  # as found: encodings and BOMs are part of the input
        read_text(target)
        paths.append(target)
    for name, text in sorted(secret_corpus.reports().items()):
        target = folder / f"secrets-{Path(name).name}"
        if target.suffix not in (".md", ".txt", ".markdown"):
            target = target.with_suffix(target.suffix + ".md")
        target.write_text(text, encoding="utf-8")
        paths.append(target)
    for index in range(SYNTH_COUNT):
        target = folder / f"synthetic-{index:05d}.md"
        target.write_text(synth_report(index * 37), encoding="utf-8")  # spread over the generator's choices
        paths.append(target)
    return paths


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def _parsed(paths: list[Path]) -> dict:
    from kb.ingest import _prepare_one
    from kb.parse.decode import read_text

    out = {}
    for path in paths:
        outcome = _prepare_one((read_text(path), f"reports/{path.name}"))
        if isinstance(outcome, str):
            out[path.name] = {"failed": outcome}
            continue
        redaction, report = outcome
        out[path.name] = {"findings": redaction.to_dicts(), "redacted": _digest(redaction.text),
                          "report": report if isinstance(report, str) else report.to_dict()}
    return out


def _stored(kb, folder: Path) -> dict:
    tables = {}
    for (name,) in kb.store.conn.execute("select name from sqlite_master where type = 'table' order by name"):
        # bookkeeping: the stamp, a copy of refs.tsv, and what the index's group documents are made of
        # (each checked in tests/test_refs.py and tests/test_groups.py; the documents are compared below)
        if name in ("kb_state", "ref_numbers", "error_groups", "group_texts"):
            continue
        rows = []
        for row in kb.store.rows(f"select * from [{name}] order by rowid"):
            row.pop("ingested_at", None)
            if "origin" in row:
                row["origin"] = str(row["origin"]).replace(str(folder), "<corpus>")
            rows.append([row.get("id", row.get("error_id")), _digest(row)])  # the parsed dicts show the content
        tables[name] = rows
    return tables


def _index(kb) -> dict:
    from kb.search.index import open_index

    ix = open_index(kb, create=False)
    out: dict = {"terms": {}, "documents": []}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for fieldname in sorted(ix.schema.names()):
            if not ix.schema[fieldname].indexed:
                continue
            terms = []
            for term in reader.lexicon(fieldname):
                info = reader.term_info(fieldname, term)
                terms.append([term.decode("utf-8", "replace") if isinstance(term, bytes) else str(term),
                              info.doc_frequency(), info.weight()])
            out["terms"][fieldname] = {"count": len(terms), "sha256": _digest(terms)}
        documents = sorted((dict(fields) for fields in searcher.all_stored_fields()), key=lambda d: str(d["id"]))
        out["documents"] = documents
    return out


def _queries(kb, parsed: dict) -> list[str]:
    queries = []
    for name in sorted(parsed):
        report = parsed[name].get("report")
        if not isinstance(report, dict):
            continue
        for error in report["errors"][:2]:
            queries.append(error["message"])
            if error["log"]:
                queries.append(error["log"].splitlines()[0])
        queries.append(report["title"])
    queries += ["connection refused when the app starts", "port already in use after deploy",
                "证书过期 续期失败", "数据库 密码 认证失败", "pod keeps restarting out of memory",
                "how do I roll back a bad migration", "nginx 502 bad gateway upstream"]
    seen: list[str] = []
    for query in queries:
        if query and query not in seen:
            seen.append(query)
    return seen


def _results(kb, queries: list[str]) -> list[dict]:
    from kb.search.ranking import Searcher

    searcher = Searcher(kb)
    try:
        out = []
        for query in queries:
            outcome = searcher.search(query, k=10)
            results = []
            for result in outcome.results:
                whole = {**result.to_dict(), "score": round(result.score, 9), "confidence": round(result.confidence, 9)}
                results.append({"ref": result.ref, "kind": result.kind, "report": result.report.get("path"),
                                "score": whole["score"], "confidence": whole["confidence"], "exact": result.exact,
                                "matched": result.matched, "all": _digest(whole)})
            out.append({"query": query, "terms": outcome.terms, "results": results})
        return out
    finally:
        searcher.close()


def snapshot() -> dict:
    from kb.ingest import ingest
    from kb.store.knowledge_base import KnowledgeBase

    with tempfile.TemporaryDirectory(prefix="runbook-golden-") as tmp:
        folder = Path(tmp) / "corpus"
        paths = _inputs(folder)
        parsed = _parsed(paths)
        kb = KnowledgeBase.init(Path(tmp) / "kb")
        try:
            result = ingest(kb, [folder])
            outcome = {"ingested": result.ingested, "unchanged": result.unchanged, "failed": result.failed,
                       "redactions": [{**entry, "file": Path(entry["file"]).name} for entry in result.redactions_json()]}
            data = {"inputs": [path.name for path in paths], "parsed": parsed, "ingest": outcome,
                    "stored": _stored(kb, folder), "index": _index(kb),
                    "search": _results(kb, _queries(kb, parsed))}
        finally:
            kb.close()
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))  # tuples as lists, as the file has them


def main() -> None:
    if "--write" not in sys.argv:
        raise SystemExit(__doc__)
    GOLDEN.write_text(json.dumps(snapshot(), ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
