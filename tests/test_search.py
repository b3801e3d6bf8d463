"""Search as operators use it: paste an error (or a whole log), get the known fix on top."""

from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLES, run_cli
from kb.ingest import ingest
from kb.store.knowledge_base import KnowledgeBase
from kb.parse.normalize import fingerprint, salient_lines
from kb.search.ranking import Searcher, search

HEALTH_REPORT = """# 部署报告

### 错误 2：容器健康检查持续超时

**错误日志**:
```
Health check timeout: No response from http://localhost:3000/
```

**根本原因**: 启动时间太短。

**修复方案**: 将 `start-period` 扩展到 120 秒。

### 错误 6：System Package Missing - unzip

**错误日志**:
```
reflex.utils.exceptions.SystemPackageMissingError: System package 'unzip' is missing.
```

**根本原因**: nixpacks 缺少 unzip。

**修复方案**: 在 nixPkgs 中添加 unzip。
"""


@pytest.fixture(scope="module")
def sample_kb(tmp_path_factory):
    knowledge = KnowledgeBase.init(tmp_path_factory.mktemp("samples") / "kb")
    ingest(knowledge, [SAMPLES])
    yield knowledge
    knowledge.close()


@pytest.fixture(scope="module")
def searcher(sample_kb):
    handle = Searcher(sample_kb)
    yield handle
    handle.close()


def test_every_logged_error_is_found_first_by_its_own_message(sample_kb, searcher):
    rows = sample_kb.store.rows("select id, message, fingerprint from errors where log != ''")
    assert len(rows) >= 30
    misses = []
    for row in rows:
        top = searcher.search(row["message"], k=1).results
        if not top or top[0].fingerprint != row["fingerprint"]:
            misses.append((row["message"][:80], top[0].message[:80] if top else None))
    assert not misses, misses


def test_a_variant_from_another_machine_finds_the_same_fix(searcher):
    original = 'nginx: [emerg] bind() to 0.0.0.0:443 failed (98: Address already in use)'
    variant = ("2026-07-02T03:04:05.678Z ERROR [deploy-7] nginx: [emerg] bind() to 10.20.30.40:443 failed "
               "(98: Address already in use)\nnginx: configuration file /etc/nginx/nginx.conf test failed")
    first = searcher.search(original, k=1).results[0]
    second = searcher.search(variant, k=1).results[0]
    assert second.ref == first.ref and "443" in second.message


def test_same_error_two_machines_same_fingerprint():
    a = "2026-01-14T09:12:44Z ERROR [api-1] Error: connect ECONNREFUSED 127.0.0.1:5432"
    b = "Mar  3 11:02:13 web-02 node[48213]: Error: connect ECONNREFUSED 10.0.0.7:5433"
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint("Error: connect ETIMEDOUT 127.0.0.1:5432")


def test_salient_lines_prefer_the_exception_over_noise():
    paste = "INFO starting worker\nDEBUG cache warm\nTraceback (most recent call last):\n  File \"/a.py\", line 1\n" \
            "ModuleNotFoundError: No module named 'psycopg2'\nINFO shutting down"
    lines = salient_lines(paste)
    assert lines[0][0].startswith("ModuleNotFoundError") and all("INFO" not in line for line, _ in lines)


def test_a_whole_traceback_pasted_finds_the_fix(searcher):
    paste = ("Traceback (most recent call last):\n  File \"/srv/billing/manage.py\", line 22, in <module>\n"
             "    main()\n  File \"/usr/lib/python3.12/site-packages/django/db/backends/postgresql/base.py\", line 29\n"
             "    import psycopg2 as Database\nModuleNotFoundError: No module named 'psycopg2'\n")
    top = searcher.search(paste, k=3).results[0]
    assert "psycopg2" in top.message and top.fix


def test_chinese_words_and_identifier_parts_match(tmp_path):
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    source = tmp_path / "r.md"
    source.write_text(HEALTH_REPORT, encoding="utf-8")
    ingest(knowledge, [source])
    handle = Searcher(knowledge)
    for query in ("健康检查", "容器健康检查超时", "健康检查 timeout"):
        assert handle.search(query).results[0].title == "容器健康检查持续超时", query
    for query in ("reflex.utils.exceptions.SystemPackageMissingError", "SystemPackageMissingError",
                  "system package missing"):
        assert "unzip" in handle.search(query).results[0].message, query
    handle.close()
    knowledge.close()


def test_results_are_one_per_fingerprint_with_seen_in_count(tmp_path):
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text(HEALTH_REPORT.replace("部署报告", f"部署报告 {name}"), encoding="utf-8")
    ingest(knowledge, [tmp_path / "a.md", tmp_path / "b.md"])
    results = search(knowledge, "Health check timeout: No response from http://localhost:3000/").results
    assert len([r for r in results if "Health check" in r.message]) == 1
    assert results[0].seen_in == 2
    knowledge.close()


HOSTILE = st.lists(st.sampled_from(list(':()*"[]{}~^-+!?\\/&|<>@#$%=\'`') + ["AND", "OR", "NOT", " ", "\n",
                                                                            "error", "错误", "\x1b[31m"]),
                   max_size=80).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.one_of(HOSTILE, st.text(max_size=120)))
def test_hostile_queries_never_raise(searcher, query):
    outcome = searcher.search(query, k=3)
    assert isinstance(outcome.results, list)


def test_a_paste_over_one_megabyte_is_cut_not_crashed(searcher):
    paste = ("INFO noise line " * 8 + "\n") * 9000 + "ModuleNotFoundError: No module named 'psycopg2'\n"
    paste = "ModuleNotFoundError: No module named 'psycopg2'\n" + paste
    assert len(paste.encode()) > 1024 * 1024
    outcome = searcher.search(paste)
    assert outcome.truncated and "psycopg2" in outcome.results[0].message


def test_new_and_changed_reports_are_searchable_at_once(tmp_path):
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    source = tmp_path / "r.md"
    source.write_text(HEALTH_REPORT, encoding="utf-8")
    ingest(knowledge, [source])
    assert search(knowledge, "SystemPackageMissingError").results
    source.write_text(HEALTH_REPORT.split("### 错误 6")[0], encoding="utf-8")
    ingest(knowledge, [source])
    assert not search(knowledge, "SystemPackageMissingError unzip").results
    shutil.rmtree(knowledge.index_dir)  # a lost index is rebuilt from SQLite
    assert search(knowledge, "Health check timeout").results
    knowledge.close()


def test_cli_search_json_contract_and_no_match(runner, tmp_path):
    run_cli(runner, tmp_path / "kb", "init")
    run_cli(runner, tmp_path / "kb", "ingest", str(SAMPLES))
    result = run_cli(runner, tmp_path / "kb", "search", "--json", "-k", "2",
                     "E11000 duplicate key error collection: orders.events index: event_id_1")
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert 1 <= len(payload) <= 2 and payload[0]["score"] >= payload[-1]["score"]
    for key in ("id", "title", "message", "root_cause", "fix", "commits", "report", "score"):
        assert key in payload[0]
    assert set(payload[0]["report"]) >= {"path", "title"}
    assert all(set(c) == {"sha", "message"} for c in payload[0]["commits"])
    assert "E11000" in payload[0]["message"]
    piped = run_cli(runner, tmp_path / "kb", "search", "-", input="zzqx flibbertigibbet quux\n")
    assert piped.exit_code == 1 and "no known fix" in piped.output
    text = run_cli(runner, tmp_path / "kb", "search", "Bind for 0.0.0.0:8080 failed: port is already allocated")
    assert text.exit_code == 0 and "fix:" in text.stdout and "report:" in text.stdout


def test_escape_sequences_in_reports_are_neutralised(runner, tmp_path):
    run_cli(runner, tmp_path / "kb", "init")
    evil = tmp_path / "evil.md"
    evil.write_text("# r\n\n## Error: boom\n\n```\nRuntimeError: boom \x1b]0;pwned\x07\x1b[2J\n```\n\n"
                    "**Fix**: restart \x1b[31mred\x1b[0m\n", encoding="utf-8")
    run_cli(runner, tmp_path / "kb", "ingest", str(evil))
    out = run_cli(runner, tmp_path / "kb", "search", "RuntimeError: boom").stdout
    assert "\x1b" not in out and "restart" in out


def test_weak_matches_say_so(searcher):
    strong = searcher.search("MISCONF Redis is configured to save RDB snapshots", k=1).results[0]
    assert not strong.weak and strong.confidence >= 0.35
    outcome = searcher.search("MySQLdb.OperationalError: (2006, 'MySQL server has gone away')", k=3)  # not in the KB
    assert outcome.results, "expected a loosely related result to be offered"
    assert all(result.weak for result in outcome.results)
    assert all(result.to_dict()["weak"] for result in outcome.results)


def test_a_strerror_line_is_the_telling_line_of_a_paste(tmp_path):
    """`./x.sh: No such file or directory` (the C library's error text after a path) names the error,
    more than the runner's own `Deploy failed` line under it."""
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "memory.md").write_text(
        "# Deploy failed on the small plan\n\n## Error\n\n```\n==> Deploy failed: instance ran out of memory (used over 512Mi)\n```\n\n"
        "## Fix\n\nMoved the service to the 2 GB plan; the worker was killed for memory.\n", encoding="utf-8")
    (folder / "entrypoint.md").write_text(
        "# Worker would not boot after the repo move\n\n## Error\n\n```\n/bin/sh: ./entrypoint.sh: No such file or directory\n```\n\n"
        "## What went wrong\n\nThe start command still called the script from the old root.\n\n"
        "## Fix\n\nSet the start command to `python -m worker.main` and deleted entrypoint.sh.\n", encoding="utf-8")
    ingest(knowledge, [folder])
    paste = ("==> Running start command './entrypoint.sh'...\n"
             "sh: 1: ./entrypoint.sh: No such file or directory\n==> Deploy failed")
    assert any("No such file" in line for line, _ in salient_lines(paste))
    handle = Searcher(knowledge)
    top = handle.search(paste).results[0]
    handle.close()
    knowledge.close()
    assert top.report["path"].endswith("entrypoint.md") and "python -m worker.main" in top.fix + str(top.passages)


def test_a_chinese_description_finds_an_english_report(searcher):
    """Most bigrams of a Chinese description are phrasing, rare by accident; its words (Caddy, 443)
    and the glossary's translations still get looked up, so the English write-up is found."""
    results = searcher.search("换成自己编译的 Caddy 之后用普通用户启动就起不来了，443 端口绑定不上", k=3).results
    assert any(r.report["path"].endswith("minio-caddy-object-storage-faq.en.md") and "443" in r.message
               for r in results), [(r.report["path"], r.message) for r in results]


@pytest.mark.parametrize("releases", [("16.14.0", "18.12.1"), ("18.12.1", "16.14.0")])
def test_a_release_number_is_an_identity_like_a_port(tmp_path, releases):
    """Two reports of the same `version is required` template differ only by the release they hit:
    the paste's release (18.12.1) picks its report, whichever report holds it, and BuildKit's
    `#12 4.183` step prefix is not mistaken for a gdb stack frame (the paste's lines are read)."""
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    folder = tmp_path / "reports"
    folder.mkdir()
    for release, host in zip(releases, ("staging", "release")):
        (folder / f"{host}.md").write_text(
            f"# Web build refused on the {host} host\n\n## 现象\n\n构建日志里出现 Node.js {release} 版本过低的提示，"
            f"框架要求更高的版本。\n\n## 原因\n\nthe host kept an old base image.\n\n"
            f"## 修复\n\npulled the current base image on the {host} host\n", encoding="utf-8")
    ingest(knowledge, [folder])
    paste = ("#12 4.183 You are using Node.js 18.12.1. For Next.js, Node.js version >= v18.17.0 is required.\n"
             "#12 ERROR: process \"/bin/sh -c npm run build\" did not complete successfully: exit code: 1")
    assert len(salient_lines(paste)) == 2
    handle = Searcher(knowledge)
    top = handle.search(paste).results[0]
    handle.close()
    knowledge.close()
    holder = ("staging", "release")[releases.index("18.12.1")]
    assert top.report["path"].endswith(f"{holder}.md"), top.report["path"]


def test_buildkit_step_lines_are_read_and_gdb_frames_are_not():
    buildkit = ("#7 [builder 4/6] RUN npm ci\n#7 0.512 npm ERR! code ERESOLVE\n#7 0.513 npm ERR! could not resolve\n"
                "#7 DONE 0.6s\n#8 [builder 5/6] COPY . .\n#8 CACHED")
    assert [line for line, _ in salient_lines(buildkit)][:1] == ["#7 0.512 npm ERR! code ERESOLVE"]
    gdb = "Program received signal SIGSEGV, Segmentation fault.\n#0  0x00007f3a in raise () from /lib/libc.so.6\n" \
          "#1  main () at app.c:12"
    assert [line for line, _ in salient_lines(gdb)] == ["Program received signal SIGSEGV, Segmentation fault."]


def test_how_people_say_it_fails_in_chinese_matches_the_english_words(tmp_path):
    """连不上 (can't get through) is how a Chinese description says unreachable / can't reach."""
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "unreachable.md").write_text(
        "# Payments API and the ledger database\n\n## Error\n\n```\nledger: database unreachable after 30s\n```\n\n"
        "## Fix\n\nOpened port 5432 in the security group.\n", encoding="utf-8")
    (folder / "slow.md").write_text(
        "# Payments service and the ledger database\n\n## Error\n\n```\nledger: database query slow after 30s\n```\n\n"
        "## Fix\n\nAdded an index on ledger.entries(created_at).\n", encoding="utf-8")
    ingest(knowledge, [folder])
    handle = Searcher(knowledge)
    top = handle.search("支付服务连不上 ledger 数据库").results[0]
    handle.close()
    knowledge.close()
    assert top.report["path"].endswith("unreachable.md"), top.report["path"]


def test_an_index_of_an_older_version_is_rebuilt_without_being_opened(tmp_path):
    """An index written by an older runbook may name an analyzer module that has since moved: its
    version is read first, so it is rebuilt from SQLite instead of unpickled (and crashing)."""
    from kb.search.index import INDEX_VERSION

    knowledge = KnowledgeBase.init(tmp_path / "kb")
    source = tmp_path / "r.md"
    source.write_text(HEALTH_REPORT, encoding="utf-8")
    ingest(knowledge, [source])
    state = knowledge.index_dir / "generation.json"
    state.write_text(json.dumps({**json.loads(state.read_text()), "version": INDEX_VERSION - 1}))
    for toc in knowledge.index_dir.glob("*.toc"):
        data = toc.read_bytes()
        assert b"kb.search.tokenizer" in data
        toc.write_bytes(data.replace(b"kb.search.tokenizer", b"kb.search.tokenizez"))  # a module that moved
    assert "unzip" in search(knowledge, "SystemPackageMissingError").results[0].message
    knowledge.close()


def test_an_index_updated_report_by_report_holds_what_a_rebuild_holds(tmp_path):
    """Adding reports writes only their documents (and their groups'); a changed report drops what it held
    (its passages, a group it has left): the index then holds the same documents as one built from scratch."""
    from kb.search.index import open_index, rebuild_index

    knowledge = KnowledgeBase.init(tmp_path / "kb")
    source = tmp_path / "r.md"
    source.write_text(HEALTH_REPORT, encoding="utf-8")
    ingest(knowledge, [source])
    other = tmp_path / "more"
    other.mkdir()
    (other / "again.md").write_text(HEALTH_REPORT.replace("# ", "# Again: ", 1), encoding="utf-8")
    ingest(knowledge, [other])  # the same errors in a second report: their groups grow
    source.write_text(HEALTH_REPORT.split("### 错误 6")[0], encoding="utf-8")
    ingest(knowledge, [source])  # the first report loses an error and its passages change

    def documents() -> dict[str, dict]:
        with open_index(knowledge).searcher() as searcher:
            return {fields["id"]: {k: v for k, v in fields.items() if k not in ("error", "passage")}
                    for fields in searcher.all_stored_fields()}

    updated = documents()
    rebuild_index(knowledge)
    rebuilt = documents()
    assert set(updated) == set(rebuilt)
    assert updated == rebuilt  # seen_in and sources alike
    assert any(fields.get("seen_in") == 2 for fields in rebuilt.values())
    knowledge.close()
