"""Hostile sizes, timed as a user meets them: 1 MB pastes through `runbook search -`, and reports of 50,000
headings through `runbook ingest`, each beside what a user would do instead (rg / grep of the same input).

    python bench/hostile_speed.py                 # the sample KB; 3 runs each, median
    python bench/hostile_speed.py --runs 5

Pastes (each 1 MB, README: "a paste may be up to 1 MB"): a service log with a few errors in it, one 1 MB line
of random tokens, a log of nothing but error lines, a Python traceback repeated, JSON log lines (zap-like) with
one error, a Chinese log, half a million short lines. Beside each: `rg -i -F -f PASTE` and `grep -r -i -F -f
PASTE` over the KB's reports (every line of the paste as a pattern: what a user pasting it into grep gets), with
a 60 s cap. Reports: 50,000 headings (numbered, each with a line of text), 50,000 bare numbered headings, the
same heading 50,000 times, and 50,000 `Error N` sections with a fix each; ingested into a fresh KB, beside
`rg -c '^#'` / `grep -c '^#'` of the file. Targets (issue 22): a paste < 1 s, a 50,000-heading report < 3 s.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = "import sys; from runbook.cli import main; sys.argv[0] = 'runbook'; main()"
MB = 1_000_000


def pastes(rng: random.Random) -> dict[str, str]:
    def fill(make) -> str:
        lines, size, n = [], 0, 0
        while size < MB:
            line = make(n)
            lines.append(line)
            size += len(line.encode("utf-8")) + 1
            n += 1
        return "\n".join(lines) + "\n"

    def service(n: int) -> str:
        if n % 700 == 350:
            return (f"2024-05-01T12:{n % 60:02d}:00Z ERROR worker-{n} psycopg2.OperationalError: could not connect to "
                    f"server: Connection refused host=10.0.{n % 255}.{n % 7} port=5432")
        return (f"2024-05-01T12:{n % 60:02d}:{n % 60:02d}.{n:06d}Z INFO request id={rng.getrandbits(64):x} "
                f"path=/api/v1/items/{n} status=200 took={rng.randint(1, 900)}ms user=u{rng.randint(1, 99999)}")

    traceback = ("Traceback (most recent call last):\n  File \"/srv/app/worker.py\", line 88, in run\n    "
                 "self.step()\n  File \"/srv/app/db.py\", line 12, in connect\n    raise ConnectionError(host)\n"
                 "ConnectionRefusedError: [Errno 111] Connection refused")
    return {
        "service log, 8 errors": fill(service),
        "one 1 MB line": " ".join(f"tok{rng.getrandbits(40):x}" for _ in range(70_000))[:MB],
        "errors only": fill(lambda n: f"ERROR job {n} failed: upstream timed out after {n % 90} s (attempt {n % 5})"),
        "traceback repeated": fill(lambda n: traceback),
        "JSON log lines, one error": fill(lambda n: (
            '{"level":"error","ts":1714560000.1,"caller":"etcd/put.go:88","msg":"put flag failed",'
            '"error":"etcdserver: request is too large"}' if n == 3000 else
            f'{{"level":"info","ts":1714560000.{n},"caller":"http/serve.go:{n % 400}","msg":"served",'
            f'"path":"/items/{n}","status":200}}')),
        "Chinese log": fill(lambda n: f"2024-05-01 12:00:{n % 60:02d} 订单服务 第{n}次请求处理完成，耗时{n % 300}毫秒"
                                      if n % 900 else "2024-05-01 12:00:00 订单服务 连接数据库失败：连接被拒绝"),
        "half a million short lines": "ok\n" * (MB // 3 - 1) + "KeyError: 'tenant'\n",
    }


def reports() -> dict[str, str]:
    return {
        "50,000 headings with a line each": "# Operations handbook\n\n" + "".join(
            f"## Section {n}\n\nThe {n}th procedure checks unit {n} before the nightly sync.\n\n" for n in range(50_000)),
        "50,000 bare numbered headings": "# Index\n\n" + "".join(f"## Heading {n}\n" for n in range(50_000)),
        "the same heading 50,000 times": "# Log\n\n" + "## Step\n\nDone.\n\n" * 50_000,
        "50,000 error sections": "# Error catalogue\n\n" + "".join(
            f"## Error {n}: Quota{n}Error: bucket {n} refused\n\n**Fix**: raise the quota of bucket {n}.\n\n"
            for n in range(50_000)),
    }


def runbook(kb: Path, *args: str, stdin: Path | None = None, timeout: float = 600) -> tuple[float, float, int]:
    """Wall and CPU (user + system of the child) seconds, and the exit code."""
    before = os.times()
    began = time.perf_counter()
    with open(stdin or os.devnull, "rb") as handle:
        code = subprocess.run([sys.executable, "-c", CODE, "--kb", str(kb), *args], stdin=handle,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout, cwd=ROOT,
                              env={**os.environ, "RUNBOOK_SEARCH_SERVER": "off"}).returncode
    wall = time.perf_counter() - began
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system), code


def tool(args: list[str], timeout: float = 60) -> str:
    if not shutil.which(args[0]):
        return "n/a"
    began = time.perf_counter()
    try:
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f">{timeout:.0f} s"
    return f"{time.perf_counter() - began:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-reports", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="runbook-hostile-"))
    try:
        kb = work / "kb"
        runbook(kb, "init")
        runbook(kb, "ingest", str(ROOT / "assets" / "reports"))
        runbook(kb, "search", "warm up")
        print(f"pastes (runbook search - on the sample KB; median of {args.runs}; wall / CPU):")
        for name, text in pastes(random.Random(22)).items():
            path = work / "paste.txt"
            path.write_text(text, encoding="utf-8")
            runs = [runbook(kb, "search", "-", stdin=path) for _ in range(args.runs)]
            wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            verdict = "met" if wall < 1 else "missed"
            rg = tool(["rg", "-i", "-F", "-f", str(path), str(kb / "reports")])
            grep = tool(["grep", "-r", "-i", "-F", "-f", str(path), str(kb / "reports")])
            print(f"  {name:<28} {len(text.encode()) / MB:.2f} MB  {wall:.2f} s / {cpu:.2f} s  ({verdict}, < 1 s)  "
                  f"rg {rg}, grep {grep}", flush=True)
        if args.skip_reports:
            return
        print(f"reports (runbook ingest into a fresh KB; median of {args.runs}; wall / CPU):")
        for name, text in reports().items():
            path = work / "big.md"
            path.write_text(text, encoding="utf-8")
            runs = []
            for _ in range(args.runs):
                fresh = work / "fresh"
                shutil.rmtree(fresh, ignore_errors=True)
                runbook(fresh, "init")
                runs.append(runbook(fresh, "ingest", str(path)))
            wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            rg = tool(["rg", "-c", "^#", str(path)])
            grep = tool(["grep", "-c", "^#", str(path)])
            print(f"  {name:<34} {len(text.encode()) / MB:.1f} MB  {wall:.2f} s / {cpu:.2f} s  "
                  f"({'met' if wall < 3 else 'missed'}, < 3 s)  rg {rg}, grep {grep}  exit {runs[-1][2]}", flush=True)
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
