"""TUI speed: launch to first paint on the sample KB (in tmux), and search-as-you-type latency on a
10,000-report KB (Textual's Pilot: time from the last keystroke to the results on screen).

    python bench/tui_startup.py [-n 10000] [--runs 5]

Targets: first paint <= 1 s; results within 150 ms of the last keystroke.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb.ingest import ingest  # noqa: E402
from kb.store.knowledge_base import KnowledgeBase  # noqa: E402


def first_paint(kb_path: Path, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from launching `runbook` in tmux to (a) anything painted, (b) the search screen ready."""
    runbook = shutil.which("runbook") or str(Path(sys.executable).parent / "runbook")
    painted, ready = [], []
    for _ in range(runs):
        session = f"rb-bench-{uuid.uuid4().hex[:6]}"
        start = time.perf_counter()
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
                        f"{runbook} --kb {kb_path}"], check=True, env={**os.environ, "TERM": "xterm-256color"})
        first = None
        while time.perf_counter() - start < 15:
            screen = subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True,
                                    text=True).stdout
            if first is None and ("runbook" in screen or "Opening" in screen):
                first = time.perf_counter() - start
            if "known errors in" in screen:
                ready.append(time.perf_counter() - start)
                break
            time.sleep(0.005)
        painted.append(first or float("nan"))
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    return painted, ready


async def typing_latency(kb: KnowledgeBase, queries: list[str]) -> list[float]:
    from runbook.app import RunbookApp

    app = RunbookApp(kb)
    latencies = []
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(600):
            await pilot.pause(0.05)
            if app.current_mode == "search" and app.screen.query("#paste"):
                break
        screen = app.screen
        area = screen.query_one("#paste")
        for query in queries:
            area.clear()
            await pilot.pause(0.3)
            head, last = query[:-1], query[-1]
            area.insert(head)
            start = time.perf_counter()
            await pilot.press(last if last != " " else "space")  # the last keystroke
            while time.perf_counter() - start < 5:
                await asyncio.sleep(0.002)
                if screen.results and area.text == query and screen._shown_query == query:
                    break
            latencies.append(time.perf_counter() - start)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="reports in the large KB (built by search_speed.py)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="runbook-tui-"))
    try:
        sample = KnowledgeBase.init(work / "kb")
        ingest(sample, [ROOT / "assets" / "reports"])
        sample.close()
        if shutil.which("tmux"):
            painted, ready = first_paint(work / "kb", args.runs)
            print(f"launch to first paint (sample KB): median {statistics.median(painted):.2f} s; "
                  f"to the search screen ready: median {statistics.median(ready):.2f} s, max {max(ready):.2f} s")
        else:
            print("tmux not found: first-paint timing skipped")
        from search_speed import build_kb, make_queries

        big = build_kb(ROOT / "bench" / ".work", args.n)
        queries = [q.splitlines()[0][:120] for q in make_queries(big, 30)]
        latencies = asyncio.run(typing_latency(big, queries))
        ms = sorted(x * 1000 for x in latencies)
        print(f"search-as-you-type on {args.n} reports: last keystroke to results p50 {statistics.median(ms):.0f} ms, "
              f"p90 {ms[int(0.9 * (len(ms) - 1))]:.0f} ms, max {ms[-1]:.0f} ms (includes the 80 ms debounce)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
