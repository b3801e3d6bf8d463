"""Search speed on a 10,000-report synthetic KB: in-process, as a whole `runbook search` process,
and `rg -i` (or grep) over the same reports for the same queries.

    python bench/search_speed.py            # builds the KB under bench/.work/ (kept for re-runs)
    python bench/search_speed.py -n 2000 --queries 200
    python bench/search_speed.py --process-only   # only the whole-process figures, on the KB already built

Targets: in-process p50 <= 5 ms and p99 <= 25 ms at 10,000 reports (issue 11: errors and passages
indexed; one Searcher kept open, as the TUI keeps it, its per-index caches filling as the queries run);
whole process <= 0.5 s.

The whole-process comparison (issue 11) runs `runbook search` with bytecode cached, as a user's
machine has it (PYTHONDONTWRITEBYTECODE removed from its environment, one warm-up run first),
interleaved query by query with `rg -i -F` (when installed) and `grep -r -i -F` over the same
report folder, and prints the medians and ratios; also the time to import `runbook.cli`.
Targets: `runbook search` median <= 0.15 s at 2,000 reports, <= 0.2 s at 10,000.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import write_corpus  # noqa: E402

from kb.ingest import ingest  # noqa: E402
from kb.store.knowledge_base import KnowledgeBase  # noqa: E402
from kb.search.ranking import Searcher  # noqa: E402


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


def cached_bytecode_env() -> dict[str, str]:
    """The environment of a user's shell: Python writes and reuses .pyc files."""
    return {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], env: dict[str, str] | None = None, cpu: list[float] | None = None) -> float:
    """Wall seconds of one run; its CPU seconds (user + system) are appended to cpu when given."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, env=env)
    wall = time.perf_counter() - start
    if cpu is not None:
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def whole_process(kb: KnowledgeBase, queries: list[str], runs: int) -> dict[str, float]:
    """Median seconds per query: `runbook search` (bytecode cached) beside rg and grep over the same
    reports, run interleaved so a busy machine slows all of them alike; and importing runbook.cli."""
    runbook = shutil.which("runbook") or str(Path(sys.executable).parent / "runbook")
    env = cached_bytecode_env()
    folder = str(kb.reports_dir)
    tools: dict[str, Callable[[str], list[str]]] = {"runbook search": lambda q: [runbook, "--kb", str(kb.root), "search", q]}
    if shutil.which("rg"):
        tools["rg -i -F"] = lambda q: ["rg", "-i", "-F", "-l", "-e", q.splitlines()[0][:200], folder]
    tools["grep -r -i -F"] = lambda q: ["grep", "-r", "-i", "-F", "-l", "-e", q.splitlines()[0][:200], folder]
    subprocess.run(tools["runbook search"](queries[0]), capture_output=True, env=env)  # writes the .pyc files
    times: dict[str, list[float]] = {name: [] for name in tools}
    cpu: list[float] = []
    for query in (queries * (runs // max(len(queries), 1) + 1))[:runs]:
        for name, command in tools.items():
            own = name == "runbook search"
            times[name].append(timed(command(query), env if own else None, cpu if own else None))
    medians = {name: statistics.median(values) for name, values in times.items()}
    medians["runbook search cpu"] = statistics.median(cpu)
    python = [sys.executable, "-c", "pass"]
    importing = [sys.executable, "-c", "import runbook.cli"]
    bare = statistics.median(timed(python, env) for _ in range(runs))
    medians["import runbook.cli"] = statistics.median(timed(importing, env) for _ in range(runs))
    medians["python -c pass"] = bare
    return medians


def print_whole_process(kb: KnowledgeBase, n: int, queries: list[str], runs: int) -> None:
    medians = whole_process(kb, queries, runs)
    own = medians["runbook search"]
    print(f"whole process, bytecode cached, median of {runs} over the same {n} reports:")
    print(f"  `runbook search`      {own:.3f} s   (CPU time, user + system: {medians['runbook search cpu']:.3f} s; "
          f"on a busy machine the wall time waits for a core, the CPU time does not)")
    for name in ("rg -i -F", "grep -r -i -F"):
        if name in medians:
            print(f"  `{name}`{' ' * (19 - len(name))} {medians[name]:.3f} s   (runbook / {name.split()[0]}: "
                  f"{own / medians[name]:.1f}x)")
    if "rg -i -F" not in medians:
        print("  `rg` is not installed: skipped (apt-get install ripgrep)")
    print(f"  python -c 'import runbook.cli' {medians['import runbook.cli']:.3f} s "
          f"(the bare interpreter: {medians['python -c pass']:.3f} s)")
    target = 0.15 if n <= 2000 else 0.2
    print(f"target (`runbook search` median <= {target} s at {n} reports):", "met" if own <= target else "MISSED")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--process-runs", type=int, default=20)
    parser.add_argument("--process-only", action="store_true",
                        help="Only the whole-process figures, on the KB already built under bench/.work/ (no rebuild).")
    args = parser.parse_args()
    work = ROOT / "bench" / ".work"
    if args.process_only:
        kb = KnowledgeBase(work / f"kb-{args.n}")
        if not kb.exists():
            sys.exit(f"error: no KB at {kb.root}: run bench/search_speed.py -n {args.n} once to build it")
        print_whole_process(kb, args.n, make_queries(kb, args.process_runs), args.process_runs)
        kb.close()
        return
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
    counts = kb.store.counts()
    print(f"in-process search over {counts['errors']} errors and {counts['passages']} passages: p50 {p50:.1f} ms, "
          f"p99 {p99:.1f} ms ({found}/{len(queries)} queries answered)")
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
    print("in-process target (p50 <= 5 ms, p99 <= 25 ms):", "met" if p50 <= 5 and p99 <= 25 else "MISSED")
    ok = statistics.median(process) <= 0.5
    print("target (process <= 0.5 s):", "met" if ok else "MISSED")
    print_whole_process(kb, args.n, queries, args.process_runs)
    kb.close()


if __name__ == "__main__":
    main()
