"""The config file (`config.toml` in the user config directory, TOML read with tomllib): the default KB,
the operator, the timeout, the theme and the pager; a variable beats the file and a flag beats both;
`runbook config` says where the file is and where each value in force comes from; a bad file is one
line naming the file and the key, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, ingest_report, run_cli

REPORT = "# Valves\n\n## Error: ValveStuck: valve nine is stuck\n\n```\nValveStuck: valve nine is stuck\n```\n\n**Fix**: tap it\n"
SLOW = "# Slow\n\n- [ ] Wait a while\n  ```bash\n  sleep 30\n  ```\n"
QUICK = "# Quick\n\n- [ ] Say done\n  ```bash\n  echo done-quickly\n  ```\n"


def _config_file() -> Path:
    """Where runbook looks: the user config dir under the test's own XDG_CONFIG_HOME (conftest)."""
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "runbook" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write(text: str) -> Path:
    path = _config_file()
    path.write_text(text, encoding="utf-8")
    return path


def _invoke(runner, *args, input=None):
    from runbook.cli import cli

    return runner.invoke(cli, list(args), input=input)


@pytest.fixture
def kb_factory(tmp_path):
    from kb.store.knowledge_base import KnowledgeBase

    return lambda name: KnowledgeBase.init(tmp_path / name)


@pytest.fixture
def valve_kb(kb, tmp_path):
    ingest_report(kb, tmp_path, "valves.en.md", REPORT)
    (kb.runbooks_dir / "slow.md").write_text(SLOW, encoding="utf-8")
    (kb.runbooks_dir / "quick.md").write_text(QUICK, encoding="utf-8")
    return kb


def test_the_config_files_kb_is_the_default_and_a_variable_and_a_flag_beat_it(runner, valve_kb, kb_factory):
    _write(f'kb = "{valve_kb.root}"\n')
    listed = _invoke(runner, "list", "errors")
    assert listed.exit_code == 0 and "ValveStuck" in listed.output, listed.output
    other = kb_factory("other")
    os.environ["RUNBOOK_KB"] = str(other.root)
    try:
        assert "ValveStuck" not in _invoke(runner, "list", "errors").output  # the variable's KB
        assert "ValveStuck" in _invoke(runner, "--kb", str(valve_kb.root), "list", "errors").output  # the flag's
    finally:
        del os.environ["RUNBOOK_KB"]


def test_a_config_kb_that_is_not_there_says_which_file_named_it(runner, tmp_path):
    path = _write(f'kb = "{tmp_path / "gone"}"\n')
    result = _invoke(runner, "list")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"named by `kb` in {path}" in result.stderr


def _record(kb) -> str:
    return max((kb.root / "runs").glob("*.md"), key=lambda path: path.stat().st_mtime_ns).read_text(encoding="utf-8")


def test_the_operator_comes_from_the_config_file_unless_a_variable_or_flag_says(runner, valve_kb, monkeypatch):
    _write('operator = "Cara Lane <cara@example.com>"\n')
    run_cli(runner, valve_kb.root, "trust", "quick", "--yes")
    assert run_cli(runner, valve_kb.root, "run", "quick", "--no-tui", "--yes").exit_code == 0
    assert "operator: Cara Lane <cara@example.com>" in _record(valve_kb)
    monkeypatch.setenv("RUNBOOK_OPERATOR", "Dev Moss <dev@example.com>")
    run_cli(runner, valve_kb.root, "run", "quick", "--no-tui", "--yes")
    assert "operator: Dev Moss <dev@example.com>" in _record(valve_kb)
    run_cli(runner, valve_kb.root, "run", "quick", "--no-tui", "--yes", "--operator", "Eve Ray <eve@example.com>")
    assert "operator: Eve Ray <eve@example.com>" in _record(valve_kb)


def test_the_timeout_comes_from_the_config_file_unless_a_variable_or_flag_says(runner, valve_kb, monkeypatch):
    _write("timeout = 1\n")
    run_cli(runner, valve_kb.root, "trust", "slow", "--yes")
    timed = run_cli(runner, valve_kb.root, "run", "slow", "--no-tui", "--yes")
    assert timed.exit_code == 1 and "timed out after 1 s" in timed.output, timed.output
    monkeypatch.setenv("RUNBOOK_TIMEOUT", "2")
    assert "timed out after 2 s" in run_cli(runner, valve_kb.root, "run", "slow", "--no-tui", "--yes").output
    flagged = run_cli(runner, valve_kb.root, "run", "slow", "--no-tui", "--yes", "--timeout", "1")
    assert "timed out after 1 s" in flagged.output


async def test_the_theme_comes_from_the_config_file(valve_kb):
    from runbook.app import RunbookApp

    _write('theme = "gruvbox"\n')
    app = RunbookApp(valve_kb)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        assert app.theme == "gruvbox"


def test_runbook_config_shows_the_file_and_where_each_value_comes_from(runner, valve_kb, monkeypatch):
    path = _write('operator = "Cara Lane <cara@example.com>"\ntimeout = 90\npager = false\n')
    monkeypatch.setenv("RUNBOOK_THEME", "nord")
    shown = _invoke(runner, "--kb", str(valve_kb.root), "config")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == f"config file: {path}"
    assert any(line.split()[:2] == ["kb", str(valve_kb.root)] and line.endswith("(--kb)") for line in lines)
    assert any("Cara Lane <cara@example.com>" in line and line.endswith("(the config file)") for line in lines)
    assert any(line.split()[:2] == ["timeout", "90"] for line in lines)
    assert any(line.split()[:2] == ["theme", "nord"] and line.endswith("(RUNBOOK_THEME)") for line in lines)
    assert any(line.split()[:2] == ["pager", "(none)"] for line in lines)
    data = json.loads(_invoke(runner, "--kb", str(valve_kb.root), "config", "--json").output)
    assert data["file"] == str(path) and data["exists"] is True
    assert data["settings"]["timeout"] == {"value": "90", "source": "the config file"}
    assert _invoke(runner, "config", "--path").output.strip() == str(path)


def test_without_a_file_config_says_so_and_shows_the_defaults(runner, valve_kb):
    shown = _invoke(runner, "--kb", str(valve_kb.root), "config")
    assert shown.exit_code == 0 and "(not there: create it" in shown.output.splitlines()[0]
    assert any(line.split()[:2] == ["timeout", "300"] and line.endswith("(default)") for line in shown.output.splitlines())


@pytest.mark.parametrize("text, says", [
    ("kb = \n", "not valid TOML"),
    ('timout = 30\n', "unknown key `timout`"),
    ('timeout = "soon"\n', "`timeout` must be a number of seconds"),
    ("timeout = -3\n", "`timeout` must be a number of seconds"),
    ("operator = 5\n", "`operator` must be a non-empty string"),
    ("pager = 3\n", "`pager` must be a command"),
    ('theme = "no-such-theme"\n', "`theme` 'no-such-theme' is not a theme"),
    ("\xff\xfe\n", "not UTF-8"),
])
def test_a_bad_config_file_is_one_line_naming_the_file_and_the_key(runner, valve_kb, text, says):
    path = _config_file()
    path.write_bytes(text.encode("latin-1"))
    for args in (("config",), ("list",)):  # `list` with no --kb reads the file for its KB
        result = _invoke(runner, *args)
        if args == ("list",) and "theme" in text:
            continue  # `list` needs no theme: only the TUI and `config` look at it
        assert result.exit_code == 1, (args, result.output)
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), result.exception
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and str(path) in errors[0] and says in errors[0], result.stderr


def test_a_bad_theme_stops_the_tui_before_it_starts_with_one_line(valve_kb):
    path = _write('theme = "no-such-theme"\n')
    done = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(valve_kb.root)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [f"error: {path}: `theme` 'no-such-theme' is not a theme "
                                                 + done.stderr.split("is not a theme ", 1)[1].strip()]


def test_a_bad_variable_is_named_too(runner, valve_kb, monkeypatch):
    monkeypatch.setenv("RUNBOOK_TIMEOUT", "soon")
    result = run_cli(runner, valve_kb.root, "run", "quick", "--dry-run")
    assert result.exit_code == 1 and "error: $RUNBOOK_TIMEOUT: `timeout` must be a number" in result.stderr


def test_the_search_path_never_reads_the_config_file_when_the_kb_is_named(valve_kb):
    """Start-up cost: `runbook --kb X search ...` does not look for the file (a broken one does not matter)."""
    _write("this is not toml\n")
    done = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(valve_kb.root), "search",
                           "ValveStuck: valve nine is stuck"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0 and "ValveStuck" in done.stdout, done.stderr


async def test_a_run_started_in_the_tui_is_recorded_under_the_configured_operator(valve_kb):
    from pilot_wait import until
    from runbook.app import RunbookApp

    _write('operator = "Cara Lane <cara@example.com>"\n')
    app = RunbookApp(valve_kb)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.current_mode == "search", 600)
        await pilot.press("f4")
        await until(pilot, lambda: type(app.screen).__name__ == "RunbooksScreen" and bool(app.screen.rows), 600)
        app.screen.start_run("file:quick")
        await until(pilot, lambda: type(app.screen).__name__ == "RunScreen", 600)
        assert app.screen.walk.run.operator == "Cara Lane <cara@example.com>"
        assert app.screen.author == ("Cara Lane", "cara@example.com")
