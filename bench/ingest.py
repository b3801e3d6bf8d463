"""Benchmark: ingest N synthetic reports into a fresh KB, then re-ingest them unchanged; and the
peak memory of `runbook search` on the KB it built.

    python bench/ingest.py            # 10,000 reports
    python bench/ingest.py -n 1000

Targets (issue 11, passages indexed): first ingest < 60 s per 10,000 reports; an unchanged
re-ingest < 2 s (in-process, and as a whole `runbook ingest` process, which includes a small
interpreter that starts it and measures it); peak RSS of a whole `runbook search` process <= 150 MB
at 10,000 reports (os.wait4 on it, from that small interpreter: its own high-water mark, not this
process's). Prints the figures that README quotes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synth import write_corpus  # noqa: E402

from kb.ingest import ingest  # noqa: E402
from kb.store.knowledge_base import KnowledgeBase  # noqa: E402


def runbook_command() -> str:
    return shutil.which("runbook") or str(Path(sys.executable).parent / "runbook")


# Runs one command and prints its peak RSS. A process forked from this one would start with this
# process's memory (an ingest of 10,000 reports holds hundreds of MB) and Linux counts that in the
# child's high-water mark across exec; forked from a fresh small interpreter, the command's own peak shows.
_MEASURE = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def child_run(command: list[str]) -> tuple[float, int]:
    """Seconds and peak RSS (bytes) of one whole process, from the kernel's own accounting."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["RUNBOOK_SEARCH_SERVER"] = "off"  # the in-process search's own memory, not a served one's
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    code, peak_kib = (int(word) for word in out.stdout.split())
    if code != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... exited with {code}")
    return seconds, peak_kib * 1024  # Linux reports KiB


def search_memory(kb: KnowledgeBase, count: int = 10) -> list[int]:
    """Peak RSS of whole `runbook search` processes for error messages of the KB (one warm-up first)."""
    messages = [row["message"] for row in kb.store.rows(
        "select message from errors where message != '' order by id limit ?", [count * 50])][::50][:count]
    command = [runbook_command(), "--kb", str(kb.root), "search"]
    child_run([*command, messages[0]])  # writes the bytecode, as a user's second search has it
    return [child_run([*command, message])[1] for message in messages]


def cpu_line(before: os.times_result, after: os.times_result, wall: float) -> str:
    """CPU seconds of the ingest: this process, and the worker processes it waited for (the parse pool
    and Whoosh's sub-writers, each counted once joined; git's processes too). Their sum over the cores
    is the least wall time any overlapping of phases could reach."""
    own = after.user + after.system - before.user - before.system
    workers = after.children_user + after.children_system - before.children_user - before.children_system
    cores = os.cpu_count() or 1
    return (f"CPU: {own + workers:.1f} s ({own:.1f} s in this process, {workers:.1f} s in worker processes): "
            f"no overlap of phases on {cores} cores finishes under {(own + workers) / cores:.1f} s "
            f"(wall {wall:.1f} s: {(own + workers) / (wall * cores):.0%} of the cores used)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="number of reports (default 10000)")
    parser.add_argument("--keep", type=Path, help="build in this (new) folder and keep the KB and corpus there")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="runbook-bench-"))
    if args.keep:
        work.mkdir(parents=True)
    try:
        corpus = work / "corpus"
        start = time.perf_counter()
        write_corpus(corpus, args.n)
        size = sum(p.stat().st_size for p in corpus.iterdir())
        print(f"generated {args.n} reports ({size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")
        kb = KnowledgeBase.init(work / "kb")
        start, before = time.perf_counter(), os.times()
        first = ingest(kb, [corpus])
        first_s, after = time.perf_counter() - start, os.times()
        counts = kb.store.counts()
        print(f"first ingest:  {first.summary()} in {first_s:.1f} s "
              f"({args.n / first_s:.0f} reports/s; {counts['errors']} errors, {counts['checklists']} checklists, "
              f"{counts['commands']} commands) on {os.cpu_count()} cores")
        print("  phases: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in first.timings.items()))
        print("  " + cpu_line(before, after, first_s))
        start = time.perf_counter()
        again = ingest(kb, [corpus])
        again_s = time.perf_counter() - start
        print(f"re-ingest:     {again.summary()} in {again_s:.2f} s (in-process)")
        whole = [child_run([runbook_command(), "--kb", str(kb.root), "ingest", str(corpus)])[0] for _ in range(3)]
        whole_s = statistics.median(whole)
        print(f"re-ingest:     `runbook ingest` of the same folder, a whole process: {whole_s:.2f} s "
              f"(median of {len(whole)})")
        peaks = search_memory(kb)
        peak = max(peaks) / 1e6
        print(f"search memory: `runbook search` peak RSS {peak:.0f} MB (max of {len(peaks)} queries; "
              f"median {statistics.median(peaks) / 1e6:.0f} MB) at {args.n} reports")
        kb.close()
        ok = first_s < 60 * args.n / 10_000 and max(again_s, whole_s) < 2
        print("targets: first < 60 s per 10k reports, unchanged re-ingest < 2 s:", "met" if ok else "MISSED")
        print("target: `runbook search` peak RSS <= 150 MB:", "met" if peak <= 150 else "MISSED")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
