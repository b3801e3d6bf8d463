"""The kb library stays usable without the UI: importing it never pulls in Textual."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT


def test_kb_does_not_import_textual():
    code = ("import sys, kb.parse.report, kb.store.queries, kb.search.ranking, kb.ingest, kb.runs.walk, kb.onboarding\n"
            "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_module_does_not_import_textual_until_the_tui_opens():
    code = "import sys, runbook.cli\nsys.exit(1 if 'textual' in sys.modules else 0)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# What `runbook search` may not load: the TUI, git, the write-side SQLite layer, the secret scanners,
# the shell parser and click (runbook/cli/plain_search.py answers the plain command line) all cost
# start-up time and none of them is needed to answer a paste. With the KB named (--kb), the config file
# is not even looked for (tomllib, platformdirs), nor the pager started (subprocess) in a pipe.
SEARCH_NEVER_IMPORTS = ("textual", "git", "sqlite_utils", "detect_secrets", "tree_sitter", "tree_sitter_bash", "click",
                        "tomllib", "platformdirs", "subprocess")

_SEARCH_WRAPPER = """
import atexit, json, sys

def _report():
    loaded = sorted(sys.modules)
    sys.stderr.write('LOADED ' + json.dumps(loaded) + '\\n')

atexit.register(_report)
from runbook.cli import main
sys.argv = ['runbook', *sys.argv[1:]]
main()
"""


def _search_process(kb_root, query: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    done, modules = _search_process_modules(kb_root, query)
    return done, {name.split(".")[0] for name in modules}


def _search_process_modules(kb_root, query: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run `runbook search` in a fresh interpreter; what it printed and every module it imported."""
    done = subprocess.run([sys.executable, "-c", _SEARCH_WRAPPER, "--kb", str(kb_root), "search", query],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stderr.splitlines() if line.startswith("LOADED ")]
    assert lines, done.stderr
    return done, set(json.loads(lines[-1].removeprefix("LOADED ")))


def test_search_process_loads_only_what_search_needs(kb):
    from kb.ingest import ingest
    from kb.runs.records import RunStore
    from conftest import SAMPLES

    ingest(kb, [SAMPLES])
    RunStore(kb).close()  # a runs database: the run-records retry check must still stay off `search`
    done, loaded = _search_process(kb.root, "ModuleNotFoundError: No module named 'psycopg2'")
    assert done.returncode == 0 and "psycopg2" in done.stdout, done.stdout + done.stderr  # it really searched
    assert "rapidfuzz" in loaded  # the wrapper sees what the process imported
    assert "whoosh" not in loaded  # the index is read without Whoosh (kb/search/segments.py)
    assert not loaded & set(SEARCH_NEVER_IMPORTS), sorted(loaded & set(SEARCH_NEVER_IMPORTS))


def test_a_search_answered_by_an_error_card_loads_none_of_the_parser(kb):
    """Printing a known fix needs the index and SQLite, not the report parser or its passage linker
    (they load only when a passage of a report is the answer)."""
    from kb.ingest import ingest
    from conftest import SAMPLES

    ingest(kb, [SAMPLES])
    done, loaded = _search_process_modules(kb.root, "Error response from daemon: Bind for 0.0.0.0:8080 failed: "
                                                    "port is already allocated")
    assert done.returncode == 0 and "external connectivity" in done.stdout, done.stdout + done.stderr
    parser = {"kb.parse.linking", "kb.parse.passages", "kb.parse.model", "kb.parse.report", "kb.parse.blocks",
              "kb.parse.checklists", "kb.ingest"}
    assert not loaded & parser, sorted(loaded & parser)


def test_whoosh_loads_without_its_unused_urllib_and_asyncio_imports_and_leaves_the_real_ones_importable():
    code = ("import sys, kb.search\n"
            "early = [m for m in ('urllib.request', 'asyncio', 'ssl', 'cached_property') if m in sys.modules]\n"
            "import urllib.request, cached_property, whoosh.compat, whoosh.reading\n"
            "real = urllib.request.urlretrieve.__module__ == 'urllib.request' and hasattr(cached_property, 'threaded_cached_property')\n"
            "print(early, real); sys.exit(0 if not early and real else 1)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


_WHOOSH_EXTRAS = ("from whoosh.analysis import StemmingAnalyzer, DoubleMetaphoneFilter, RegexTokenizer\n"
                  "from whoosh.codec import base\n"
                  "from whoosh import searching\n"
                  "print([t.text for t in StemmingAnalyzer()('running connections refused')],\n"
                  "      [t.text for t in (RegexTokenizer() | DoubleMetaphoneFilter())('Thompson')],\n"
                  "      [base.lev.levenshtein_automaton('lock', 1).to_dfa().accept(w) for w in ('lick', 'locks', 'lack2')],\n"
                  "      searching.highlight.Highlighter.__name__)\n")


def test_whoosh_parts_search_never_uses_load_on_first_use_and_work_as_whoosh_own():
    """Stemming, phonetic filters, fuzzy-term automata and the highlighter are not loaded to answer a paste
    (kb/search/whoosh_import.py), and behave exactly as Whoosh's own once something uses them."""
    lean = ("import sys, kb.search.index\n"
            "early = [m for m in ('whoosh.lang.porter', 'whoosh.lang.dmetaphone', 'whoosh.automata.fsa', "
            "'whoosh.highlight') if m in sys.modules]\n"
            "print(early)\n" + _WHOOSH_EXTRAS)
    ours = subprocess.run([sys.executable, "-c", lean], cwd=ROOT, capture_output=True, text=True)
    plain = subprocess.run([sys.executable, "-c", "import whoosh.index\n" + _WHOOSH_EXTRAS], cwd=ROOT,
                           capture_output=True, text=True)
    assert ours.returncode == 0 and plain.returncode == 0, ours.stderr + plain.stderr
    early, used = ours.stdout.split("\n", 1)
    assert early == "[]", early
    assert used == plain.stdout and "runn" in used, (used, plain.stdout)
