"""What redaction costs per report: `kb.parse.redact.scan` over synthetic reports and real ones.

    python bench/redact_speed.py                       # 2,000 synthetic reports (bench/synth.py)
    python bench/redact_speed.py -n 5000 --corpus ../shared/corpus --seeds ../shared/seeds
    python bench/redact_speed.py --against fe45a43~1      # before/after: that revision's redact.py vs this one

Prints the median and total time per report for each set (best of --repeat passes, so a busy
machine's noise is trimmed), the findings it made, and beside it what a user would otherwise run:
`rg` (or `grep -E` when rg is missing) with a handful of secret words over the same files, once.
Real report folders are optional: a folder that is absent is skipped with a note.
`--against REV` loads kb/parse/redact.py as it was at a git revision and times it and the current one
interleaved in one process (alternating passes, fastest kept), so a loaded machine skews both alike.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb.parse.redact import scan  # noqa: E402
from synth import synth_report  # noqa: E402

WORDS = r"password|secret|token|api[_-]?key|AKIA|BEGIN .*PRIVATE KEY"


def measure(name: str, texts: list[str], repeat: int) -> dict:
    scan("warm-up: password=Xq7Lm2Vz9Rt4 token ghp_" + "a1" * 20)  # detect-secrets' plugins load once
    best: list[float] | None = None
    findings = 0
    for _ in range(repeat):
        times = []
        findings = 0
        for text in texts:
            start = time.perf_counter()
            findings += len(scan(text).findings)
            times.append(time.perf_counter() - start)
        if best is None or sum(times) < sum(best):
            best = times
    assert best is not None
    size = sum(len(t) for t in texts) / max(len(texts), 1)
    row = {"set": name, "reports": len(texts), "chars": int(size), "median_ms": statistics.median(best) * 1000,
           "p99_ms": sorted(best)[int(len(best) * 0.99) - 1 if len(best) > 1 else 0] * 1000,
           "total_s": sum(best), "findings": findings}
    print(f"{name:<12} {row['reports']:>6} reports, {row['chars']:>6} chars avg: median {row['median_ms']:.3f} ms, "
          f"p99 {row['p99_ms']:.3f} ms, total {row['total_s']:.2f} s; {findings} findings")
    return row


def module_at(revision: str):
    """kb/parse/redact.py as it was at a git revision, as a module of its own."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(["git", "show", f"{revision}:kb/parse/redact.py"], cwd=root, capture_output=True,
                            text=True, check=True).stdout
    scratch = Path(tempfile.mkdtemp()) / "redact_before.py"
    scratch.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("redact_before", scratch)
    module = importlib.util.module_from_spec(spec)
    sys.modules["redact_before"] = module
    spec.loader.exec_module(module)
    return module


def compare(revision: str, sets: dict[str, list[str]], repeat: int) -> None:
    import kb.parse.redact as now

    before = module_at(revision)
    for module in (before, now):
        module.scan("warm-up: password=Xq7Lm2Vz9Rt4 token ghp_" + "a1" * 20)
    for name, texts in sets.items():
        best = {"before": float("inf"), "now": float("inf")}
        for round_ in range(max(repeat, 3) * 2):
            order = (("before", before), ("now", now)) if round_ % 2 == 0 else (("now", now), ("before", before))
            for label, module in order:
                start = time.process_time()  # CPU time: other processes on the machine count less
                for text in texts:
                    module.scan(text)
                best[label] = min(best[label], time.process_time() - start)
        per = {label: seconds / len(texts) * 1000 for label, seconds in best.items()}
        print(f"{name:<12} {revision}: {per['before']:.3f} ms/report, now: {per['now']:.3f} ms/report "
              f"({(per['now'] / per['before'] - 1) * 100:+.1f}%), CPU time, fastest of interleaved passes")


def grep_reference(folder: Path) -> None:
    tool = shutil.which("rg")
    command = ([tool, "-i", "-c", "-e", WORDS, str(folder)] if tool
               else ["grep", "-r", "-i", "-c", "-E", WORDS, str(folder)])
    start = time.perf_counter()
    subprocess.run(command, capture_output=True)
    print(f"{'(reference)':<12} {Path(command[0]).name} of the secret words over the same files: "
          f"{time.perf_counter() - start:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000, help="synthetic reports (default 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over each set; the fastest is kept")
    parser.add_argument("--corpus", type=Path, help="a folder with reports/ (as ../shared/corpus)")
    parser.add_argument("--seeds", type=Path, help="a folder of reports (as ../shared/seeds)")
    parser.add_argument("--against", metavar="REV", help="also time kb/parse/redact.py at this git revision")
    args = parser.parse_args()
    sets: dict[str, list[str]] = {}

    texts = [synth_report(i) for i in range(args.n)]
    sets["synthetic"] = texts
    measure("synthetic", texts, args.repeat)
    with tempfile.TemporaryDirectory() as scratch:
        for i, text in enumerate(texts):
            Path(scratch, f"r{i}.md").write_text(text, encoding="utf-8")
        grep_reference(Path(scratch))
    for name, folder in (("corpus", args.corpus and args.corpus / "reports"), ("seeds", args.seeds)):
        if folder is None:
            continue
        if not folder.is_dir():
            print(f"{name}: {folder} is absent, skipped")
            continue
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".md", ".markdown", ".txt"))
        sets[name] = [p.read_text(encoding="utf-8", errors="replace") for p in files]
        measure(name, sets[name], args.repeat)
    if args.against:
        compare(args.against, sets, args.repeat)


if __name__ == "__main__":
    main()
