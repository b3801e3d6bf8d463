"""bench/extract_quality.py as a person runs it: on a labelled set of our own, on a missing gold, on a
broken one, and on the samples' own gold (bench/shapes_gold.json)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

BENCH = ROOT / "bench" / "extract_quality.py"

REPORT = """# Queue host notes

## `error: queue worker lost connection to broker`

```
sudo systemctl restart queue-broker
```

## Deploy

**Steps:**

1. Stop the workers: `sudo systemctl stop queue-worker`
2. Apply the migration
"""


def run_bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=300)


def labelled_set(tmp_path, gold: dict):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "queue.en.md").write_text(REPORT, encoding="utf-8")
    path = tmp_path / "gold.json"
    path.write_text(json.dumps({"queue.en.md": gold}), encoding="utf-8")
    return path, reports


def test_it_scores_each_category_and_lists_the_misses(tmp_path):
    gold, reports = labelled_set(tmp_path, {
        "errors": ["queue worker lost connection to broker", "an error the report never prints"],
        "checklists": ["Stop the workers", "Apply the migration"],
        "commands": ["sudo systemctl restart queue-broker", "sudo  SYSTEMCTL stop queue-worker"],
        "trees": [], "diagrams": 0, "max_errors": 3})
    out = run_bench("--gold", str(gold), "--reports", str(reports), "-v")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.split()[:4] == ["errors", "1", "2", "0.50"] for line in lines), out.stdout
    assert any(line.split()[:4] == ["checklists", "2", "2", "1.00"] for line in lines), out.stdout
    assert any(line.split()[:4] == ["commands", "2", "2", "1.00"] for line in lines), out.stdout  # case, blanks ignored
    assert "queue.en.md: 'an error the report never prints'" in out.stdout
    assert "reports listing no more errors than max_errors: 1 / 1" in out.stdout


def test_a_report_over_its_max_errors_is_named(tmp_path):
    gold, reports = labelled_set(tmp_path, {"errors": [], "checklists": [], "commands": [], "max_errors": 0})
    out = run_bench("--gold", str(gold), "--reports", str(reports))
    assert "over: queue.en.md: 1 errors listed, max_errors 0" in out.stdout


def test_without_a_gold_it_skips_and_a_broken_gold_is_one_line(tmp_path):
    missing = run_bench("--gold", str(tmp_path / "nowhere" / "gold.json"))
    assert missing.returncode == 0 and missing.stdout.startswith("skipped:")
    (tmp_path / "reports").mkdir()
    (tmp_path / "gold.json").write_text("{not json", encoding="utf-8")
    broken = run_bench("--gold", str(tmp_path / "gold.json"))
    assert broken.returncode == 2 and "gold.json: not readable as JSON" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_the_samples_meet_their_own_gold():
    out = run_bench("--shapes")
    assert out.returncode == 0, out.stderr
    assert "targets (errors >= 0.9, steps >= 0.9, commands >= 0.97, no report over max_errors): met" in out.stdout
    assert any(line.split()[:4] == ["trees", "2", "2", "1.00"] for line in out.stdout.splitlines()), out.stdout
