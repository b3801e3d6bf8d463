"""Search quality on labelled queries.

    python bench/search_quality.py [--show-misses]                 # our own samples (bench/queries.jsonl)
    python bench/search_quality.py --corpus ../shared/corpus        # real reports by other teams

Own samples: a hit is the right report with the expected error message. Prints recall@1,
recall@3 and MRR per kind (exact, variant, paraphrase), and for `unknown` queries (errors the KB
does not hold) how often search still answers (lower is better).
Targets: recall@1 >= 0.9 on exact and variant; recall@3 >= 0.7 on paraphrase.

Corpus (a folder with reports/ and queries.jsonl, as ../shared/corpus): a hit is the right report
with one of the query's `expect_fix_contains` words in what the operator reads as the fix (root
cause, fix, before/after, commit messages, linked passages), never the title or the error message.
Targets: recall@1 >= 0.85 and recall@3 >= 0.95 on exact and variant, recall@3 >= 0.85 on
paraphrase, MRR >= 0.85 overall. Skips cleanly when the folder is absent.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.ingest import ingest  # noqa: E402
from kb.store.knowledge_base import KnowledgeBase  # noqa: E402
from kb.search.ranking import Searcher  # noqa: E402


def fix_text(result) -> str:
    """What the operator reads as the fix: never the title or the error message."""
    parts = [result.root_cause, result.fix, result.before, result.after]
    parts += [commit.get("message") or "" for commit in result.commits]
    parts += [passage["text"] for passage in getattr(result, "passages", [])]
    return "\n".join(part or "" for part in parts)


def is_corpus_hit(result, query: dict) -> bool:
    if Path(result.report["path"]).name != query["report"]:
        return False
    text = _plain(fix_text(result))
    return any(_plain(word) in text for word in query["expect_fix_contains"])


def _plain(text: str) -> str:
    return " ".join(text.replace("`", "").split())


def is_hit(result, query: dict) -> bool:
    if "expect_fix_contains" in query:
        return is_corpus_hit(result, query)
    if Path(result.report["path"]).name != Path(query["source"]).name:
        return False
    needle = query["error"].replace("`", "")
    return any(needle in (text or "").replace("`", "") for text in (result.message, result.title, result.log))


def evaluate(searcher: Searcher, queries: list[dict], show_misses: bool = False) -> dict[str, dict[str, float]]:
    ranks: dict[str, list[int | None]] = defaultdict(list)
    answered = []
    confident = []
    for query in queries:
        results = searcher.search(query["query"], k=10).results
        if query["kind"] == "unknown":
            answered.append(bool(results))
            confident.append(bool(results) and not results[0].weak)
            if show_misses and results:
                print(f"  unknown    answered q={query['query'][:60]!r} with {results[0].message[:60]!r}")
            continue
        rank = next((i + 1 for i, r in enumerate(results) if is_hit(r, query)), None)
        ranks[query["kind"]].append(rank)
        if show_misses and rank != 1:
            got = results[0].message[:70] if results else "(nothing)"
            print(f"  {query['kind']:<10} rank={rank} q={query['query'][:60]!r}\n             want={query.get('error') or query.get('error_id')!r} got={got!r}")
    table = {}
    for kind, values in sorted(ranks.items()):
        n = len(values)
        table[kind] = {
            "n": n,
            "recall@1": sum(1 for r in values if r == 1) / n,
            "recall@3": sum(1 for r in values if r and r <= 3) / n,
            "mrr": sum(1 / r for r in values if r) / n,
        }
    if answered:
        table["unknown"] = {"n": len(answered), "answered": sum(answered) / len(answered),
                            "confident": sum(confident) / len(confident)}
    return table


def grep_baseline(reports_dir: Path, queries: list[dict]) -> dict[str, dict[str, float]]:
    """What an operator does instead: grep the reports for the paste's telling line (case-insensitive,
    literal) and read the section around each hit, in file order. A hit: the right report, and an
    expected fix word in that section."""
    from kb.parse.normalize import salient_lines

    sections = []  # (file name, section text)
    for path in sorted(reports_dir.glob("*.md")):
        current: list[str] = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("#") and current:
                sections.append((path.name, "\n".join(current)))
                current = []
            current.append(line)
        sections.append((path.name, "\n".join(current)))
    ranks: dict[str, list[int | None]] = defaultdict(list)
    for query in queries:
        lines = salient_lines(query["query"])
        needle = (lines[0][0] if lines else query["query"]).strip().lower()
        found = [(name, text) for name, text in sections if needle and needle in text.lower()]
        rank = next((i + 1 for i, (name, text) in enumerate(found) if name == query["report"]
                     and any(_plain(w) in _plain(text) for w in query["expect_fix_contains"])), None)
        ranks[query["kind"]].append(rank)
    return {kind: {"n": len(v), "recall@1": sum(r == 1 for r in v) / len(v),
                   "recall@3": sum(bool(r and r <= 3) for r in v) / len(v),
                   "mrr": sum(1 / r for r in v if r) / len(v)} for kind, v in sorted(ranks.items())}


def print_table(table: dict[str, dict[str, float]]) -> None:
    print(f"{'kind':<12}{'n':>4}{'recall@1':>10}{'recall@3':>10}{'MRR':>8}")
    for kind, row in table.items():
        if kind != "unknown":
            print(f"{kind:<12}{row['n']:>4}{row['recall@1']:>10.2f}{row['recall@3']:>10.2f}{row['mrr']:>8.2f}")
    if "unknown" in table:
        print(f"unknown     {table['unknown']['n']:>4}  answered anyway: {table['unknown']['answered']:.2f}, "
              f"as the known fix (not a possible match): {table['unknown']['confident']:.2f} "
              "(errors the KB does not hold; lower is better)")


def overall_mrr(table: dict[str, dict[str, float]]) -> float:
    rows = [row for kind, row in table.items() if kind != "unknown"]
    return sum(row["mrr"] * row["n"] for row in rows) / max(1, sum(row["n"] for row in rows))


def run(reports: Path, queries: list[dict], show_misses: bool) -> dict[str, dict[str, float]]:
    work = Path(tempfile.mkdtemp(prefix="runbook-quality-"))
    try:
        kb = KnowledgeBase.init(work / "kb")
        ingest(kb, [reports])
        searcher = Searcher(kb)
        table = evaluate(searcher, queries, show_misses)
        searcher.close()
        kb.close()
        return table
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--corpus", type=Path, help="a folder with reports/ and queries.jsonl (real reports)")
    parser.add_argument("--shapes", action="store_true",
                        help="our own samples with bench/shapes_queries.jsonl, scored like a corpus")
    args = parser.parse_args()
    if args.shapes:
        reports_dir, queries_file = ROOT / "assets" / "reports", ROOT / "bench" / "shapes_queries.jsonl"
    elif args.corpus is not None:
        reports_dir, queries_file = args.corpus / "reports", args.corpus / "queries.jsonl"
    if args.corpus is not None or args.shapes:
        if not queries_file.is_file() or not reports_dir.is_dir():
            print(f"skipped: no corpus at {args.corpus} (needs reports/ and queries.jsonl)")
            return
        queries = [json.loads(line) for line in queries_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        table = run(reports_dir, queries, args.show_misses)
        reports = len([p for p in reports_dir.glob("*.md") if p.name != "SOURCES.md"])
        print(f"{reports_dir}: {reports} reports, {len(queries)} queries")
        print_table(table)
        grep = grep_baseline(reports_dir, queries)
        print("grep -i -F of the paste's telling line, reading the section around each hit (same queries):")
        print_table(grep)
        mrr = overall_mrr(table)
        print(f"overall MRR {mrr:.2f}")
        ok = all(table[kind]["recall@1"] >= 0.85 and table[kind]["recall@3"] >= 0.95 for kind in ("exact", "variant")
                 if kind in table) and table.get("paraphrase", {}).get("recall@3", 1) >= 0.85 and mrr >= 0.85
        print("targets (exact/variant R@1 >= 0.85 and R@3 >= 0.95, paraphrase R@3 >= 0.85, MRR >= 0.85):",
              "met" if ok else "MISSED")
        return
    queries = [json.loads(line) for line in (ROOT / "bench" / "queries.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    table = run(ROOT / "assets" / "reports", queries, args.show_misses)
    print_table(table)
    ok = (table["exact"]["recall@1"] >= 0.9 and table["variant"]["recall@1"] >= 0.9
          and table["paraphrase"]["recall@3"] >= 0.7)
    print("targets (exact/variant recall@1 >= 0.9, paraphrase recall@3 >= 0.7):", "met" if ok else "MISSED")


if __name__ == "__main__":
    main()
