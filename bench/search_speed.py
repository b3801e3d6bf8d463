"""Search speed on a 10,000-report synthetic KB: in-process, as a whole `runbook search` process,
and `rg -i` (or grep) over the same reports for the same queries.

    python bench/search_speed.py            # builds the KB under bench/.work/ (kept for re-runs)
    python bench/search_speed.py -n 2000 --queries 200

Targets: in-process p50 <= 20 ms and p99 <= 100 ms; whole process <= 0.5 s.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import write_corpus  # noqa: E402

from kb.ingest import ingest  # noqa: E402
from kb.knowledge_base import KnowledgeBase  # noqa: E402
from kb.search import Searcher  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def build_kb(work: Path, n: int) -> KnowledgeBase:
    kb_path = work / f"kb-{n}"
    kb = KnowledgeBase(kb_path)
    if kb.exists() and kb.store.counts()["reports"] == n:
        return kb
    shutil.rmtree(kb_path, ignore_errors=True)
    corpus = write_corpus(work / f"corpus-{n}", n)[0].parent
    kb = KnowledgeBase.init(kb_path)
    start = time.perf_counter()
    ingest(kb, [corpus])
    print(f"built a {n}-report KB in {time.perf_counter() - start:.1f} s")
    return kb


def make_queries(kb: KnowledgeBase, count: int) -> list[str]:
    rng = random.Random(11)
    rows = kb.store.rows("select message from errors where log != '' order by random() limit ?", [count])
    queries = []
    for i, row in enumerate(rows):
        message = row["message"]
        kind = i % 3
        if kind == 0:
            queries.append(message)  # exact
        elif kind == 1:  # variant: other numbers, prefix, extra noise line
            changed = re.sub(r"\d+", lambda m: str(rng.randint(1, 9999)), message)
            queries.append(f"2026-11-0{rng.randint(1, 9)}T10:00:00Z ERROR [w-{rng.randint(1, 9)}] {changed}\nINFO retrying")
        else:  # a few words of it
            words = re.findall(r"[A-Za-z]{4,}", message)
            queries.append(" ".join(rng.sample(words, min(3, len(words)))) or message)
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--process-runs", type=int, default=20)
    args = parser.parse_args()
    work = ROOT / "bench" / ".work"
    work.mkdir(parents=True, exist_ok=True)
    kb = build_kb(work, args.n)
    queries = make_queries(kb, args.queries)
    searcher = Searcher(kb)
    for query in queries[:10]:
        searcher.search(query)
    timings, found = [], 0
    for query in queries:
        start = time.perf_counter()
        results = searcher.search(query, k=3).results
        timings.append((time.perf_counter() - start) * 1000)
        found += bool(results)
    p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
    print(f"in-process search over {kb.store.counts()['errors']} errors: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
          f"({found}/{len(queries)} queries answered)")
    searcher.close()

    runbook = shutil.which("runbook") or str(Path(sys.executable).parent / "runbook")
    process = []
    for query in queries[: args.process_runs]:
        start = time.perf_counter()
        subprocess.run([runbook, "--kb", str(kb.root), "search", "--json", query], capture_output=True)
        process.append(time.perf_counter() - start)
    print(f"`runbook search` whole process: p50 {statistics.median(process):.2f} s, max {max(process):.2f} s")

    grep = shutil.which("rg")
    tool = "rg -i -F" if grep else "grep -r -i -F"
    command = (lambda q: [grep, "-i", "-F", "-l", "-e", q, str(kb.reports_dir)]) if grep else \
        (lambda q: ["grep", "-r", "-i", "-F", "-l", "-e", q, str(kb.reports_dir)])
    scans = []
    for query in queries[: args.process_runs]:
        line = query.splitlines()[0][:200]
        start = time.perf_counter()
        subprocess.run(command(line), capture_output=True)
        scans.append(time.perf_counter() - start)
    print(f"`{tool}` over the same {args.n} reports: p50 {statistics.median(scans):.2f} s "
          f"(runbook process / {tool.split()[0]}: {statistics.median(process) / statistics.median(scans):.2f}x; "
          f"in-process / {tool.split()[0]}: {p50 / 1000 / statistics.median(scans):.3f}x)")
    ok = p50 <= 20 and p99 <= 100 and statistics.median(process) <= 0.5
    print("targets (p50 <= 20 ms, p99 <= 100 ms, process <= 0.5 s):", "met" if ok else "MISSED")
    kb.close()


if __name__ == "__main__":
    main()
