"""Benchmark: ingest N synthetic reports into a fresh KB, then re-ingest them unchanged.

    python bench/ingest.py            # 10,000 reports (targets: < 60 s, re-ingest < 5 s)
    python bench/ingest.py -n 1000

Prints the figures that README quotes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synth import write_corpus  # noqa: E402

from kb.ingest import ingest  # noqa: E402
from kb.store.knowledge_base import KnowledgeBase  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="number of reports (default 10000)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="runbook-bench-"))
    try:
        corpus = work / "corpus"
        start = time.perf_counter()
        write_corpus(corpus, args.n)
        size = sum(p.stat().st_size for p in corpus.iterdir())
        print(f"generated {args.n} reports ({size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")
        kb = KnowledgeBase.init(work / "kb")
        start = time.perf_counter()
        first = ingest(kb, [corpus])
        first_s = time.perf_counter() - start
        counts = kb.store.counts()
        print(f"first ingest:  {first.summary()} in {first_s:.1f} s "
              f"({args.n / first_s:.0f} reports/s; {counts['errors']} errors, {counts['checklists']} checklists, "
              f"{counts['commands']} commands) on {os.cpu_count()} cores")
        print("  phases: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in first.timings.items()))
        start = time.perf_counter()
        again = ingest(kb, [corpus])
        again_s = time.perf_counter() - start
        print(f"re-ingest:     {again.summary()} in {again_s:.2f} s")
        kb.close()
        ok = first_s < 60 * args.n / 10_000 and again_s < 5 * args.n / 10_000
        print("targets (scaled to N): first < 60 s per 10k, unchanged < 5 s per 10k:", "met" if ok else "MISSED")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
