"""Long output on a terminal goes through a pager, as git does it: $PAGER (or the config's), LESS=FRX
unless set, never in a pipe, never when it fits, never with --no-pager. Real processes on a real
pseudo-terminal; the pager is a script that keeps what it was given."""

from __future__ import annotations

import os

import pytest

from pty_run import RUNBOOK, run_in_pty


def _report(errors: int) -> str:
    """One of our own reports with many errors, so `show r1` is far taller than 24 rows."""
    parts = ["# Gadget fleet notes\n"]
    for n in range(1, errors + 1):
        kind = "Gadget" + "".join(chr(ord("a") + int(digit)) for digit in str(n)).capitalize() + "Stall"
        parts.append(f"## Error {n}: gadget {n} stalls\n\n```\n{kind}: unit stopped answering on the bus\n```\n\n"
                     f"**Root cause**: bus {n} was saturated\n\n**Fix**: reset bus {n} with `gadgetctl reset --bus {n}`\n")
    return "\n".join(parts)


@pytest.fixture
def long_kb(kb, tmp_path):
    from conftest import ingest_report

    ingest_report(kb, tmp_path, "gadgets.en.md", _report(30))
    return kb


@pytest.fixture
def pager(tmp_path):
    """A pager that keeps its input and the LESS it was started with (in PAGED and PAGED.less)."""
    out = tmp_path / "paged"
    script = tmp_path / "pager.sh"
    script.write_text(f'#!/bin/sh\ncat > "{out}"\nprintf "%s" "${{LESS-unset}}" > "{out}.less"\n')
    script.chmod(0o755)
    return str(script), out


def test_long_output_on_a_terminal_goes_through_the_pager_with_less_frx(long_kb, pager):
    command, out = pager
    ran = run_in_pty([*RUNBOOK, "--kb", str(long_kb.root), "show", "r1"], env={"PAGER": command, "LESS": None})
    assert ran.code == 0, ran.terminal
    paged = out.read_text(encoding="utf-8")
    assert "Errors (30):" in paged and "\n  e30  " in paged  # the whole record went to the pager
    assert "e30" not in ran.terminal  # and not past the pager onto the terminal
    assert (out.parent / "paged.less").read_text() == "FRX"  # quit if one screen, colours, leave it on screen


def test_an_operators_own_less_options_are_kept(long_kb, pager):
    command, out = pager
    run_in_pty([*RUNBOOK, "--kb", str(long_kb.root), "list", "errors"], env={"PAGER": command, "LESS": "-R"})
    assert (out.parent / "paged.less").read_text() == "-R"
    assert "e30" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("how", ["--no-pager", "pipe", "fits", "config", "RUNBOOK_PAGER", "cat"])
def test_no_pager_when_told_in_a_pipe_or_when_it_fits(long_kb, pager, how, tmp_path):
    command, out = pager
    env = {"PAGER": command}
    args = ["--kb", str(long_kb.root), "show", "r1"]
    if how == "--no-pager":
        args.insert(0, "--no-pager")
    elif how == "fits":
        args = ["--kb", str(long_kb.root), "show", "e1"]
    elif how == "config":
        config = tmp_path / "config.toml"
        config.write_text("pager = false\n")
        env["RUNBOOK_CONFIG"] = str(config)
    elif how == "RUNBOOK_PAGER":
        env["RUNBOOK_PAGER"] = ""  # empty: never page, whatever PAGER says
    elif how == "cat":
        env["PAGER"] = "cat"
    ran = run_in_pty([*RUNBOOK, *args], env=env, stdout_pipe=how == "pipe")
    assert ran.code == 0, ran.terminal
    assert not out.exists(), how
    shown = ran.piped if how == "pipe" else ran.terminal
    assert ("bus 1 was saturated" if how == "fits" else "  e30  ") in shown


def test_runbook_pager_beats_the_config_file_which_beats_pager(long_kb, pager, tmp_path):
    command, out = pager
    config = tmp_path / "config.toml"
    config.write_text(f'pager = "{command}"\n')
    ran = run_in_pty([*RUNBOOK, "--kb", str(long_kb.root), "show", "r1"],
                     env={"PAGER": "/bin/false-pager-not-there", "RUNBOOK_CONFIG": str(config)})
    assert ran.code == 0 and out.exists(), ran.terminal  # the file's pager, not $PAGER
    os.unlink(out)
    ran = run_in_pty([*RUNBOOK, "--kb", str(long_kb.root), "show", "r1"],
                     env={"RUNBOOK_PAGER": command, "RUNBOOK_CONFIG": str(tmp_path / "none.toml")})
    assert ran.code == 0 and out.exists(), ran.terminal


def test_a_pager_that_is_not_installed_prints_the_text(long_kb):
    ran = run_in_pty([*RUNBOOK, "--kb", str(long_kb.root), "show", "r1"], env={"PAGER": "no-such-pager-here -R"})
    assert ran.code == 0 and "  e30  " in ran.terminal


def test_a_long_search_answer_is_paged_on_the_plain_path_too(kb, tmp_path, pager):
    from kb.ingest import ingest

    folder = tmp_path / "fleet"
    folder.mkdir()
    for n in range(8):  # eight reports of the same stall: `search -k 8` answers with all of them
        (folder / f"fleet-{n}.en.md").write_text(_report(1).replace("Gadget fleet notes", f"Fleet {n} notes")
                                                 .replace("bus 1 was", f"bus {n} of fleet {n} was"), encoding="utf-8")
    ingest(kb, [folder])
    command, out = pager
    ran = run_in_pty([*RUNBOOK, "--kb", str(kb.root), "search", "-k", "8", "GadgetBStall: unit stopped answering"],
                     env={"PAGER": command})
    assert ran.code == 0, ran.terminal
    assert out.read_text(encoding="utf-8").count("report: Fleet") >= 5


def test_rows_needed_counts_wrapped_lines_and_wide_characters():
    from runbook.pager import rows_needed

    assert rows_needed("a\nb", 80) == 2
    assert rows_needed("x" * 81, 80) == 2
    assert rows_needed("健" * 41, 80) == 2  # 82 cells
    assert rows_needed("\x1b[33mshort\x1b[0m", 5) == 1  # styles take no room
