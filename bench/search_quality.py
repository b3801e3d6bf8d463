"""Search quality on the labelled query set (bench/queries.jsonl) over the bundled sample reports.

    python bench/search_quality.py [--show-misses]

Prints recall@1, recall@3 and MRR per kind (exact, variant, paraphrase), and for `unknown`
queries (errors the KB does not hold) how often search still answers (lower is better).
Targets: recall@1 >= 0.9 on exact and variant; recall@3 >= 0.7 on paraphrase.
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
from kb.knowledge_base import KnowledgeBase  # noqa: E402
from kb.search import Searcher  # noqa: E402


def is_hit(result, query: dict) -> bool:
    if Path(result.report["path"]).name != Path(query["source"]).name:
        return False
    needle = query["error"].replace("`", "")
    return any(needle in (text or "").replace("`", "") for text in (result.message, result.title, result.log))


def evaluate(searcher: Searcher, queries: list[dict], show_misses: bool = False) -> dict[str, dict[str, float]]:
    ranks: dict[str, list[int | None]] = defaultdict(list)
    answered = []
    for query in queries:
        results = searcher.search(query["query"], k=10).results
        if query["kind"] == "unknown":
            answered.append(bool(results))
            if show_misses and results:
                print(f"  unknown    answered q={query['query'][:60]!r} with {results[0].message[:60]!r}")
            continue
        rank = next((i + 1 for i, r in enumerate(results) if is_hit(r, query)), None)
        ranks[query["kind"]].append(rank)
        if show_misses and rank != 1:
            got = results[0].message[:70] if results else "(nothing)"
            print(f"  {query['kind']:<10} rank={rank} q={query['query'][:60]!r}\n             want={query['error'][:50]!r} got={got!r}")
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
        table["unknown"] = {"n": len(answered), "answered": sum(answered) / len(answered)}
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    queries = [json.loads(line) for line in (ROOT / "bench" / "queries.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    work = Path(tempfile.mkdtemp(prefix="runbook-quality-"))
    try:
        kb = KnowledgeBase.init(work / "kb")
        ingest(kb, [ROOT / "assets" / "reports"])
        searcher = Searcher(kb)
        table = evaluate(searcher, queries, args.show_misses)
        print(f"{'kind':<12}{'n':>4}{'recall@1':>10}{'recall@3':>10}{'MRR':>8}")
        for kind, row in table.items():
            if kind == "unknown":
                continue
            print(f"{kind:<12}{row['n']:>4}{row['recall@1']:>10.2f}{row['recall@3']:>10.2f}{row['mrr']:>8.2f}")
        if "unknown" in table:
            print(f"unknown     {table['unknown']['n']:>4}  answered anyway: {table['unknown']['answered']:.2f} "
                  "(errors the KB does not hold; lower is better)")
        ok = (table["exact"]["recall@1"] >= 0.9 and table["variant"]["recall@1"] >= 0.9
              and table["paraphrase"]["recall@3"] >= 0.7)
        print("targets (exact/variant recall@1 >= 0.9, paraphrase recall@3 >= 0.7):", "met" if ok else "MISSED")
        searcher.close()
        kb.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
