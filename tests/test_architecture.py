"""kb/'s four rooms depend one way: the import-linter contracts in pyproject.toml hold, and they bite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=where, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(where)})


def test_the_rooms_depend_one_way():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout
    assert "ignored" not in done.stdout  # no import is let through: every arrow runs down


def test_the_contracts_ignore_no_import():
    """The store used to ask ingest to derive an older database, an arrow upwards the contract ignored;
    kb/open.py, above both, makes that choice now, and the contract lists no exception."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    assert contracts and not any(contract.get("ignore_imports") for contract in contracts)


def test_the_store_asking_ingest_to_derive_breaks_the_contract(tmp_path):
    """What the store did before kb/open.py: now reported, by name."""
    done = lint_with_shortcut(tmp_path, "kb/store/derive.py", "from kb.ingest import rebuild  # noqa\n")
    assert done.returncode != 0
    assert "kb.store.derive -> kb.ingest" in done.stdout


def test_two_modules_of_the_runs_room_importing_each_other_break_the_contract(tmp_path):
    """The catalogue and the run records imported each other; one direction is kept now, and a loop inside
    a room (which the layers contract cannot see) is reported."""
    shutil.copytree(ROOT / "kb", tmp_path / "kb", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    records = tmp_path / "kb" / "runs" / "records.py"
    records.write_text(records.read_text(encoding="utf-8") + "\nfrom kb.runs.catalogue import runnables  # noqa\n",
                       encoding="utf-8")
    done = lint(tmp_path)
    assert done.returncode != 0
    assert "No cycles are allowed in kb.runs" in done.stdout, done.stdout


def lint_with_shortcut(tmp_path: Path, module: str, source: str) -> subprocess.CompletedProcess:
    """lint-imports over a copy of kb/ with one more module in it."""
    shutil.copytree(ROOT / "kb", tmp_path / "kb", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / module).write_text(source)
    return lint(tmp_path)


def test_parsing_that_reaches_up_into_search_breaks_the_contract(tmp_path):
    """The contract is not vacuous: parse importing the index (a layer above) is reported by name."""
    done = lint_with_shortcut(tmp_path, "kb/parse/shortcut.py", "from kb.search import index  # noqa\n")
    assert done.returncode != 0
    assert "kb.parse.shortcut -> kb.search.index" in done.stdout


def test_the_library_importing_the_application_breaks_the_contract(tmp_path):
    done = lint_with_shortcut(tmp_path, "kb/store/shortcut.py", "import textual  # noqa\n")
    assert done.returncode != 0
    assert "kb.store.shortcut -> textual" in done.stdout
