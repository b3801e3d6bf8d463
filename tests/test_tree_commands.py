"""Decision-tree nodes are offered as commands only when they are commands (kb/parse/tree_commands.py).

Our own mermaid text throughout: Chinese and English labels, `<br/>` inside a label, a command with a
note beside it, and prose that starts with a program's name.
"""

from __future__ import annotations

import json
import re
import shutil

import git
import pytest

from conftest import run_cli
from kb.parse.flowchart import parse_flowchart
from kb.parse.tree_commands import NodeCommand, node_command, report_programs
from pilot_wait import until


@pytest.mark.parametrize("label, command", [
    # Chinese and English labels that are commands (after a run word, in inline code, or as they stand)
    ("运行 docker compose ps", NodeCommand("docker compose ps")),
    ("执行 `npm run build`", NodeCommand("npm run build")),
    ("Run kubectl get pods -n shop", NodeCommand("kubectl get pods -n shop")),
    ("curl -fsS http://localhost:8000/health", NodeCommand("curl -fsS http://localhost:8000/health")),
    ("检查服务状态", None),
    ("run the tests", None),
    ("返回200?", None),
])
def test_labels_in_either_language(label, command):
    assert node_command(label) == command


@pytest.mark.parametrize("label, command", [
    ("docker restart<br/>ledger-db", NodeCommand("docker restart ledger-db")),
    ("journalctl -u ledger<br>--since today", NodeCommand("journalctl -u ledger --since today")),
    ("kubectl rollout status<BR />deploy/ledger", NodeCommand("kubectl rollout status deploy/ledger")),
    ("docker logs ledger\n--tail 100", NodeCommand("docker logs ledger --tail 100")),
])
def test_a_label_broken_over_lines_is_one_command(label, command):
    assert node_command(label) == command


@pytest.mark.parametrize("label, command, note", [
    ("ss -ltnp 查端口占用", "ss -ltnp", "查端口占用"),
    ("nginx -T 查看完整配置", "nginx -T", "查看完整配置"),
    ("docker logs ledger 查看失败原因", "docker logs ledger", "查看失败原因"),  # a purpose, though it names a failure
    ("kubectl get pods (check the restarts)", "kubectl get pods", "check the restarts"),
    ("Check the listener: ss -ltnp", "ss -ltnp", "Check the listener"),
    ("查看日志：journalctl -u ledger -n 100", "journalctl -u ledger -n 100", "查看日志"),
    ("`redis-cli ping` 确认连通", "redis-cli ping", "确认连通"),
])
def test_a_command_and_a_note_become_the_command_with_the_note_beside_it(label, command, note):
    assert node_command(label) == NodeCommand(command, note)


@pytest.mark.parametrize("label", [
    "systemctl restart ledger 失败",  # how it went, not what to run
    "redis-cli 连接超时",
    "docker compose up 报错",
    "nginx 启动失败",
    "curl http://localhost:8000/health 返回正常",
    "nginx reload fails",
    "postgres is not accepting connections",
    "curl returns 504",
    "systemctl start ledger failed",
    "npm or pnpm?",
    "kubectl apply 加 --dry-run 验证",  # describes another command than `kubectl apply`
])
def test_prose_that_starts_with_a_program_is_not_a_command(label):
    assert node_command(label) is None


def test_a_program_the_report_runs_in_its_shell_blocks_is_a_program_in_its_tree():
    programs = report_programs(["sudo etcdctl endpoint health", "mc admin info local", "Filesystem  Size  Used"])
    assert programs == frozenset({"etcdctl", "mc"})
    assert node_command("etcdctl endpoint health 查集群状态") is None  # not a program runbook knows of
    assert node_command("etcdctl endpoint health 查集群状态", programs) == NodeCommand("etcdctl endpoint health",
                                                                                  "查集群状态")
    assert node_command("etcdctl 连接失败", programs) is None  # still prose


def test_the_stored_node_text_is_joined_too():
    chart = parse_flowchart('graph TD\nA["docker start<br/>ledger-db"] --> B{ok#quot;?#quot;}')
    assert chart.nodes["A"]["text"] == "docker start ledger-db"
    assert chart.nodes["B"]["text"] == 'ok"?"'


# -- through ingest, `run --dry-run`, `show fN` and a run --------------------------------------------------

TREE_REPORT = """# Ledger 排障

## 排查流程

```mermaid
graph TD
    A[systemctl restart ledger 失败] --> B{端口被占用?}
    B -->|是| C[ss -ltnp 查端口占用]
    B -->|否| D{Config valid?}
    D -->|no| E[nginx -T 查看完整配置]
    D -->|yes| F["docker start<br/>ledger-db"]
    F --> G[nginx reload fails]
    G --> H[npm or pnpm?]
    H -->|npm| I[Check the lockfile]
    H -->|pnpm| J(联系值班)
```
"""


@pytest.fixture
def tree_report_kb(kb, tmp_path):
    from kb.ingest import ingest

    source = tmp_path / "ledger-tree.zh.md"
    source.write_text(TREE_REPORT, encoding="utf-8")
    ingest(kb, [source])
    ref = f"f{kb.store.rows('select id from flowcharts')[0]['id']}"
    kb.close()
    return kb.root, ref


def test_dry_run_and_show_offer_only_the_commands_with_their_notes(runner, tree_report_kb):
    root, ref = tree_report_kb
    dry = run_cli(runner, root, "run", ref, "--dry-run")
    assert dry.exit_code == 0, dry.output
    offered = re.findall(r"(?m)^\s+\$ (.*)$", dry.output)
    assert sorted(offered) == ["docker start ledger-db", "nginx -T   # 查看完整配置", "ss -ltnp   # 查端口占用"]
    assert "systemctl restart ledger 失败" in dry.output  # prose stays a step, shown, with nothing to run
    shown = run_cli(runner, root, "show", ref, "--json")
    steps = {step["title"]: step["commands"] for step in json.loads(shown.output)["steps"]}
    assert steps["ss -ltnp 查端口占用"] == [{"command": "ss -ltnp", "expected": "", "note": "查端口占用"}]
    assert steps["docker start ledger-db"] == [{"command": "docker start ledger-db", "expected": "", "note": ""}]
    for prose in ("systemctl restart ledger 失败", "nginx reload fails", "npm or pnpm?"):
        assert steps[prose] == []
    text = run_cli(runner, root, "show", ref).output
    assert "$ nginx -T   # 查看完整配置" in text
    listed = json.loads(run_cli(runner, root, "list", "runbooks", "--json").output)
    assert next(row for row in listed if row["ref"] == ref)["commands"] == 3


RUN_TREE = """# Kernel check

```mermaid
flowchart TD
Start[Host looks wrong] --> Kernel[uname -s 查看内核]
Kernel --> Linux{Linux?}
Linux -->|yes| Done[Resolved]
Linux -->|no| Other[Ask the platform team]
```
"""


@pytest.fixture
def note_tree_kb(kb):
    kb.repo.config_writer().set_value("user", "name", "Ann Op").release()
    kb.repo.config_writer().set_value("user", "email", "ann@example.com").release()
    (kb.runbooks_dir / "kernel.md").write_text(RUN_TREE, encoding="utf-8")
    return kb


@pytest.mark.skipif(shutil.which("uname") is None, reason="the command node is uname")
def test_a_run_shows_the_note_beside_the_command_and_runs_the_command_alone(runner, note_tree_kb):
    root = note_tree_kb.root
    note_tree_kb.close()
    # Enter: the start goes on; r + y: run the node's command; 1: yes; Enter: resolved
    result = run_cli(runner, root, "run", "kernel", "--no-tui", input="\nr\ny\n1\n\n")
    assert result.exit_code == 0, result.output
    assert "$ uname -s   # 查看内核" in result.output
    assert "About to run exactly:\n    uname -s\n" in result.output
    assert "✓ exit code 0" in result.output  # `uname -s 查看内核` would have failed: the note never ran
    assert git.Repo(root).head.commit.message.splitlines()[0] == "run: Kernel check [kernel] completed"


async def test_the_run_screen_shows_the_note_beside_the_command(note_tree_kb):
    from kb.runs import runbooks
    from kb.runs.walk import RunWalk
    from runbook.app import RunbookApp

    walk = RunWalk.start(note_tree_kb, runbooks.load(note_tree_kb, "kernel"), "Ann Op <ann@example.com>", {}, set())
    app = RunbookApp(note_tree_kb, run_walk=walk, run_options={"author": ("Ann Op", "ann@example.com")})
    async with app.run_test(size=(110, 34)) as pilot:
        await until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and app.screen.query("#step-title"))
        await pilot.press("d")
        await until(pilot, lambda: walk.step.title == "uname -s 查看内核")
        command = app.screen.query_one("#step-command")
        await until(pilot, lambda: "$ uname -s   # 查看内核" in str(command.render()))
        await pilot.press("r")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmCommand")
        confirm = str(app.screen.query_one("#confirm-command").render())
        assert "uname -s" in confirm and "查看内核" not in confirm  # what runs is the command alone
        await pilot.press("n")
