"""Commits from real git repositories built in temp dirs, linked to the KB's errors."""

from __future__ import annotations

import subprocess

import git
import pytest

from conftest import run_cli
from kb.ingest import ingest
from kb.store.queries import get_error
from kb.repo_commits import ingest_repo
from kb.search.ranking import search


def _repo(path):
    repo = git.Repo.init(path)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Dev One")
        config.set_value("user", "email", "dev@example.com")
    return repo


def _commit(repo, path, name, content, message):
    (path / name).parent.mkdir(parents=True, exist_ok=True)
    (path / name).write_text(content, encoding="utf-8")
    repo.index.add([name])
    return repo.index.commit(message).hexsha


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "project"
    repo = _repo(path)
    _commit(repo, path, "README.md", "hello\n", "feat: first")
    fix = _commit(repo, path, "deploy/healthcheck.conf", "start_period=120s\n",
                  "fix: extend the container health check start period")
    silent = _commit(repo, path, "src/client.py", "retry = 3\n",
                     "fix: retry when ECONNRESET socket hang up hits the payment client")
    _commit(repo, path, "docs/notes.md", "notes\n", "docs: notes")
    return path, repo, fix, silent


def _report(short_sha):
    return f"""# Deploy report

### 错误 1：容器健康检查持续超时

**错误日志**:
```
Health check timeout: No response from http://localhost:3000/
```

**根本原因**: 启动时间太短。

**修复方案**: 扩展 start-period 到 120 秒 (Commit `{short_sha}`)。
"""


def test_a_short_sha_in_a_report_resolves_to_the_repo_commit_with_its_files_and_diff(kb, project, tmp_path, runner):
    path, repo, fix, _ = project
    report = tmp_path / "deploy.md"
    report.write_text(_report(fix[:7]), encoding="utf-8")
    ingest(kb, [report])
    result = ingest_repo(kb, path)
    assert result.new == 4 and result.fixes >= 2
    error_id = kb.store.rows("select id from errors")[0]["id"]
    commits = get_error(kb.store, error_id)["repo_commits"]
    assert commits[0]["sha"] == fix  # the full SHA
    assert commits[0]["author"] == "Dev One" and commits[0]["files"] == ["deploy/healthcheck.conf"]
    shown = run_cli(runner, kb.root, "show", f"e{error_id}")
    assert fix[:12] in shown.stdout and "deploy/healthcheck.conf" in shown.stdout
    diff = run_cli(runner, kb.root, "show", f"e{error_id}", "--diff")
    assert "+start_period=120s" in diff.stdout


def test_search_finds_the_fix_commit_even_where_no_report_mentions_it(kb, project):
    path, _, _, silent = project
    ingest_repo(kb, path)
    results = search(kb, "Error: socket hang up\n    at connResetException (node:internal/errors:720:14)\n"
                         "  code: 'ECONNRESET'").results
    assert results and results[0].commits[0]["sha"] == silent
    assert "src/client.py" in results[0].fix
    by_file = search(kb, "client.py ECONNRESET").results
    assert by_file and by_file[0].commits[0]["sha"] == silent


def test_a_second_ingest_reads_only_new_commits(kb, project):
    path, repo, _, _ = project
    assert ingest_repo(kb, path).new == 4
    assert ingest_repo(kb, path).unchanged
    _commit(repo, path, "src/db.py", "pool = 5\n", "fix: ECONNREFUSED when the pool starts before postgres")
    again = ingest_repo(kb, path)
    assert again.new == 1 and again.fixes == 1
    assert kb.store.rows("select count(*) as n from repo_commits")[0]["n"] == 5


def test_links_survive_a_rebuild_of_the_database(kb, project, tmp_path, runner):
    path, _, fix, _ = project
    report = tmp_path / "deploy.md"
    report.write_text(_report(fix[:7]), encoding="utf-8")
    ingest(kb, [report])
    ingest_repo(kb, path)
    assert run_cli(runner, kb.root, "reindex").exit_code == 0
    kb.close()
    error_id = kb.store.rows("select id from errors")[0]["id"]
    assert get_error(kb.store, error_id)["repo_commits"][0]["sha"] == fix


@pytest.mark.parametrize("setup, message", [
    ("missing", "no such directory"),
    ("plain", "not a git repository"),
    ("empty", "has no commits yet"),
])
def test_bad_repositories_are_one_line_errors(runner, kb, tmp_path, setup, message):
    target = tmp_path / setup
    if setup == "plain":
        target.mkdir()
    elif setup == "empty":
        git.Repo.init(target)
    result = run_cli(runner, kb.root, "ingest", "--repo", str(target))
    assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1


def test_a_shallow_clone_is_read_with_a_note(runner, kb, project, tmp_path):
    path, _, _, _ = project
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{path}", str(shallow)], check=True)
    result = run_cli(runner, kb.root, "ingest", "--repo", str(shallow))
    assert result.exit_code == 0 and "shallow clone" in result.stderr
    assert "2 new commits" in result.stdout


def test_an_all_digit_short_sha_after_the_word_commit_is_a_sha():
    from kb.parse.commits import shas_in_text

    assert shas_in_text("修复方案: 扩展 (Commit `1234567`)") == ["1234567"]
    assert shas_in_text("the build took `1234567` ms") == []
