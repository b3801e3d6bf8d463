"""Messages and screens as a new user meets them (issue 25): one clear line for a wrong id, runbook or
KB; a key bar that keeps the keys that matter at 80x24; the fix on screen at 80x24; no widget ids."""

from __future__ import annotations

import pytest

from conftest import ingest_report, run_cli
from pilot_wait import until
from pty_run import RUNBOOK, run_in_pty

REPORT = """# Pump station notes

## Error: PumpCavitation: pump two is cavitating at the inlet

```
PumpCavitation: pump two is cavitating at the inlet
```

**Root cause**: the inlet strainer was clogged with silt from the spring flood, which starved the pump of
water until bubbles formed at the impeller; the pressure sensor upstream had been reading low for a week
and nobody had looked at its trend, so the alarm only fired once the vibration sensor tripped as well.

**Fix**: clean the strainer and restart the pump:

```bash
pumpctl stop --unit 2
pumpctl strainer --unit 2 --flush
pumpctl start --unit 2
```

## Checks

- [ ] Read the inlet pressure
  ```bash
  echo inlet-pressure-ok
  ```
- [ ] Listen to the pump
"""


@pytest.fixture
def pump_kb(kb, tmp_path):
    ingest_report(kb, tmp_path, "pumps.en.md", REPORT)
    kb.repo.config_writer().set_value("user", "name", "Ann Op").release()
    kb.repo.config_writer().set_value("user", "email", "ann@example.com").release()
    return kb


# -- one line, naming what is wrong ------------------------------------------------------------------------

def test_show_of_an_unknown_id_is_one_line_without_a_stray_quote(runner, pump_kb):
    result = run_cli(runner, pump_kb.root, "show", "zzz")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: no record zzz: not an id (r12, e34, c5, f6) nor the path of a report (runbook list shows them)"]


def test_run_of_an_unknown_name_points_at_the_whole_catalogue(runner, pump_kb):
    result = run_cli(runner, pump_kb.root, "run", "nonexistent")
    assert result.exit_code == 1
    assert "runbook list runbooks" in result.stderr and "list checklists" not in result.stderr
    assert "procedure or decision tree" in result.stderr  # trees and hand-written runbooks are named too
    missing = run_cli(runner, pump_kb.root, "run", "c99")
    assert "runbook list runbooks" in missing.stderr and "list checklists" not in missing.stderr


def test_history_of_an_unknown_name_fails_and_of_a_runbook_never_run_succeeds(runner, pump_kb):
    unknown = run_cli(runner, pump_kb.root, "history", "nonexistent")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("error: no runbook nonexistent")
    never = run_cli(runner, pump_kb.root, "history", "c1")
    assert never.exit_code == 0 and "no recorded runs of c1" in never.output


@pytest.mark.parametrize("what", ["missing", "plain directory"])
def test_a_kb_path_that_is_not_a_kb_is_one_line_and_exit_1_not_a_tui_screen(tmp_path, what):
    """On a terminal, where a TUI would open: one line on stderr, exit 1, no screen drawn."""
    target = tmp_path / "not-a-kb"
    if what == "plain directory":
        target.mkdir()
        (target / "notes.txt").write_text("not a KB\n")
    ran = run_in_pty([*RUNBOOK, "--kb", str(target)], timeout=60)
    assert ran.code == 1
    lines = [line for line in ran.terminal.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {target} "), ran.terminal
    assert ("does not exist" if what == "missing" else "is not a runbook KB") in lines[0]
    assert "runbook init" in lines[0] and "\x1b[?1049h" not in ran.terminal


# -- the startup screen ------------------------------------------------------------------------------------

async def test_the_startup_screen_shows_no_widget_id_and_quit_once():
    from textual.app import App

    from runbook.screens.startup import StartupScreen

    class Host(App):
        def on_mount(self) -> None:
            self.push_screen(StartupScreen())

    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        first = app.export_screenshot()
        assert "startup-progress-row" not in first and "Center#" not in first  # not even at the first frame
        app.screen.show_progress(3, 17)
        await pilot.pause(0.2)
        assert "(3/17)" in app.export_screenshot()


async def test_a_kb_that_cannot_open_says_so_with_only_the_keys_that_work_and_leaves_with_exit_1(tmp_path):
    from textual.widgets._footer import FooterKey

    from runbook.app import RunbookApp

    app = RunbookApp(kb_option=str(tmp_path / "not-a-kb"))
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.screen.query_one("#startup-status")
        await until(pilot, lambda: "runbook init" in str(status.render()))
        await until(pilot, lambda: bool(app.screen.query(FooterKey)))
        keys = [(key.key, key.description) for key in app.screen.query(FooterKey)]
        descriptions = [description for _, description in keys]
        assert descriptions.count("Quit") == 1, keys  # not "q Quit ^q Quit"
        assert not {"f2", "f3", "f4", "f5"} & {key for key, _ in keys}, keys  # they lead nowhere without a KB
        assert "startup-progress-row" not in app.export_screenshot()
        await pilot.press("q")
    assert app.return_code == 1


# -- 80x24 -------------------------------------------------------------------------------------------------

def _visible_keys(app) -> dict[str, str]:
    """The key bar's keys that are on screen (not cut at the right edge): key -> description."""
    from textual.widgets._footer import FooterKey

    keys = [key for key in app.screen.query(FooterKey) if key.display and key.region.width]
    palette = [key for key in keys if key.has_class("-command-palette")]
    edge = palette[0].region.x if palette else app.size.width  # the palette's label is docked over the right end
    return {key.key: key.description for key in keys if key not in palette and key.region.right <= edge}


async def _search_ready(app, pilot):
    await until(pilot, lambda: app.current_mode == "search" and bool(app.screen.query("#detail")), 600)
    await until(pilot, lambda: app.searcher is not None and bool(_visible_keys(app)), 600)


async def test_at_80x24_the_key_bar_keeps_help_and_every_screen_key(pump_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(pump_kb)
    async with app.run_test(size=(80, 24)) as pilot:
        await _search_ready(app, pilot)
        keys = _visible_keys(app)
        assert {"f1", "f3", "f4", "f5", "ctrl+g", "ctrl+o"} <= set(keys), keys
        assert list(keys)[0] == "f1"  # F1 lists every key, the hidden ones too: it comes first
        await pilot.press("f4")
        await until(pilot, lambda: type(app.screen).__name__ == "RunbooksScreen" and "r" in _visible_keys(app))
        assert {"f1", "f2", "f3", "f5", "r"} <= set(_visible_keys(app))


async def test_at_80x24_the_run_screen_shows_abort_then_leave(pump_kb):
    from kb.runs import runbooks
    from kb.runs.walk import RunWalk
    from runbook.app import RunbookApp

    walk = RunWalk.start(pump_kb, runbooks.load(pump_kb, "c1"), "Ann Op <ann@example.com>", {}, set())
    app = RunbookApp(pump_kb, run_walk=walk, run_options={"author": ("Ann Op", "ann@example.com")})
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and "a" in _visible_keys(app), 600)
        keys = _visible_keys(app)
        assert {"f1", "r", "d", "s", "f", "a"} <= set(keys) and keys["a"] == "Abort", keys
        await pilot.press("d")
        await pilot.press("d")
        await until(pilot, lambda: walk.finished and "q" in _visible_keys(app), 600)
        keys = _visible_keys(app)
        assert keys["q"] == "Leave" and "a" not in keys and "r" not in keys, keys  # only what works now


async def test_at_80x24_the_search_screen_shows_the_fix(pump_kb):
    from textual.widgets import TextArea

    from runbook.app import RunbookApp

    app = RunbookApp(pump_kb)
    async with app.run_test(size=(80, 24)) as pilot:
        await _search_ready(app, pilot)
        app.screen.query_one("#paste", TextArea).insert("PumpCavitation: pump two is cavitating at the inlet")
        await until(pilot, lambda: bool(app.screen.results))
        await pilot.pause(0.5)
        screen_text = app.export_screenshot()
        assert "clean&#160;the&#160;strainer" in screen_text or "clean the strainer" in screen_text
        assert "pumpctl&#160;stop" in screen_text or "pumpctl stop" in screen_text
