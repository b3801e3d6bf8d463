"""Every CLI command that prints report text prints it neutralised: a report, a runbook, a file name and a
commit message full of terminal escapes are ingested, then every command is run over them (the list of
commands is checked against the CLI's own, so a new command must be added here)."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile

import pytest

from conftest import run_cli

# What a hostile teammate writes: a window-title OSC, clear screen, C1 CSI, a DCS, blink (and a BEL in the
# title: a few of them only, or the file reads as binary and is refused before anything shows it).
OSC, CLEAR, C1, DCS, BLINK = "\x1b]0;pwned\x1b\\", "\x1b[2J", "\x9b31m", "\x1bP1$r\x1b\\", "\x1b[5m"
HOSTILE = f"{OSC}{CLEAR}{C1}{DCS}{BLINK}"

REPORT = f"""# {HOSTILE}\x07Hostile title

**Platform**: nginx

**Service**: gizmo{HOSTILE}os

## Error: {HOSTILE}WidgetError: gizmo queue refused

```
WidgetError: gizmo queue refused {HOSTILE}
```

**Root cause**: the queue {HOSTILE} was full

**Fix**: restart the gizmo{HOSTILE} (commit `abc1234`)

## Checklist {HOSTILE}

- [ ] Drain the {HOSTILE} queue
  ```bash
  echo "drain {HOSTILE}"
  # expected: drain
  ```

## Troubleshooting {HOSTILE}

```mermaid
graph TD
    A{{Gizmo {C1} up?}} -->|yes {C1}| B[Check the \x9b2J queue]
    A -->|no| C[Start the gizmo]
```

## Lessons

- Watch the {HOSTILE} queue
"""

RUNBOOK = f"""---
title: Drain{HOSTILE}
---
# Drain

- [ ] include: part{HOSTILE.count("x")}
- [ ] Say {HOSTILE}
  ```bash
  echo "said {HOSTILE}"
  ```
"""

PART = f"# Part {HOSTILE}\n\n- [ ] Part step {HOSTILE}\n  ```bash\n  echo part\n  ```\n"

# Our own styling (click.style, render's highlight): the only escapes allowed through.
OURS = re.compile(r"\x1b\[(?:0|1|2|22|3[0-9]|39|9[0-7])m")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Commands that print no report text, and why.
EXEMPT = {"init": "prints the KB path the operator gave", "new": "prints the path it wrote, slugged from the operator's name"}


@pytest.fixture
def hostile_kb(runner, tmp_path):
    kbdir = tmp_path / "kb"
    assert run_cli(runner, kbdir, "init").exit_code == 0
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "hostile.md").write_text(REPORT, encoding="utf-8")
    (folder / f"name{OSC}{C1}x.md").write_text("# Named\n\npassword=Zq8Lm2Vx7Kt4\n", encoding="utf-8")
    (kbdir / "runbooks" / "drain.md").write_text(RUNBOOK, encoding="utf-8")
    (kbdir / "runbooks" / "part0.md").write_text(PART, encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / "gizmo.py").write_text("print('gizmo')\n")
    subprocess.run(["git", "add", "."], cwd=project, check=True)
    subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m",
                    f"fix: WidgetError: gizmo queue refused {HOSTILE}"], cwd=project, check=True)
    return kbdir, folder, project


def _interrupted_run(kbdir) -> str:
    """A run of the hostile checklist whose process died (as after a crash): `resume` lists it by its title."""
    from kb.runs import runbooks
    from kb.runs.walk import RunWalk
    from kb.store.knowledge_base import KnowledgeBase

    kb = KnowledgeBase(kbdir)
    walk = RunWalk.start(kb, runbooks.load(kb, "c1"), "Ann <ann@example.com>", {}, set())
    walk.run.pid = 2 ** 22 + 1  # no such process
    walk.store.save(walk.run)
    walk.store.close()
    kb.close()
    return walk.run.id


def _leaks(text: str) -> list[str]:
    return CONTROL.findall(OURS.sub("", text).replace("\n", "").replace("\t", ""))


def test_every_command_that_prints_report_text_neutralises_it(runner, hostile_kb, tmp_path, monkeypatch):
    from runbook.cli import cli

    editor = tmp_path / "editor.sh"  # `runbook edit`: changes the title of drain, and leaves part0 with no steps
    editor.write_text('#!/bin/sh\ncase "$1" in *drain.md) sed -i "s/^title: Drain/title: Drained/" "$1";; '
                      '*) printf "# Part %s\\n\\nno steps\\n" "$(printf \'\\033]0;x\\007\')" > "$1";; esac\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    kbdir, folder, project = hostile_kb
    query = "WidgetError: gizmo queue refused"
    invocations = {
        "ingest": [("ingest", str(folder)), ("ingest", "--check", str(folder)), ("ingest", "--json", str(folder)),
                   ("ingest", "--repo", str(project))],
        "list": [("list",), ("list", "errors"), ("list", "checklists"), ("list", "runbooks"), ("list", "--json"),
                 ("list", "runbooks", "--json")],
        "show": [("show", "r1"), ("show", "e1"), ("show", "c1"), ("show", "f1"), ("show", "e1", "--json"),
                 ("show", "e1", "--diff"), ("show", "c1", "--print"), ("show", "r1", "--print", "all")],
        "search": [("search", query), ("search", "--json", query)],
        "run": [("run", "f1", "--dry-run"), ("run", "c1", "--dry-run"), ("run", "drain", "--dry-run"),
                ("run", "drain", "--dry-run", "--json"), ("run", "f1", "--dry-run", "--json"),
                ("run", "c1", "--no-tui", "--operator", "Ann <ann@example.com>", "--var", f"X={HOSTILE}"),
                ("run", "drain", "--no-tui", "--yes")],
        "trust": [("trust", "drain", "--yes"), ("trust", "--list"), ("trust", "--list", "--json"),
                  ("trust", "--revoke", "drain")],
        "edit": [("edit", "drain"), ("edit", "part0")],  # $EDITOR: a title change; then a runbook left broken
        "history": [("history",), ("history", "--json"), ("history", "c1")],
        "resume": [("resume",), ("resume", "--json"), ("resume", "INTERRUPTED", "--no-tui")],
        "onboard": [("onboard",), ("onboard", "--json"), ("onboard", "nginx")],
        "reindex": [("reindex",)],
        "config": [("config",), ("config", "--json")],
        "server": [("server", "start"), ("server", "status"), ("server", "stop")],  # the KB's path, pid, counts
    }
    monkeypatch.setenv("RUNBOOK_SERVER_DIR", tempfile.mkdtemp(prefix="rbs-"))  # the search server's own folder
    monkeypatch.setenv("RUNBOOK_SEARCH_SERVER", "on")
    assert set(invocations) | set(EXEMPT) == set(cli.commands), "a new command must be walked here (or exempted)"
    interrupted = ""
    inputs = {"run": "r\ny\nd\n", "onboard": "n\n" * 12 + "f\n", "resume": "a\n"}
    seen_report_text = 0
    for command, calls in invocations.items():
        if command == "resume":
            interrupted = _interrupted_run(kbdir)
        for args in calls:
            args = tuple(interrupted if arg == "INTERRUPTED" else arg for arg in args)
            result = runner.invoke(cli, ["--kb", str(kbdir), *args], input=inputs.get(command, ""), color=True,
                                   catch_exceptions=False)
            for stream in (result.stdout, result.stderr):
                assert _leaks(stream) == [], (args, stream[:2000])
            seen_report_text += "␛" in result.output or "\\x9b" in result.output  # hostile text, shown harmless
    assert seen_report_text >= 22  # the commands did print the hostile text, neutralised


def test_the_plain_search_path_neutralises_too(runner, hostile_kb, monkeypatch):
    """`runbook search` is answered without click (runbook/cli/plain_search.py): a real process; and then
    by the search server (runbook/search_server.py), through the client that prints its answer."""
    kbdir, folder, _ = hostile_kb
    run_cli(runner, kbdir, "ingest", str(folder))
    searches = (("search", "WidgetError: gizmo queue refused"), ("search", "--json", "gizmo queue refused"))
    for args in searches:
        done = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(kbdir), *args], capture_output=True,
                              text=True, timeout=120)
        assert "gizmo" in done.stdout and _leaks(done.stdout + done.stderr) == [], done.stdout
    from runbook.cli import cli, search_client

    monkeypatch.setenv("RUNBOOK_SERVER_DIR", tempfile.mkdtemp(prefix="rbs-"))
    monkeypatch.setenv("RUNBOOK_SEARCH_SERVER", "on")
    assert runner.invoke(cli, ["--kb", str(kbdir), "server", "start"]).exit_code == 0
    try:
        for args in searches:
            done = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(kbdir), *args], capture_output=True,
                                  text=True, timeout=120)
            assert "gizmo" in done.stdout and _leaks(done.stdout + done.stderr) == [], done.stdout
        assert search_client.ask({"status": True})["served"] == len(searches)
    finally:
        search_client.ask({"stop": True})


def test_the_dry_run_of_a_tree_shows_its_title_neutralised(runner, hostile_kb):
    """The hole issue 20 names: a report title's raw escapes reached the terminal through `run fN --dry-run`."""
    kbdir, folder, _ = hostile_kb
    run_cli(runner, kbdir, "ingest", str(folder))
    from runbook.cli import cli

    result = runner.invoke(cli, ["--kb", str(kbdir), "run", "f1", "--dry-run"], color=True)
    assert "Troubleshooting" in result.stdout and "␛]0;pwned␛" in result.stdout
    assert _leaks(result.stdout) == []
