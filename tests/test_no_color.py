"""NO_COLOR (no-color.org: set and not empty) and --no-color turn colour off on every output path: the
search highlights, click's styled lines of a run, and the TUI (Textual's own monochrome filter). Real
processes on a pseudo-terminal, where colour would otherwise be on; the TUI through Pilot."""

from __future__ import annotations

import re

import pytest

from conftest import ingest_report
from pty_run import RUNBOOK, run_in_pty

COLOUR = re.compile(r"\x1b\[(?:3[0-7]|9[0-7]|38;[25];[\d;]+)m")  # a foreground colour, as click or we write it

REPORT = """# Sprocket incidents

## Error: SprocketJam: the sprocket feeder jammed at station four

```
SprocketJam: the sprocket feeder jammed at station four
```

**Root cause**: the feeder belt was worn

**Fix**: swap the belt, then `sprocketctl restart --station 4`
"""

RUNBOOK_TEXT = "# Wave\n\n- [ ] Say hello\n  ```bash\n  echo hello-from-wave\n  ```\n"


@pytest.fixture
def colour_kb(kb, tmp_path):
    ingest_report(kb, tmp_path, "sprockets.en.md", REPORT)
    (kb.runbooks_dir / "wave.md").write_text(RUNBOOK_TEXT, encoding="utf-8")
    return kb


def _search(kb, *flags, env=None):
    return run_in_pty([*RUNBOOK, *flags, "--kb", str(kb.root), "search", "SprocketJam feeder jammed at station four"],
                      env={"PAGER": "cat", **(env or {})})


def test_search_highlights_are_coloured_on_a_terminal(colour_kb):
    ran = _search(colour_kb)
    assert ran.code == 0 and "SprocketJam" in ran.terminal
    assert "\x1b[33m" in ran.terminal  # the yellow highlight NO_COLOR must remove


@pytest.mark.parametrize("how", ["NO_COLOR=1", "--no-color", "NO_COLOR=yes"])
def test_no_color_removes_every_colour_from_search(colour_kb, how):
    ran = _search(colour_kb, "--no-color") if how == "--no-color" else _search(colour_kb, env={"NO_COLOR": how[9:]})
    assert ran.code == 0 and "SprocketJam" in ran.terminal
    assert "\x1b[" not in ran.terminal, ran.terminal
    assert "«SprocketJam»" in ran.terminal  # what matched is still marked, as in a pipe


def test_an_empty_no_color_does_not_count(colour_kb):
    ran = _search(colour_kb, env={"NO_COLOR": ""})
    assert "\x1b[33m" in ran.terminal


def _trusted_run(kb, *flags, env=None):
    trusted = run_in_pty([*RUNBOOK, "--kb", str(kb.root), "trust", "wave", "--yes"], env={"PAGER": "cat"})
    assert trusted.code == 0, trusted.terminal
    return run_in_pty([*RUNBOOK, *flags, "--kb", str(kb.root), "run", "wave", "--no-tui", "--yes",
                       "--operator", "Ann <ann@example.com>"], env={"PAGER": "cat", **(env or {})})


def test_a_run_prints_its_commands_in_colour_on_a_terminal(colour_kb):
    ran = _trusted_run(colour_kb)
    assert ran.code == 0 and "hello-from-wave" in ran.terminal, ran.terminal
    assert COLOUR.findall(ran.terminal)  # click.style: cyan command, green check


@pytest.mark.parametrize("how", ["NO_COLOR", "--no-color"])
def test_no_color_reaches_clicks_styled_lines_of_a_run(colour_kb, how):
    ran = _trusted_run(colour_kb, env={"NO_COLOR": "1"}) if how == "NO_COLOR" else _trusted_run(colour_kb, "--no-color")
    assert ran.code == 0 and "hello-from-wave" in ran.terminal, ran.terminal
    assert not COLOUR.findall(ran.terminal), ran.terminal


WINDOW_CHROME = {(255, 95, 87), (254, 188, 46), (40, 200, 64), (197, 200, 198)}  # the screenshot's frame


def _colours_of(svg: str) -> set[tuple[int, int, int]]:
    """The colours of the terminal's cells in a Textual screenshot (not the drawn window around it)."""
    found = set()
    for hex_colour in re.findall(r'(?:fill|color)[=:]\s*"?#([0-9a-fA-F]{6})', svg):
        found.add(tuple(int(hex_colour[i:i + 2], 16) for i in (0, 2, 4)))
    return found - WINDOW_CHROME


async def _screenshot(kb, monkeypatch, no_color: str | None) -> str:
    from runbook.app import RunbookApp

    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    app = RunbookApp(kb)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(400):
            await pilot.pause(0.05)
            if app.current_mode == "search" and app.screen.query("Footer"):
                break
        await pilot.pause(0.3)
        return app.export_screenshot()


async def test_the_tui_is_in_colour_without_no_color(colour_kb, monkeypatch):
    colours = _colours_of(await _screenshot(colour_kb, monkeypatch, None))
    assert any(len({r, g, b}) > 1 for r, g, b in colours)


async def test_the_tui_turns_monochrome_with_no_color(colour_kb, monkeypatch):
    colours = _colours_of(await _screenshot(colour_kb, monkeypatch, "1"))
    assert colours and all(max(c) - min(c) <= 2 for c in colours), sorted(c for c in colours if max(c) - min(c) > 2)


async def test_the_tui_ignores_an_empty_no_color(colour_kb, monkeypatch):
    colours = _colours_of(await _screenshot(colour_kb, monkeypatch, ""))
    assert any(len({r, g, b}) > 1 for r, g, b in colours)
    import os

    assert os.environ["NO_COLOR"] == ""  # given back as it was, for what the operator runs from the TUI


def test_no_color_on_the_bare_command_line_reaches_the_tui(monkeypatch):
    """`runbook --no-color [--kb PATH]` opens the TUI without click: the flag becomes NO_COLOR before the
    app (and Textual's filter) is built."""
    import os

    from runbook.cli.plain_search import tui_kb_option

    assert "NO_COLOR" not in os.environ  # conftest: put back as it was after the test
    assert tui_kb_option(["--no-color", "--kb", "/somewhere"]) == ("/somewhere",)
    assert os.environ["NO_COLOR"] == "1"
