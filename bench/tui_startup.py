"""TUI speed (issue 11): launch to first paint and to a usable search screen (in tmux, as an operator
starts it), and search-as-you-type latency on a 10,000-report KB (Textual's Pilot: time from the last
keystroke to that query's results on screen), with `rg -i -F` and `grep -r -i -F` run over the same
report folder for the same queries in the same run, the ratios printed.

    python bench/tui_startup.py [-n 10000] [--runs 7] [--queries 30]

Targets: first paint <= 0.3 s, search screen usable <= 0.6 s (both on the 10,000-report KB and on
the sample KB), search-as-you-type p90 <= 60 ms at 10,000 reports. Bytecode is cached (as on a
user's machine): one warm-up launch first.
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

FIRST_PAINT_TARGET, READY_TARGET, TYPING_P90_TARGET = 0.3, 0.6, 0.060


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def first_paint(kb_path: Path, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from launching `runbook` in tmux to (a) anything of runbook painted, (b) the search
    screen usable (its status line, which shows once the KB and index are open, is on screen)."""
    runbook = shutil.which("runbook") or str(Path(sys.executable).parent / "runbook")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["TERM"] = "xterm-256color"
    painted, ready = [], []
    for attempt in range(runs + 1):  # the first launch writes the .pyc files: not counted
        session = f"rb-bench-{uuid.uuid4().hex[:6]}"
        for _ in range(3):  # a tmux server shared with other jobs can refuse a new session now and then
            start = time.perf_counter()
            launched = subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
                                       f"{runbook} --kb {kb_path}"], env=env, capture_output=True, text=True)
            if launched.returncode == 0:
                break
            time.sleep(0.5)
        else:
            sys.exit(f"error: tmux could not start a session: {launched.stderr.strip()}")
        first = done = None
        while time.perf_counter() - start < 15:
            screen = subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True,
                                    text=True).stdout
            if first is None and ("runbook" in screen or "Opening" in screen):
                first = time.perf_counter() - start
            if "known errors in" in screen or "known error in" in screen:
                done = time.perf_counter() - start
                break
            time.sleep(0.003)
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        if attempt:
            painted.append(first if first is not None else float("nan"))
            ready.append(done if done is not None else float("nan"))
    return painted, ready


async def typing_latency(kb: KnowledgeBase, queries: list[str]) -> tuple[list[float], list[float]]:
    """Seconds from the last keystroke of each query to (a) its results in the result list, (b) the
    best one's fix in the detail pane. The key goes in as the terminal delivers it (a Key event), not
    through Pilot.press, which also waits for the whole app to fall idle (every later repaint)."""
    from textual import events
    from textual.widgets import Markdown

    from runbook.app import RunbookApp
    from runbook.markdown_views import error_markdown

    app = RunbookApp(kb)
    listed, detailed = [], []
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(600):
            await pilot.pause(0.05)
            if app.current_mode == "search" and app.screen.query("#paste"):
                break
        screen = app.screen
        area = screen.query_one("#paste")
        detail = screen.query_one("#detail", Markdown)
        for query in queries:
            area.clear()
            await pilot.pause(0.3)
            head, last = query[:-1], query[-1]
            area.insert(head)
            await pilot.pause(0.5)  # the operator has typed all but the last key and the results caught up
            start = time.perf_counter()
            app.post_message(events.Key("space" if last == " " else last, last))  # the last keystroke
            shown = None
            while time.perf_counter() - start < 5:
                await asyncio.sleep(0.001)
                if shown is None and area.text == query and screen._shown_query == query:
                    shown = time.perf_counter() - start
                    if not screen.results:
                        break
                if shown is not None and detail._markdown == error_markdown(screen.results[0].to_dict()):
                    break
            now = time.perf_counter() - start
            listed.append(shown if shown is not None else now)
            detailed.append(now)
    return listed, detailed


def scan_times(folder: Path, queries: list[str]) -> dict[str, list[float]]:
    """Seconds per query for what an operator would run instead, over the same report folder."""
    tools = {}
    if shutil.which("rg"):
        tools["rg -i -F"] = lambda q: ["rg", "-i", "-F", "-l", "-e", q, str(folder)]
    tools["grep -r -i -F"] = lambda q: ["grep", "-r", "-i", "-F", "-l", "-e", q, str(folder)]
    times: dict[str, list[float]] = {name: [] for name in tools}
    for query in queries:
        for name, command in tools.items():
            start = time.perf_counter()
            subprocess.run(command(query), capture_output=True)
            times[name].append(time.perf_counter() - start)
    return times


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="reports in the large KB (built by search_speed.py)")
    parser.add_argument("--runs", type=int, default=7, help="launches per KB for the first-paint figures")
    parser.add_argument("--queries", type=int, default=30, help="typed queries for the latency figures")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="runbook-tui-"))
    try:
        from search_speed import build_kb, make_queries

        big = build_kb(ROOT / "bench" / ".work", args.n)
        big_path = big.root
        if shutil.which("tmux"):
            sample = KnowledgeBase.init(work / "kb")
            ingest(sample, [ROOT / "assets" / "reports"])
            sample.close()
            for label, path in (("sample KB", work / "kb"), (f"{args.n}-report KB", big_path)):
                painted, ready = first_paint(path, args.runs)
                paint, usable = statistics.median(painted), statistics.median(ready)
                print(f"launch, {label}, median of {args.runs}: first paint {paint:.2f} s "
                      f"(target <= {FIRST_PAINT_TARGET} s: {verdict(paint, FIRST_PAINT_TARGET)}); "
                      f"search screen usable {usable:.2f} s, max {max(ready):.2f} s "
                      f"(target <= {READY_TARGET} s: {verdict(usable, READY_TARGET)})")
        else:
            print("tmux not found: first-paint timing skipped (apt-get install tmux)")
        queries = [q.splitlines()[0][:120] for q in make_queries(big, args.queries)]
        listed, detailed = asyncio.run(typing_latency(big, queries))
        scans = scan_times(big.reports_dir, queries)
        big.close()
        ms = [x * 1000 for x in listed]
        p50, p90 = statistics.median(ms), percentile(ms, 0.9)
        detail_ms = [x * 1000 for x in detailed]
        print(f"search as you type, {args.n} reports, {len(queries)} queries: last keystroke to the results listed "
              f"p50 {p50:.0f} ms, p90 {p90:.0f} ms, max {max(ms):.0f} ms "
              f"(target p90 <= {TYPING_P90_TARGET * 1000:.0f} ms: {verdict(p90 / 1000, TYPING_P90_TARGET)}); "
              f"to the best fix in the detail pane p50 {statistics.median(detail_ms):.0f} ms, "
              f"p90 {percentile(detail_ms, 0.9):.0f} ms")
        for name, values in scans.items():
            scan = [x * 1000 for x in values]
            print(f"  `{name}` over the same {args.n} reports, same queries: p50 {statistics.median(scan):.0f} ms, "
                  f"p90 {percentile(scan, 0.9):.0f} ms (TUI / {name.split()[0]}: p50 {p50 / statistics.median(scan):.1f}x, "
                  f"p90 {p90 / percentile(scan, 0.9):.1f}x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
