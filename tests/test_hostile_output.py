"""Escape sequences in a report never reach the terminal through show, list, search or JSON."""

from __future__ import annotations

import re

from conftest import run_cli

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
REPORT = ("# \x1b]0;pwned\x07Hostile \x9b31mtitle\n\n## Error: \x1b[2JWidgetError: \x1b]8;;http://x.example\x1b\\"
          "gizmo queue refused\n\n```\nWidgetError: gizmo queue refused\n```\n\n**Fix**: \x1b[31mrestart the gizmo\n")


def test_escapes_are_neutralised_everywhere(runner, tmp_path):
    kbdir = tmp_path / "kb"
    run_cli(runner, kbdir, "init")
    source = tmp_path / "hostile.md"
    source.write_text(REPORT, encoding="utf-8")
    assert run_cli(runner, kbdir, "ingest", str(source)).exit_code == 0
    outputs = [run_cli(runner, kbdir, *args).stdout for args in (
        ("show", "r1"), ("show", "e1"), ("show", "e1", "--json"), ("list",), ("list", "errors"), ("list", "--json"),
        ("search", "WidgetError: gizmo queue refused"), ("search", "--json", "WidgetError: gizmo queue refused"))]
    assert all("gizmo" in out or "Hostile" in out for out in outputs)
    assert [CONTROL.findall(out.replace("\n", "").replace("\t", "")) for out in outputs] == [[]] * len(outputs)
