"""What redaction costs per report: `kb.parse.redact.scan` over synthetic reports and real ones.

    python bench/redact_speed.py                       # 2,000 synthetic reports (bench/synth.py)
    python bench/redact_speed.py -n 5000 --corpus ../shared/corpus --seeds ../shared/seeds

Prints the median and total time per report for each set (best of --repeat passes, so a busy
machine's noise is trimmed), the findings it made, and beside it what a user would otherwise run:
`rg` (or `grep -E` when rg is missing) with a handful of secret words over the same files, once.
Real report folders are optional: a folder that is absent is skipped with a note.
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args()

    texts = [synth_report(i) for i in range(args.n)]
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
        measure(name, [p.read_text(encoding="utf-8", errors="replace") for p in files], args.repeat)


if __name__ == "__main__":
    main()
