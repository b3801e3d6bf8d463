"""Two ingests on one KB and searches while they run, as real processes: nobody fails, nothing is lost."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

SYLLABLES = ["ka", "zu", "mo", "ri", "te", "sa", "no", "vi", "lu", "pe", "do", "gi"]


def _word(number: int) -> str:
    out = ""
    for _ in range(4):
        out += SYLLABLES[number % len(SYLLABLES)]
        number //= len(SYLLABLES)
    return out


def _reports(folder: Path, prefix: str, start: int, count: int) -> None:
    folder.mkdir(parents=True)
    for number in range(start, start + count):
        word = _word(number)
        (folder / f"{prefix}-{number:04d}.md").write_text(
            f"# {word} worker outage\n\n## Error: {word.capitalize()}Error: queue {word} refused the lease\n\n"
            f"```\n{word.capitalize()}Error: queue {word} refused the lease after 3 retries\n```\n\n"
            f"**Root cause**: the {word} broker ran out of file handles.\n\n"
            f"**Fix**: raised the limit for {word} and restarted it.\n\n"
            "## Checklist\n\n- [ ] Check the broker\n  ```bash\n  systemctl status broker\n  ```\n",
            encoding="utf-8")


def _runbook(kbdir: Path, *args: str) -> subprocess.Popen:
    code = "import sys; from runbook.cli import main; sys.argv[0] = 'runbook'; main()"
    return subprocess.Popen([sys.executable, "-c", code, "--kb", str(kbdir), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _only_busy_notices(stderr: str) -> bool:
    return all(line.startswith("KB busy: ") and "retrying" in line for line in stderr.splitlines() if line.strip())


def test_two_ingests_and_searches_at_once(tmp_path):
    kbdir = tmp_path / "kb"
    assert _runbook(kbdir, "init").wait() == 0
    _reports(tmp_path / "a", "a", 0, 120)
    _reports(tmp_path / "b", "b", 500, 120)
    first = _runbook(kbdir, "ingest", str(tmp_path / "a"))
    second = _runbook(kbdir, "ingest", str(tmp_path / "b"))
    searches = []
    deadline = time.monotonic() + 120
    while (first.poll() is None or second.poll() is None) and time.monotonic() < deadline:
        search = _runbook(kbdir, "search", f"{_word(3).capitalize()}Error: queue {_word(3)} refused the lease")
        out, err = search.communicate(timeout=120)
        searches.append((search.returncode, out, err))
    outcomes = []
    for process in (first, second):
        out, err = process.communicate(timeout=300)
        outcomes.append((process.returncode, out, err))
    busy_seen = any("KB busy" in err for _, _, err in outcomes + searches)

    for code, out, err in outcomes:
        assert code == 0, (out, err)
        assert _only_busy_notices(err), err
        assert "ingested 120, unchanged 0, failed 0" in out
    assert searches, "no search ran while the ingests ran"
    for code, out, err in searches:
        assert code in (0, 1), err  # 1: "no known fix" before the first ingest's reports are in
        assert _only_busy_notices(err), err
    assert busy_seen  # the two ingests did overlap, and the second one said it waited

    listed = _runbook(kbdir, "list", "--json")
    rows = json.loads(listed.communicate(timeout=60)[0])
    assert len(rows) == 240
    tracked = subprocess.run(["git", "ls-files", "reports/*.md"], cwd=kbdir, capture_output=True, text=True).stdout
    assert len(tracked.split()) == 240
    assert subprocess.run(["git", "fsck", "--strict"], cwd=kbdir, capture_output=True).returncode == 0
    for number in (7, 119, 503, 619):  # reports of both ingests are found: the index is whole
        word = _word(number)
        found = _runbook(kbdir, "search", "--json", f"{word.capitalize()}Error: queue {word} refused the lease")
        out, err = found.communicate(timeout=60)
        assert found.returncode == 0, err
        assert word in json.loads(out)[0]["message"].lower()


def test_processes_opening_a_new_kb_database_at_once_all_get_it(tmp_path):
    """Opening creates the schema; processes that race to create it must neither fail nor call it damaged."""
    code = ("import sys, time\nfrom kb.store.database import Store\n"
            "start = float(sys.argv[2])\nwhile time.time() < start: pass\n"
            "Store(sys.argv[1]).close()\n")
    for round_ in range(6):
        path = tmp_path / f"kb{round_}.sqlite"
        start = time.time() + 1.5
        processes = [subprocess.Popen([sys.executable, "-c", code, str(path), str(start)], cwd=Path(__file__).parent.parent,
                                      stderr=subprocess.PIPE, text=True) for _ in range(5)]
        for process in processes:
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err.strip().splitlines()[-1]
