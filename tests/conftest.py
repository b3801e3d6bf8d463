"""Shared fixtures: real KBs (git repos) in temp dirs, the sample reports, a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "assets" / "reports"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLD = Path(__file__).resolve().parent / "gold"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never touch the operator's real default KB or git identity."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))  # trust and other local state
    monkeypatch.delenv("RUNBOOK_KB", raising=False)
    # The operator's own settings (config file, colour, pager) must not reach a test, and what a test's
    # code sets (`--no-color` sets NO_COLOR for the process) must not reach the next one: set, then
    # removed, so monkeypatch puts back exactly what was there.
    for name in ("NO_COLOR", "PAGER", "RUNBOOK_CONFIG", "RUNBOOK_OPERATOR", "RUNBOOK_TIMEOUT", "RUNBOOK_THEME",
                 "RUNBOOK_PAGER"):
        monkeypatch.setenv(name, "isolated")
        monkeypatch.delenv(name)
    monkeypatch.setattr("runbook.pager._disabled", False)  # --no-pager, for this process
    # No search server answers or starts unless a test asks for one (tests/test_search_server.py), in a
    # socket folder of the test's own: a server of the operator's would answer instead of the code under test.
    monkeypatch.setenv("RUNBOOK_SEARCH_SERVER", "off")
    monkeypatch.setenv("RUNBOOK_SERVER_DIR", str(home / "sockets"))
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def kb(tmp_path):
    from kb.store.knowledge_base import KnowledgeBase

    knowledge = KnowledgeBase.init(tmp_path / "kb")
    yield knowledge
    knowledge.close()


@pytest.fixture
def runner():
    return CliRunner()


def ingest_report(knowledge, tmp_path: Path, name: str, text: str):
    """Ingest one report of ours into the KB as an operator would (a file in a folder); the KB back."""
    from kb.ingest import ingest

    folder = tmp_path / "reports-in"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    ingest(knowledge, [folder / name])
    return knowledge


def run_cli(runner: CliRunner, kb_path: Path | str, *args: str, input: str | None = None):
    from runbook.cli import cli

    return runner.invoke(cli, ["--kb", str(kb_path), *args], input=input, catch_exceptions=False)
