"""Start-up cost a user notices: `runbook search` and the TUI open the index without copying it."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, SAMPLES

# Opens a Searcher in a fresh interpreter (so nothing is cached) and prints how many bytes Python
# allocated to open the index, then answers one query, and how large the index is on disk.
_OPEN_AND_SEARCH = """
import sys, tracemalloc
from pathlib import Path
from kb.knowledge_base import KnowledgeBase
from kb.search import Searcher
kb = KnowledgeBase(sys.argv[1])
kb.store
index_bytes = sum(p.stat().st_size for p in kb.index_dir.glob('*.seg'))
tracemalloc.start()
searcher = Searcher(kb)
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
results = searcher.search("Error response from daemon: Bind for 0.0.0.0:8080 failed: port is already allocated").results
print(peak, index_bytes, len(results) and results[0].message)
"""


def test_opening_the_index_reads_it_in_place_instead_of_copying_it_into_memory(kb):
    from kb.ingest import ingest

    ingest(kb, [SAMPLES])
    kb.close()
    done = subprocess.run([sys.executable, "-c", _OPEN_AND_SEARCH, str(kb.root)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    peak, index_bytes, message = done.stdout.split(maxsplit=2)
    assert "port is already allocated" in message  # the index really answered
    # Whoosh's own reader copies every sub-file of the segment into a BytesIO: at least the index's size
    assert int(peak) < int(index_bytes) / 2, (peak, index_bytes)
