"""Command lines found outside shell blocks: inline code in items and cells (flowchart nodes: test_tree_commands.py)."""

from __future__ import annotations

import pytest

from kb.parse.command_line import inline_commands, is_command_line
from kb.parse.report import parse_report


@pytest.mark.parametrize("text, found", [
    ("构建镜像：`docker build -t inventory-api:rc .`", ["docker build -t inventory-api:rc ."]),
    ("build with `docker build -t test .` then push", ["docker build -t test ."]),
    ("check `sudo systemctl status inventory` and `journalctl -u inventory -n 50`",
     ["sudo systemctl status inventory", "journalctl -u inventory -n 50"]),
    ("入口使用 shell 形式（`sh -c`）展开变量", []),  # an aside naming a technique
    ("uses `sh -c` so the variable expands", []),  # `sh -c` without its command string
    ("the command was `buildctl ... | tail`", []),  # elided
    ("`unzip: command not found` in the build log", []),  # error text, not a command
    ("fixed `/var/log/inventory` ownership", []),  # a path, not a script
    ("the `docker` CLI was too old", []),  # a bare program name
    ("运行 `./scripts/migrate.sh`", ["./scripts/migrate.sh"]),  # a bare script after a run word
    ("`./scripts/migrate.sh` is new", []),
])
def test_inline_code_is_a_command_only_when_it_reads_as_one(text, found):
    assert inline_commands(text) == found


def test_shell_syntax_is_required():
    assert not is_command_line("curl -d '{ unterminated")
    assert is_command_line("ssh <user>@<host> uptime")  # placeholders are filled before a run


def test_inline_commands_attach_to_their_checklist_item_and_table_cells_stay_loose():
    report = parse_report("""# Release

## Pre-deploy checklist

- [ ] Image builds locally: `docker build -t shop-api:rc .`
- [ ] Secrets are not in the repo

## Quick fixes

| Symptom | Fix |
|---|---|
| `address already in use` | find the holder with `ss -ltnp` |
""", "r.md")
    attached = [(c.command, c.checklist, c.item) for c in report.commands]
    assert attached == [("docker build -t shop-api:rc .", 0, 0), ("ss -ltnp", None, None)]
    assert report.commands[1].comment == "`address already in use`"
