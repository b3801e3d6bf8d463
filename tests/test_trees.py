"""Flowcharts: decision trees walked (their command nodes run after confirmation), diagrams kept but never run."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time

import git
import pytest

from pilot_wait import until
from conftest import FIXTURES, run_cli
from kb.parse.flowchart import DECISION_TREE, DIAGRAM, classify, parse_flowchart
from kb.ingest import ingest
from kb.parse.report import parse_report

GUIDE = FIXTURES / "ledger-compose-guide.zh.md"


def _kind(mermaid: str) -> str:
    chart = parse_flowchart(mermaid)
    return classify(chart.nodes_list(), chart.edges, chart.subgraphs)


@pytest.mark.parametrize("mermaid, kind", [
    ("graph TD\nA[磁盘告警] --> B{磁盘满了吗}\nB -->|是| C[清理镜像]\nB -->|否| D[看日志]", DECISION_TREE),
    ("graph TD\nA[Disk alert] --> B[df -h]\nB -->|full| C[Prune images]\nB -->|ok| D[Read logs]", DECISION_TREE),
    ("graph TD\nA[Check] --> B[Is it up?]\nB --> C[Done]", DECISION_TREE),
    ("graph LR\nA[Build] --> B[Test] --> C[Ship]", DIAGRAM),  # a pipeline: nothing is asked
    ("graph TB\nsubgraph app\nA[api]\nend\nA -->|reads| B[(db)]\nA -->|caches| C[(redis)]", DIAGRAM),
    ("graph TD\nLB[lb] -->|http| Api[api]\nLB -->|static| Web[web]\nApi --> W1[w1]\nApi --> W2[w2]", DIAGRAM),
    ("graph TD\nA{again?} -->|yes| B[retry]\nB --> A", DIAGRAM),  # no start and no end
])
def test_decision_trees_and_diagrams_are_told_apart(mermaid, kind):
    assert _kind(mermaid) == kind


def test_the_guide_keeps_its_architecture_as_diagrams_and_its_troubleshooting_as_a_tree():
    report = parse_report(GUIDE.read_text(encoding="utf-8"), GUIDE.name)
    assert [chart.kind for chart in report.flowcharts] == [DIAGRAM, DIAGRAM, DECISION_TREE]


@pytest.fixture
def guide_kb(kb):
    ingest(kb, [GUIDE])
    refs = {row["kind"]: f"f{row['id']}" for row in kb.store.rows("select id, kind from flowcharts order by id")}
    kb.close()
    return kb.root, refs


def test_kinds_are_stored_and_shown_and_a_diagram_does_not_run(runner, guide_kb):
    root, refs = guide_kb
    shown = run_cli(runner, root, "show", "reports/ledger-compose-guide.zh.md")
    assert shown.exit_code == 0, shown.output
    assert f"(decision tree: runbook run {refs[DECISION_TREE]} walks it)" in shown.output
    assert shown.output.count("(diagram: shown in the report, not runnable)") == 2
    refused = run_cli(runner, root, "run", refs[DIAGRAM], "--dry-run")
    assert refused.exit_code != 0
    assert "is a diagram" in refused.output and len(refused.output.strip().splitlines()) == 1
    assert "Traceback" not in refused.output


def test_tree_nodes_carry_their_commands_and_the_question_after_a_curl_is_its_check(runner, guide_kb):
    root, refs = guide_kb
    result = run_cli(runner, root, "run", refs[DECISION_TREE], "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "$ docker compose ps" in out  # from "运行 docker compose ps"
    assert "$ docker compose logs --tail 50 api" in out  # from "执行 …"
    assert "$ curl -fsS -i http://localhost:9100/healthz\n         expected: HTTP 200" in out
    assert "是 -> 能否打开 http://localhost:9000?" in out
    assert not re.search(r"(?m)(?:->|then:) [A-Za-z0-9_-]+$", out), out  # never an internal node id


def test_an_old_database_gains_the_kind_column(tmp_path):
    import sqlite3

    from kb.store import queries
    from kb.store.database import Store

    path = tmp_path / "old.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("alter table flowcharts drop column kind")
        db.execute("insert into flowcharts (id, report_id, position, section, line, direction, nodes, edges) values "
                   "(1, 1, 0, 's', 1, 'TD', '[{\"id\": \"A\", \"text\": \"up?\", \"shape\": \"decision\"}, "
                   "{\"id\": \"B\", \"text\": \"ok\", \"shape\": \"box\"}]', "
                   "'[{\"src\": \"A\", \"dst\": \"B\", \"label\": \"yes\"}]')")
    store = Store(path)
    try:
        row = store.rows("select * from flowcharts")[0]
        assert "kind" in row and row["kind"] is None
        assert queries.flowchart_record(row)["kind"] == DECISION_TREE  # classified on the fly until reindex
    finally:
        store.close()


# -- walking a tree with a command node, against a real HTTP server --------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def http_port(tmp_path):
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=5)


def _health_tree(port: int) -> str:
    return f"""# 健康检查排障

```mermaid
flowchart TD
Begin[页面打不开] --> Probe["curl -sS -i http://127.0.0.1:{port}/"]
Probe --> Ok["返回200?"]
Ok --> |是| Fine["服务正常，结束"]
Ok --> |否| Restart["重启服务"]
```
"""


@pytest.fixture
def tree_kb(kb, http_port):
    kb.repo.config_writer().set_value("user", "name", "Ann Op").release()
    kb.repo.config_writer().set_value("user", "email", "ann@example.com").release()
    (kb.runbooks_dir / "health.md").write_text(_health_tree(http_port), encoding="utf-8")
    return kb


@pytest.mark.skipif(shutil.which("curl") is None, reason="the tree's command node is a curl")
def test_a_command_node_runs_after_confirmation_and_its_check_answers_the_question(runner, tree_kb):
    root = tree_kb.root
    tree_kb.close()
    # Enter: the start node goes on; r + y: run the curl; Enter: take the answer the check gave; y: resolved
    result = run_cli(runner, root, "run", "health", "--no-tui", input="\nr\ny\n\ny\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Step 2: curl -sS -i http://127.0.0.1:" in out
    assert "About to run exactly:" in out
    assert "✓ HTTP 200, expected 200" in out
    assert "1. 是   <- what the check says" in out
    assert "Step 4 · the end: 服务正常，结束" in out
    head = git.Repo(root).head.commit
    assert head.message.splitlines()[0] == "run: 健康检查排障 [health] completed"
    record = next((root / "runs").glob("*.md")).read_text(encoding="utf-8")
    assert "Path taken (4 steps): 页面打不开 → curl -sS -i http://127.0.0.1:" in record
    assert "→ 返回200? → 服务正常，结束" in record
    assert "- check: HTTP 200, expected 200" in record


@pytest.mark.skipif(shutil.which("curl") is None, reason="the tree's command node is a curl")
async def test_the_run_screen_walks_a_tree_and_runs_a_command_node(tree_kb):
    from kb.runs import runbooks
    from kb.runs.walk import RunWalk
    from runbook.app import RunbookApp

    walk = RunWalk.start(tree_kb, runbooks.load(tree_kb, "health"), "Ann Op <ann@example.com>", {}, set())
    app = RunbookApp(tree_kb, run_walk=walk, run_options={"author": ("Ann Op", "ann@example.com")})

    async with app.run_test(size=(110, 34)) as pilot:
        await until(pilot, lambda: type(app.screen).__name__ == "RunScreen" and app.screen.query("#step-title"))
        title = app.screen.query_one("#step-title")
        await until(pilot, lambda: str(title.render()).startswith("Step 1: 页面打不开"))
        await pilot.press("d")  # one way on: no choice to make
        await until(pilot, lambda: walk.step_number == 2 and "Step 2: curl" in str(title.render()))
        await pilot.press("r")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmCommand")
        assert "curl -sS -i http://127.0.0.1:" in str(app.screen.query_one("#confirm-command").render())
        await pilot.press("y")
        await until(pilot, lambda: walk.step.title == "返回200?")  # passed its check: done, and on
        title = app.screen.query_one("#step-title")
        await until(pilot, lambda: "Step 3 · 2 choices" in str(title.render()))
        assert "[1] 是 ← the check says" in str(title.render())
        await pilot.press("1")
        await until(pilot, lambda: walk.step.title == "服务正常，结束")
        await pilot.press("d")  # the end: it asks whether the problem is resolved
        await until(pilot, lambda: type(app.screen).__name__ == "Confirm")
        await pilot.press("y")
        await until(pilot, lambda: walk.finished)
    assert walk.run.outcome == "completed"
    assert [walk.run.steps[i].title.split(" ")[0] for i in walk.run.path] == ["页面打不开", "curl", "返回200?",
                                                                              "服务正常，结束"]
    assert git.Repo(tree_kb.root).head.commit.message.splitlines()[0] == "run: 健康检查排障 [health] completed"
