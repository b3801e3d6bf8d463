"""The kb library stays usable without the UI: importing it never pulls in Textual."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_kb_does_not_import_textual():
    code = ("import sys, kb.report, kb.ingest, kb.queries, kb.store, kb.knowledge_base\n"
            "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_module_does_not_import_textual_until_the_tui_opens():
    code = "import sys, runbook.cli\nsys.exit(1 if 'textual' in sys.modules else 0)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
