"""Benchmark: the runnable catalogue (`runbook list runbooks`, F4) and stable ids on N synthetic reports.

    python bench/catalogue.py            # 2,000 reports
    python bench/catalogue.py -n 500

Measures: ingest and reindex (both keep every id through refs.tsv), the size of refs.tsv, building
the catalogue (what F4 and `list runbooks` do), and, side by side, what a user would do instead
to find runnable things in the sources: `grep -rlE` for task lists and mermaid blocks. Prints the
figures that README quotes.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synth import write_corpus  # noqa: E402

from kb.runs.catalogue import runnables  # noqa: E402
from kb.ingest import ingest, rebuild  # noqa: E402
from kb.store.knowledge_base import KnowledgeBase  # noqa: E402


def _timed(label: str, func, repeat: int = 1):
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<44} {best * 1000:9.1f} ms")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="number of reports (default 2000)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="runbook-bench-catalogue-"))
    try:
        write_corpus(work / "corpus", args.n)
        kb = KnowledgeBase.init(work / "kb")
        _timed(f"ingest {args.n} reports", lambda: ingest(kb, [work / "corpus"]))
        refs = kb.root / "refs.tsv"
        lines = sum(1 for line in refs.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
        print(f"{'refs.tsv':<44} {lines:9d} ids, {refs.stat().st_size / 1024:.0f} KB")
        before = kb.store.rows("select id, title from checklists order by id")
        _timed("reindex (ids kept)", lambda: rebuild(kb))
        assert kb.store.rows("select id, title from checklists order by id") == before, "ids moved on reindex"
        rows = _timed("catalogue (list runbooks / F4)", lambda: runnables(kb), repeat=3)
        print(f"{'  runnable entries':<44} {len(rows):9d}")
        grep = shutil.which("grep")
        if grep:
            _timed("grep -rlE task lists and mermaid (by hand)", lambda: subprocess.run(
                [grep, "-rlE", r"^\s*- \[[ x]\]|```mermaid", str(kb.reports_dir)], capture_output=True), repeat=3)
        kb.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
