"""Reports of any shape: passages, links from errors to the passages that fix them, and the
extraction rules that hold for real shapes (all on reports of our own, in those shapes)."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES, run_cli

SHAPES = FIXTURES / "shapes"


def _parse(name: str):
    from kb.parse.report import parse_report

    return parse_report((SHAPES / name).read_text(encoding="utf-8"), name)


def _error(report, words: str):
    return next(e for e in report.errors if words in e.message or words in e.title)


def test_escaped_fences_from_chat_exports_are_read_as_fences():
    report = _parse("queue-worker-chat-export.zh.md")
    error = _error(report, "WorkerLostError")
    assert error.log.startswith("celery.exceptions.WorkerLostError")
    assert "\\`" not in error.log


def test_warning_labels_hold_logs_and_suggestion_labels_hold_fixes():
    from kb.parse.labels import field_role

    assert field_role("警告信息") == "log" and field_role("Warning") == "log"
    assert field_role("建议修改") == "fix" and field_role("Recommendations") == "fix"
    assert field_role("Solutions") == "fix" and field_role("The Fix") == "fix" and field_role("The Error") == "log"


def test_error_under_problem_description_gets_the_fix_of_a_later_solution_section():
    report = _parse("queue-worker-chat-export.zh.md")
    error = _error(report, "WorkerLostError")
    assert "worker_max_memory_per_child" in error.fix or "chunked_export" in error.fix
    linked = " ".join(report.passages[i].text for i in error.passages)
    assert "worker_max_memory_per_child" in linked and "chunked_export" in linked  # 方案 A and 方案 B


def test_error_n_is_fixed_under_fix_m_with_the_same_subject():
    report = _parse("cache-cluster-notes.en.md")
    assert "allkeys-lru" in _error(report, "Redis eviction storm").fix
    assert "down-after-milliseconds" in _error(report, "Sentinel failover loop").fix


def test_a_heading_over_a_bare_list_is_an_error_whose_fix_is_the_list():
    error = _error(_parse("cache-cluster-notes.en.md"), "connection reset by peer")
    assert "tcp-keepalive" in error.fix and "Restart the client pool" in error.fix


def test_a_status_cell_is_not_a_fix_and_its_sha_joins_the_commit_that_fixed_it():
    error = _error(_parse("cache-cluster-notes.en.md"), "READONLY")
    assert "已修复" not in error.fix
    assert "master service name" in error.fix
    assert [ref.sha for ref in error.commits] == ["a1b2c3d"]


def test_fix_labels_followed_by_option_labels_keep_every_option():
    from kb.parse.report import parse_report

    text = ("## Problem 1: uploads fail\n\n**Error:**\n```\nERROR 413 Request Entity Too Large\n```\n\n"
            "**Solution:**\n\n**Option 1: raise the limit**\n```bash\nsed -i 's/1m/50m/' nginx.conf\n```\n\n"
            "**Option 2: upload in parts**\nUse the multipart endpoint.\n")
    error = parse_report(text, "x.md").errors[0]
    assert "sed -i" in error.fix and "multipart endpoint" in error.fix


def test_long_sections_split_at_block_boundaries_and_fences_stay_whole():
    from kb.parse.passages import TARGET_CHARS, cut_passages
    from kb.parse.blocks import parse_sections

    code = "```\n" + "\n".join(f"line {i} of a long log" for i in range(200)) + "\n```"
    text = "# R\n\n## Big\n\n" + "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(8)) + "\n\n" + code
    passages = [p for p in cut_passages(parse_sections(text)) if p.heading == "R / Big"]
    assert len(passages) > 2
    assert all(p.text.count("```") % 2 == 0 for p in passages)  # never a fence cut in two
    assert sum(len(p.text) <= TARGET_CHARS * 2 for p in passages) >= len(passages) - 1
    assert passages[0].line == 3 and passages[1].line > passages[0].line


@pytest.fixture
def shapes_kb(kb):
    from kb.ingest import ingest

    ingest(kb, [SHAPES])
    return kb


def test_search_answers_with_the_linked_fix_passages(shapes_kb):
    from kb.search.ranking import search

    top = search(shapes_kb, "celery.exceptions.WorkerLostError: Worker exited prematurely: signal 9 (SIGKILL) Job: 9").results[0]
    assert top.report["path"].endswith("queue-worker-chat-export.zh.md")
    texts = " ".join(p["text"] for p in top.passages)
    assert "chunked_export" in texts + top.fix
    assert all({"heading", "line", "text"} <= set(p) for p in top.passages)


def test_an_error_no_rule_extracts_is_still_found_as_a_passage(shapes_kb, tmp_path):
    from kb.ingest import ingest
    from kb.search.ranking import search

    odd = tmp_path / "odd" / "diary.md"
    odd.parent.mkdir()
    odd.write_text("# Diary\n\n## Tuesday\n\nThe batch host said ENOSPC: inotify watch limit reached again, "
                   "so we raised fs.inotify.max_user_watches to 524288 with sysctl and it went away.\n",
                   encoding="utf-8")
    ingest(shapes_kb, [odd.parent])
    results = search(shapes_kb, "Error: ENOSPC: inotify watch limit reached").results
    assert results and results[0].kind == "passage"
    assert "max_user_watches" in results[0].fix
    assert results[0].passages[0]["heading"] == "Diary / Tuesday"


def test_cli_json_lists_passages_and_human_output_shows_their_heading(runner, shapes_kb):
    out = run_cli(runner, shapes_kb.root, "search", "--json", "OOM command not allowed when used memory > 'maxmemory'")
    data = json.loads(out.output)
    assert data[0]["passages"] and {"heading", "line", "text"} <= set(data[0]["passages"][0])
    human = run_cli(runner, shapes_kb.root, "search", "READONLY You can't write against a read only replica")
    assert "master service name" in human.output  # the fix, from the section naming the row's commit


def test_human_output_of_a_passage_names_where_it_stands(runner, shapes_kb, tmp_path):
    from kb.ingest import ingest

    odd = tmp_path / "odd" / "diary.md"
    odd.parent.mkdir()
    odd.write_text("# Diary\n\n## Tuesday\n\nThe batch host said ENOSPC: inotify watch limit reached again, "
                   "so we raised fs.inotify.max_user_watches to 524288.\n", encoding="utf-8")
    ingest(shapes_kb, [odd.parent])
    human = run_cli(runner, shapes_kb.root, "search", "ENOSPC: inotify watch limit reached")
    assert "in: Diary / Tuesday (line 3)" in human.output and "(a passage of this report)" in human.output


def test_ports_are_identities_the_rare_argument_wins(kb, tmp_path):
    from kb.ingest import ingest
    from kb.search.ranking import search

    folder = tmp_path / "two"
    folder.mkdir()
    for port, fix in (("5432", "restart postgres"), ("6379", "restart redis")):
        (folder / f"refused-{port}.md").write_text(
            f"# Refused on {port}\n\n## Error\n\n```\nconnect ECONNREFUSED 127.0.0.1:{port}\n```\n\n"
            f"## Fix\n\n{fix} with systemctl\n", encoding="utf-8")
    ingest(kb, [folder])
    top = search(kb, "Error: connect ECONNREFUSED 10.1.2.3:6379").results[0]
    assert top.report["path"].endswith("refused-6379.md")


def test_an_older_database_is_rebuilt_from_the_reports(shapes_kb):
    """The application opens a KB through kb/open.py, which derives an older database again."""
    from kb.open import open_kb

    root = shapes_kb.root
    before = shapes_kb.store.counts()["errors"]
    shapes_kb.store.db.execute("drop table passages")
    shapes_kb.store.db.execute("PRAGMA user_version=1")
    shapes_kb.close()
    again = open_kb(root)
    counts = again.store.counts()
    assert counts["errors"] == before and counts["passages"] > 0
    again.close()


def test_an_older_database_opened_by_the_store_alone_says_to_reindex(shapes_kb, runner):
    """The store never reaches up into ingest: opened without kb/open.py, an older database is a one-line
    error naming reindex; the CLI (which opens through kb/open.py) derives it again."""
    import pytest

    from conftest import run_cli
    from kb.store.knowledge_base import KnowledgeBase, OutdatedDatabase

    root = shapes_kb.root
    shapes_kb.store.db.execute("PRAGMA user_version=1")
    shapes_kb.close()
    alone = KnowledgeBase(root)
    with pytest.raises(OutdatedDatabase, match="reindex"):
        alone.store
    with pytest.raises(OutdatedDatabase):  # still outdated for the next one: never taken as current
        KnowledgeBase(root).store
    listed = run_cli(runner, root, "list", "errors")
    assert listed.exit_code == 0 and "Traceback" not in listed.output and "e1" in listed.output


def test_the_same_subject_beats_the_same_number_when_fixes_are_listed_in_another_order():
    from kb.parse.report import parse_report

    text = ("# Builder notes\n\n## Errors\n\n### Error 1: Disk quota on builder\n\n```\nwrite /var/cache/layer: "
            "no space left on device\n```\n\n### Error 2: Stale DNS in proxy\n\n```\nupstream timed out (110: "
            "Connection timed out)\n```\n\n## Fixes\n\n### Fix 1: Stale DNS in proxy\n\nSet resolver 127.0.0.11 "
            "valid=10s in the server block.\n\n### Fix 2: Disk quota on builder\n\nPrune old layers nightly from cron.\n")
    errors = parse_report(text, "x.md").errors
    assert "Prune old layers" in _error_in(errors, "Disk quota").fix
    assert "resolver 127.0.0.11" in _error_in(errors, "Stale DNS").fix


def _error_in(errors, words: str):
    return next(e for e in errors if words in e.title)


def test_under_a_fix_heading_an_errors_own_cause_is_not_its_fix():
    """A write-up filed under `## Solutions` (the whole section reads as a fix) still has a cause and a fix
    of its own: the fix is what its own fix heading holds, never its cause because of where it stands."""
    from kb.parse.report import parse_report

    text = ("# Billing worker notes\n\n## Solutions\n\n### Problem: invoices stuck in pending\n\n```\n"
            "InvoiceStateError: invoice 8812 stuck in pending after 3 retries\n```\n\n#### Root cause\n\n"
            "Invoices stayed stuck in pending after 3 retries: the retry queue had no consumer once the worker "
            "pool was split in two.\n\n#### What we changed\n\nA consumer on the new pool; replayed by hand.\n")
    report = parse_report(text, "x.md")
    error = _error(report, "InvoiceStateError")
    linked = [report.passages[i].text for i in error.passages]
    fix = next(i for i, text in enumerate(linked) if text.startswith("A consumer on the new pool"))
    cause = next((i for i, text in enumerate(linked) if text.startswith("Invoices stayed stuck")), len(linked))
    assert fix < cause, linked
