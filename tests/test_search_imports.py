"""What a `runbook search` process imports, read from `python -X importtime` as bench/search_speed.py
measures it: its start-up is most of what an operator waits for (issue 24). Our own modules are
listed one by one, so a module that joins the query path is a decision, not an accident; the
report parser (markdown-it, the block model, the error extractor) never loads to answer a paste,
whether an error card or a passage of a report is the answer."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from conftest import ROOT

# Ours: what answering needs (the index, SQLite, the query's normalisation and the passage linker).
OWN_MODULES = {
    "kb", "kb.parse", "kb.parse.escapes", "kb.parse.lean_imports", "kb.parse.labels", "kb.parse.lazy_re", "kb.parse.normalize",
    "kb.parse.structured_logs", "kb.parse.textsim", "kb.parse.vocab", "kb.parse.words",
    "kb.search", "kb.search.analysis", "kb.search.bm25", "kb.search.candidate_text", "kb.search.glossary", "kb.search.identity",
    "kb.search.index_state", "kb.search.lookalike", "kb.search.phrases", "kb.search.ports", "kb.search.ranking",
    "kb.search.segments",
    "kb.store", "kb.store.database", "kb.store.groups", "kb.store.knowledge_base", "kb.store.queries", "kb.store.refs",
    "runbook", "runbook.cli", "runbook.cli.plain_search", "runbook.cli.search_client", "runbook.paths", "runbook.render", "runbook.session",
    "runbook.shown_passages", "kb.open", "runbook.config", "runbook.pager",
}
# ... and only for a passage answer: the linker and what it reads (no parser: kb/parse/id_words.py).
PASSAGE_MODULES = {"kb.parse.linking", "kb.parse.id_words", "kb.parse.passages", "kb.parse.passage_model"}
THIRD_PARTY = {"rapidfuzz", "_distutils_hack", "sitecustomize", "usercustomize"}
# Never, for any answer (Whoosh and the index writer, parser, TUI, click, git, rendering of Markdown, the write side of ingest).
NEVER = {"whoosh", "kb.search.index", "kb.search.tokenizer", "markdown_it", "mdurl", "textual", "rich", "click", "git", "pygments", "kb.parse.blocks",
         "kb.parse.errors", "kb.parse.error_ids", "kb.parse.report", "kb.parse.commits", "kb.ingest",
         "kb.parse.redact", "kb.parse.model", "inspect", "asyncio", "ssl", "email", "http", "urllib.request"}

_REPORT = """# Batch host notes

## Error: disk quota

**Error log**:
```
2026-01-02T03:04:05Z ERROR [batch-1] QuotaExceeded: user batch exceeded hard block limit on /srv/data
```

**Root cause**: the nightly export wrote into the shared volume.

**Fix**: moved the export to its own volume and set a soft limit alarm.

## Tuesday

The ingest worker stopped with ENOSPC: inotify watch limit reached again, so we raised
fs.inotify.max_user_watches to 524288 and restarted the worker.
"""


def _imported(kb_root, query: str) -> tuple[str, set[str]]:
    """`python -X importtime -m runbook.cli search QUERY` with bytecode cached: its output and the
    modules it imported."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "runbook.cli", "--kb", str(kb_root), "search", query],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    modules = {line.split("|")[2].strip() for line in done.stderr.splitlines()
               if line.startswith("import time:") and "| package" not in line}
    return done.stdout, modules


def _unexpected(modules: set[str], own_allowed: set[str]) -> set[str]:
    out = set()
    for name in modules:
        top = name.split(".")[0]
        if top in ("kb", "runbook"):
            if name not in own_allowed:
                out.add(name)
        elif top not in sys.stdlib_module_names and top not in THIRD_PARTY \
                and importlib.util.find_spec(top) is not None:  # a failed optional probe (pickle's Jython check) is no import
            out.add(name)
    return out | {name for name in modules if name in NEVER or name.split(".")[0] in NEVER}


@pytest.fixture(scope="module")
def quota_kb(tmp_path_factory):
    from kb.ingest import ingest
    from kb.store.knowledge_base import KnowledgeBase

    root = tmp_path_factory.mktemp("imports")
    (root / "reports").mkdir()
    (root / "reports" / "batch-host.md").write_text(_REPORT, encoding="utf-8")
    kb = KnowledgeBase.init(root / "kb")
    ingest(kb, [root / "reports"])
    kb.close()
    return kb.root


def test_a_card_answer_imports_only_the_listed_modules(quota_kb):
    out, modules = _imported(quota_kb, "QuotaExceeded: user batch exceeded hard block limit on /srv/data")
    assert "disk quota" in out and "a passage of this report" not in out.split("\n\n")[0]  # a card answered
    assert {"kb.search.segments", "kb.search.ranking"} <= modules  # importtime's list is read
    assert not _unexpected(modules, OWN_MODULES), sorted(_unexpected(modules, OWN_MODULES))
    assert not modules & PASSAGE_MODULES, sorted(modules & PASSAGE_MODULES)  # no linker without a passage


def test_a_passage_answer_links_its_fixes_without_the_report_parser(quota_kb):
    out, modules = _imported(quota_kb, "ENOSPC: inotify watch limit reached")
    assert "(a passage of this report)" in out.split("\n\n")[0] and "max_user_watches" in out
    assert "kb.parse.linking" in modules
    unexpected = _unexpected(modules, OWN_MODULES | PASSAGE_MODULES)
    assert not unexpected, sorted(unexpected)


def test_dataclasses_load_without_inspect_and_both_behave_as_the_standard_librarys():
    """kb/parse/lean_imports.py: importing kb loads dataclasses but not inspect; a dataclass without a
    docstring still gets its signature as one (inspect loads then), and `import inspect` is the real module."""
    code = ("import sys, kb\n"
            "early = 'dataclasses' in sys.modules and 'inspect' not in sys.modules\n"
            "from dataclasses import dataclass, field\n"
            "@dataclass\n"
            "class Plain:\n"
            "    name: str\n"
            "    tags: list = field(default_factory=list)\n"
            "import inspect\n"
            "print(early, Plain.__doc__, inspect.getsource(inspect.getsource) != '', type(inspect).__name__)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "Plain(name:", "str,", "tags:", "list", "=", "<factory>)", "True", "module"]
