"""Benchmark: ingest the history of a synthetic repository of 100,000 commits.

    python bench/commits.py [-n 100000]

The repository is real (built with `git fast-import`); about a third of its
commits are fixes. Targets: first ingest under 60 s; an unchanged re-ingest
under 2 s. Also times an incremental ingest of 100 new commits.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.ingest import ingest  # noqa: E402
from kb.store.knowledge_base import KnowledgeBase  # noqa: E402
from kb.repo_commits import ingest_repo  # noqa: E402

FIXES = ["fix: retry on ECONNRESET in {m}", "fix: raise timeout for {m} health check", "fix: handle OOMKilled {m} workers",
         "fix: ModuleNotFoundError for {m} in the image", "fix(api): 502 Bad Gateway from {m} upstream"]
OTHERS = ["feat: add {m} endpoint", "chore: bump {m} dependencies", "docs: explain {m}", "refactor: split {m}",
          "test: cover {m}"]
MODULES = ["billing", "auth", "search", "orders", "gateway", "export", "mailer", "ledger", "catalog", "sync"]


def build_repo(path: Path, count: int, start: int = 0) -> None:
    """Append `count` commits with `git fast-import` (one file changed per commit)."""
    rng = random.Random(start + 5)
    if not (path / ".git").exists():
        subprocess.run(["git", "init", "-q", str(path)], check=True)
    head = subprocess.run(["git", "-C", str(path), "rev-parse", "--verify", "-q", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    lines = []
    for i in range(start, start + count):
        module = rng.choice(MODULES)
        template = rng.choice(FIXES) if rng.random() < 0.33 else rng.choice(OTHERS)
        message = template.format(m=module) + f" (#{i})"
        data = f"value = {i}\n"
        lines.append("commit refs/heads/main")
        lines.append(f"mark :{i + 1}")
        lines.append(f"committer Dev {i % 17} <dev{i % 17}@example.com> {1_700_000_000 + i * 60} +0000")
        lines.append(f"data {len(message.encode())}")
        lines.append(message)
        if i == start and head:
            lines.append(f"from {head}")
        lines.append(f"M 644 inline src/{module}/file{i % 500}.py")
        lines.append(f"data {len(data.encode())}")
        lines.append(data)
    stream = ("\n".join(lines) + "\n").encode()
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=stream, check=True)
    subprocess.run(["git", "-C", str(path), "symbolic-ref", "HEAD", "refs/heads/main"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="runbook-commits-"))
    try:
        start = time.perf_counter()
        build_repo(work / "repo", args.n)
        print(f"built a repository of {args.n} commits in {time.perf_counter() - start:.1f} s")
        kb = KnowledgeBase.init(work / "kb")
        ingest(kb, [ROOT / "assets" / "reports"])
        first = ingest_repo(kb, work / "repo")
        print(f"first ingest:   {first.new} commits, {first.fixes} fix commits, {first.links} links in "
              f"{first.seconds:.1f} s")
        again = ingest_repo(kb, work / "repo")
        print(f"unchanged:      {'unchanged' if again.unchanged else again.new} in {again.seconds:.2f} s")
        build_repo(work / "repo", 100, start=args.n)
        more = ingest_repo(kb, work / "repo")
        print(f"incremental:    {more.new} new commits in {more.seconds:.2f} s")
        ok = first.seconds < 60 and again.seconds < 2
        print("targets (first < 60 s, unchanged < 2 s):", "met" if ok else "MISSED")
        kb.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
