"""Hostile input trials: generated queries through search, generated reports through ingest.

    python bench/fuzz_trials.py                       # 10,000 queries, 1,000 reports
    python bench/fuzz_trials.py --queries 2000 --reports 200

Queries: NUL bytes, lone surrogates (invalid UTF-8 as Python sees it), 1 MB lines, Whoosh syntax,
regex metacharacters, ANSI/OSC escapes, RTL overrides, mixed at random. Each goes through the search
API with a 10 s alarm; every 10th also through `runbook search` (CliRunner), whose output is checked
for control characters.

Reports: random bytes, truncated UTF-8, GBK, UTF-16 without BOM, unclosed fences, escapes and RTL
overrides in error messages, plus a few heavy ones (10,000-deep lists, 100,000-row tables, mermaid with
10,000 nodes, a 25 MB file). Each is redacted and parsed alone under a 10 s alarm, then all are
ingested; then `runbook show` of every report and error is checked for control characters.

Counted: uncaught exceptions, hangs over 10 s, escape sequences reaching the terminal.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.ingest import _prepare_one, ingest  # noqa: E402
from kb.parse.decode import read_text  # noqa: E402
from kb.parse.decode import DecodeError  # noqa: E402
from kb.store.knowledge_base import KnowledgeBase  # noqa: E402
from kb.search.ranking import Searcher  # noqa: E402

LIMIT = 10
ESCAPES = ["\x1b[31m", "\x1b]0;pwned\x07", "\x1b]8;;http://evil.example\x1b\\", "\x1b[2J", "\x9b31m", "\x07",
           "\u202e", "\u2066", "\x1bP1$r\x1b\\", "\x00", "\r"]
WHOOSH = ["AND", "OR", "NOT", "*", "?", "~2", "^3", "field:value", "[a TO z]", "(", ")", "\"", "{", "}", "title:*"]
REGEX = [".*", "(?i)", "[^", "\\", "$", "^", "+", "|", "(?P<x>", "\\1", "{1,}"]
WORDS = ["ECONNREFUSED", "127.0.0.1:5432", "Error:", "nginx", "502", "Bad", "Gateway", "prisma", "P1001", "timeout",
         "连接被拒绝", "数据库", "OOMKilled", "exit", "code", "137"]
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


class Hang(BaseException):
    pass


def _alarm(signum, frame):
    raise Hang()


def timed(func, *args):
    """(result, seconds, outcome) with a 10 s alarm: outcome is ok, hang or the exception's name."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(LIMIT)
    began = time.perf_counter()
    try:
        return func(*args), time.perf_counter() - began, "ok"
    except Hang:
        return None, time.perf_counter() - began, "hang"
    except Exception as exc:  # what the trials count
        return None, time.perf_counter() - began, f"{type(exc).__name__}: {exc}"[:200]
    finally:
        signal.alarm(0)


def query(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.01:
        return rng.choice(WORDS) + " " + "x" * (1 << 20)  # a 1 MB line
    parts = []
    for _ in range(rng.randint(1, 30)):
        pick = rng.random()
        if pick < 0.3:
            parts.append(rng.choice(WORDS))
        elif pick < 0.45:
            parts.append(rng.choice(WHOOSH))
        elif pick < 0.6:
            parts.append(rng.choice(REGEX))
        elif pick < 0.75:
            parts.append(rng.choice(ESCAPES))
        elif pick < 0.85:
            parts.append("".join(chr(rng.randint(0xD800, 0xDFFF)) for _ in range(rng.randint(1, 3))))  # surrogates
        else:
            parts.append(bytes(rng.randrange(256) for _ in range(rng.randint(1, 20))).decode("latin-1"))
    return rng.choice([" ", "", "\n"]).join(parts)


def hostile_report(rng: random.Random, number: int, heavy: bool) -> bytes:
    if heavy:
        kind = number % 4
        if kind == 0:
            return ("# Deep\n\n" + "- " * 10_000 + "item\n" + "> " * 10_000 + "quote\n").encode()  # 10,000 deep
        if kind == 1:
            return ("# Table\n\n| a | b |\n|---|---|\n" + "| x | y |\n" * 100_000).encode()
        if kind == 2:
            return ("# Chart\n\n```mermaid\ngraph TD\n" + "".join(f"  N{i}[step {i}] --> N{i + 1}\n"
                                                                    for i in range(10_000)) + "```\n").encode()
        return b"# Huge\n\n" + b"ERROR: disk full\n" * (25 * 1024 * 1024 // 17)
    kind = number % 8
    error = "Error: " + rng.choice(ESCAPES) + "connect ECONNREFUSED " + rng.choice(ESCAPES) + " 10.0.0.1"
    text = f"# Hostile {number}\n\n## Error: {error}\n\n```\n{error}\n```\n\n**Fix**: {rng.choice(ESCAPES)}restart\n"
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(10, 5000)))
    if kind == 1:
        data = text.encode("utf-8") + "连接被拒绝".encode("utf-8")
        return data[:-1]  # truncated UTF-8
    if kind == 2:
        return ("# 故障报告\n\n## 错误: 连接被拒绝 " + error + "\n").encode("gbk", "replace")
    if kind == 3:
        return text.encode("utf-16-le")  # no BOM
    if kind == 4:
        return (text + "\n```bash\nrm -rf /tmp/x\n" + "echo unclosed\n" * 50).encode()
    if kind == 5:
        return (text + "\n" + "".join(rng.choice(WHOOSH + REGEX) for _ in range(500))).encode()
    if kind == 6:
        return (text.replace("Hostile", "\u202eHostile\u202c") + "\x1b]52;c;ZXZpbA==\x07").encode()
    return text.encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--reports", type=int, default=1_000)
    parser.add_argument("--heavy", type=int, default=12, help="how many of the reports are the heavy kinds")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="runbook-fuzz-"))
    from click.testing import CliRunner

    from runbook.cli import cli

    runner = CliRunner()
    try:
        kb = KnowledgeBase.init(work / "kb")
        ingest(kb, [Path(__file__).resolve().parent.parent / "assets" / "reports"])
        folder = work / "hostile"
        folder.mkdir()
        for number in range(args.reports):
            (folder / f"hostile-{number:04d}.md").write_bytes(hostile_report(rng, number, number < args.heavy))
        report_counts = {"reports": args.reports, "uncaught exceptions": 0, "hangs over 10 s": 0,
                         "rejected with a one-line error": 0, "slowest s": 0.0, "escapes reaching the terminal": 0}
        for path in sorted(folder.iterdir()):
            try:
                text = read_text(path)
            except DecodeError as exc:
                report_counts["rejected with a one-line error"] += "\n" not in str(exc)
                continue
            _, seconds, outcome = timed(_prepare_one, (text, path.name))
            report_counts["slowest s"] = max(report_counts["slowest s"], round(seconds, 2))
            if outcome == "hang":
                report_counts["hangs over 10 s"] += 1
                print(f"hang: {path.name}", file=sys.stderr)
            elif outcome != "ok":
                report_counts["uncaught exceptions"] += 1
                print(f"exception: {path.name}: {outcome}", file=sys.stderr)
        began = time.perf_counter()
        try:
            result = ingest(kb, [folder])
            report_counts["ingested"] = len(result.ingested)
            report_counts["failed (one line each)"] = len(result.failed)
        except Exception as exc:
            report_counts["uncaught exceptions"] += 1
            print(f"ingest raised {type(exc).__name__}: {exc}", file=sys.stderr)
        report_counts["ingest s"] = round(time.perf_counter() - began, 1)
        refs = [f"r{row['id']}" for row in kb.store.rows("select id from reports")]
        refs += [f"e{row['id']}" for row in kb.store.rows("select id from errors")]
        for ref in refs:
            shown = runner.invoke(cli, ["--kb", str(kb.root), "show", ref])
            if shown.exception and not isinstance(shown.exception, SystemExit):
                report_counts["uncaught exceptions"] += 1
            if CONTROL_RE.search(shown.output):
                report_counts["escapes reaching the terminal"] += 1
                print(f"escape in show {ref}", file=sys.stderr)
        report_counts["shown"] = len(refs)
        print("reports:", json.dumps(report_counts), flush=True)

        query_counts = {"queries": args.queries, "uncaught exceptions": 0, "hangs over 10 s": 0, "slowest s": 0.0,
                        "through the CLI": 0, "escapes reaching the terminal": 0}
        searcher = Searcher(kb)
        for number in range(args.queries):
            paste = query(rng)
            _, seconds, outcome = timed(searcher.search, paste, 5)
            query_counts["slowest s"] = max(query_counts["slowest s"], round(seconds, 2))
            if outcome == "hang":
                query_counts["hangs over 10 s"] += 1
            elif outcome != "ok":
                query_counts["uncaught exceptions"] += 1
                print(f"search raised {outcome} for {paste[:80]!r}", file=sys.stderr)
            if number % 10 == 0:
                query_counts["through the CLI"] += 1
                safe = paste.encode("utf-8", "replace").decode("utf-8")  # argv cannot hold surrogates
                shown = runner.invoke(cli, ["--kb", str(kb.root), "search", "-"], input=safe)
                if shown.exception and not isinstance(shown.exception, SystemExit):
                    query_counts["uncaught exceptions"] += 1
                    print(f"runbook search raised {shown.exception!r}", file=sys.stderr)
                if CONTROL_RE.search(shown.stdout):
                    query_counts["escapes reaching the terminal"] += 1
        searcher.close()
        print("queries:", json.dumps(query_counts), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
