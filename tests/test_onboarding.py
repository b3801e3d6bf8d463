"""Onboarding walkthroughs from the library's side: topics by what is said, pages, drills, progress, records."""

from __future__ import annotations

import pytest

from conftest import SAMPLES
from kb import onboarding
from kb.ingest import ingest
from kb.store.knowledge_base import KBError
from onboarding_reports import write_reports


@pytest.fixture
def team_kb(kb):
    ingest(kb, [SAMPLES])
    kb.repo.config_writer().set_value("user", "name", "New Hire").release()
    kb.repo.config_writer().set_value("user", "email", "new@example.com").release()
    return kb


@pytest.fixture
def cache_kb(kb, tmp_path):
    ingest(kb, [write_reports(tmp_path / "in")])
    return kb


def _page(pages, start: str) -> onboarding.Page:
    return next(page for page in pages if page.title.startswith(start))


# -- topics at the level of what is said ---------------------------------------------------------------

def test_a_topic_takes_what_names_it_and_leaves_the_rest_of_its_report(cache_kb):
    walk, pages = onboarding.walkthrough_of(cache_kb, "redis")
    shown = onboarding.as_markdown(walk.title, pages)
    assert "Redis refused connections" in shown and "maxclients" in shown
    # the same report's migration error and its lesson about migrations do not name Redis: not on a Redis walk
    assert "P3009" not in shown and "rolled-back" not in shown
    assert "Migrations must run before the new code starts" not in shown
    assert "Size the Redis connection pool" in _page(pages, "Lessons learned").body
    # the other report's image build error (npm ci) is a node error, not a Redis one
    assert "npm ci" not in shown
    node = onboarding.as_markdown(*(lambda w, p: (w.title, p))(*onboarding.walkthrough_of(cache_kb, "node")))
    assert "npm ci" in node and "maxclients" not in node


def test_short_names_match_as_words_only():
    from kb.onboarding.names import load

    names = load()
    assert names.topics_in("REDIS_URL=redis://cache:6379/0") >= {"redis"}
    assert "redis" not in names.topics_in("listening on 16379")
    assert "postgres" not in names.topics_in("upgrade the driver, then degrade gracefully")
    assert "postgres" in names.topics_in("npm install pg")
    assert "node" not in names.topics_in("the worker node ran out of disk")
    assert "node" in names.topics_in("FROM node:20-alpine") and "node" in names.topics_in("node server.js")
    assert names.topics_in("ingress-nginx controller") >= {"nginx", "kubernetes"}
    assert "tls" in names.topics_in("证书过期了") and "terraform" in names.topics_in("edit main.tf")


def test_a_topic_is_found_by_any_of_its_names(cache_kb):
    assert onboarding.resolve(cache_kb, "redis-cli") == "redis"
    assert onboarding.resolve(cache_kb, "6379") == "redis"
    with pytest.raises(KBError, match="no topic 'cobol'"):
        onboarding.resolve(cache_kb, "cobol")


def test_the_team_extends_the_names_table_in_its_kb(cache_kb, tmp_path):
    from conftest import ingest_report

    ingest_report(cache_kb, tmp_path, "valkey.en.md", "# Cache swap\n\n## Error: replica lag\n\n```\n"
                  "ERROR valkey replica lag exceeded 30s on cache-02\n```\n\n**Fix**: restart the replica.\n")
    before = onboarding.as_markdown("redis", onboarding.walkthrough(cache_kb, "redis"))
    assert "replica lag" not in before
    (cache_kb.root / "topics.toml").write_text('[redis]\nnames = ["valkey"]\n\n[billing]\ntitle = "Billing"\n'
                                               'names = ["P3009", "billing database"]\n', encoding="utf-8")
    after = onboarding.as_markdown("redis", onboarding.walkthrough(cache_kb, "redis"))
    assert "replica lag" in after and "maxclients" in after  # added to the shipped names, not instead of them
    assert "P3009" in onboarding.as_markdown("Billing", onboarding.walkthrough(cache_kb, "billing"))


def test_a_broken_team_names_table_is_a_one_line_error_naming_the_file(cache_kb):
    (cache_kb.root / "topics.toml").write_text("[redis\nnames = 3\n", encoding="utf-8")
    with pytest.raises(KBError) as problem:
        onboarding.topics(cache_kb)
    assert "topics.toml" in str(problem.value) and "\n" not in str(problem.value)
    (cache_kb.root / "topics.toml").write_text('[redis]\nnames = "valkey"\n', encoding="utf-8")
    with pytest.raises(KBError, match=r"\[redis\]: names must be a list"):
        onboarding.topics(cache_kb)


def test_a_file_that_only_lists_other_files_is_not_a_report(cache_kb):
    from kb.onboarding.listing import is_listing
    from onboarding_reports import CACHE_OUTAGE, READING_LIST

    assert is_listing(READING_LIST) and not is_listing(CACHE_OUTAGE)
    walk, pages = onboarding.walkthrough_of(cache_kb, "redis")
    assert [source.path for source in walk.reports] == ["reports/cache-outage-earlier.zh.md",
                                                        "reports/cache-outage.en.md"]
    assert "LINKS.md" not in onboarding.as_markdown(walk.title, pages)
    topics = {t["topic"]: t for t in onboarding.topics(cache_kb)}
    assert topics["redis"]["reports"] == 2 and "nginx" not in topics  # the list's nginx line teaches nothing


def test_topics_are_listed_by_their_counts_then_by_name(team_kb):
    rows = onboarding.topics(team_kb)
    assert rows == sorted(rows, key=lambda t: (-t["reports"], -t["errors"], -t["checklists"], t["topic"]))
    ties = [(t["reports"], t["errors"], t["checklists"]) for t in rows]
    assert len(ties) > len(set(ties))  # the sample KB has topics with the same counts: their order is by name
    assert rows == onboarding.topics(team_kb)


# -- the walkthrough's pages -----------------------------------------------------------------------------

def test_a_walkthrough_teaches_in_order_from_the_topics_own_material(cache_kb):
    pages = onboarding.walkthrough(cache_kb, "redis")
    assert [page.title for page in pages] == [
        "How redis is set up here", "What went wrong with redis, in time order",
        "The errors you will meet with redis (2), most frequent first", "Procedures and checklists that touch redis",
        "Lessons learned about redis", "Practice: drill 1 of 1", "Practice: a dry run of c1"]
    setup = pages[0].body
    assert "pool_size: 50" in setup and "reports/cache-outage.en.md" in setup  # the passage, with its report
    assert "Checklist before a deploy" not in setup  # a task list is a checklist: shown with the procedures


def test_what_went_wrong_is_in_time_order(cache_kb):
    history = _page(onboarding.walkthrough(cache_kb, "redis"), "What went wrong").body
    assert history.index("2025-11-20 · 结算缓存故障复盘") < history.index("2026-02-03 · Checkout cache outage")


def test_an_error_shows_every_recorded_cause_and_its_whole_fix(cache_kb):
    errors = _page(onboarding.walkthrough(cache_kb, "redis"), "The errors").body
    assert "### e" in errors and "seen 2 times in this KB" in errors  # one error, two write-ups
    assert "maxclients" in errors and "缓存主节点重启后还在加载数据" in errors  # both causes
    assert "FINAL-STEP-MARKER: note the new numbers in the runbook." in errors  # the last words of a long fix


def test_the_most_frequent_error_comes_first(team_kb, tmp_path):
    from conftest import ingest_report

    ingest_report(team_kb, tmp_path, "again.md", "# Proxy again\n\n## nginx: upstream timed out\n\n```\n"
                  "2026/04/01 10:00:00 [error] 7#7: *3 upstream timed out (110: Connection timed out) while reading "
                  "response header from upstream, client: 10.0.0.9\n```\n\n**Fix**: raise proxy_read_timeout in nginx.\n"
                  "\n## nginx: upstream timed out again\n\n```\n2026/04/02 11:00:00 [error] 9#9: *8 upstream timed out "
                  "(110: Connection timed out) while reading response header from upstream, client: 10.0.0.7\n```\n\n"
                  "**Fix**: the slow query was fixed; nginx needed nothing.\n")
    errors = _page(onboarding.walkthrough(team_kb, "nginx"), "The errors").body
    first = errors.split("\n### ")[1]
    assert "upstream timed out" in first and "seen 2 times" in first


def test_errors_about_the_topic_come_before_those_only_a_fix_mentions_it_in(cache_kb, tmp_path):
    from conftest import ingest_report

    disk = "".join(f"## Error {n}: disk full\n\n```\n2026-03-0{n + 1} 10:00:0{n} ENOSPC: no space left on device, write\n```"
                   f"\n\n**Fix**: prune old images, then flush the redis cache so it rebuilds.\n\n" for n in range(3))
    ingest_report(cache_kb, tmp_path, "disk.md", "# Disk full, three times\n\n" + disk)
    errors = _page(onboarding.walkthrough(cache_kb, "redis"), "The errors").body
    blocks = errors.split("\n### ")[1:]
    assert "Redis refused connections" in blocks[0] and "seen 2 times" in blocks[0]
    assert "no space left on device" in blocks[1] and "seen 3 times" in blocks[1]  # more frequent, yet after


# -- practice -----------------------------------------------------------------------------------------------

def test_another_machine_prints_the_same_error_differently_with_the_same_fingerprint():
    from kb.onboarding.drills import as_another_machine
    from kb.parse.normalize import fingerprint

    lines = ["2026-02-03 10:15:22 ERROR redis.exceptions.ConnectionError: Error 111 connecting to 10.0.4.12:6379.",
             "Feb 11 22:31:05 web-01 app[4412]: worker pid=4412 crashed, container 4f2a9c1b7e3d8a6f0c1d",
             '  File "/home/alice/app/main.py", line 3, at LettuceConnectionFactory.java:1689',
             "connect ECONNREFUSED 127.0.0.1:54321 from api.example.com"]
    for line in lines:
        other = as_another_machine(line, "seed")
        assert other != line and fingerprint(other) == fingerprint(line), line
    assert ":6379" in as_another_machine(lines[0], "seed")  # a service's own port is the same everywhere
    assert "127.0.0.1" in as_another_machine(lines[3], "seed") and ":54321" not in as_another_machine(lines[3], "s")
    assert "Factory.java:1689" in as_another_machine(lines[2], "seed")  # a line number is not a port
    assert "alice" not in as_another_machine(lines[2], "seed")


def test_a_drill_is_an_error_of_the_topic_that_search_still_finds(cache_kb):
    from kb.search.ranking import Searcher

    page = _page(onboarding.walkthrough(cache_kb, "redis", seed="ann"), "Practice: drill")
    assert page.kind == onboarding.DRILL and page.drill.ref in ("e1", "e3")
    recorded = cache_kb.store.rows("select log from errors where id = ?", [int(page.drill.ref[1:])])[0]["log"]
    assert page.drill.shown != recorded and "6379" in page.drill.shown
    assert page.drill.shown in page.body and "What would you do?" in page.body
    assert page.drill.fix and page.drill.fix not in page.body and page.drill.fix.splitlines()[0] in page.answer
    results = Searcher(cache_kb).search(page.drill.shown, k=3).results
    assert results and results[0].ref in ("e1", "e3")


def test_practice_and_completion_are_recorded_in_git_as_the_operator(cache_kb):
    from kb.onboarding.record import team

    who, author = "Ann Op <ann@example.com>", ("Ann Op", "ann@example.com")
    pages = onboarding.walkthrough(cache_kb, "redis", seed=who)
    drill = _page(pages, "Practice: drill").drill
    onboarding.record_practice(cache_kb, who, "redis", "drill", drill.ref, drill.title, onboarding.MISSED,
                               "restart it, password=hunter2hunter2")
    onboarding.record_practice(cache_kb, who, "redis", "dry-run", "c1", "Checklist before a deploy", onboarding.WALKED)
    record, problem = onboarding.complete(cache_kb, who, "redis", pages, author)
    assert problem is None
    head = cache_kb.repo.head.commit
    assert head.author.email == "ann@example.com" and head.message.startswith("onboard: Ann Op completed redis (drills 0/1)")
    text = (cache_kb.root / record).read_text(encoding="utf-8")
    assert "operator: Ann Op <ann@example.com>" in text and f"{drill.ref} · " in text and "**missed**" in text
    assert "c1 · Checklist before a deploy: walked" in text and "hunter2hunter2" not in text
    assert team(cache_kb)[0]["operator"] == who and team(cache_kb)[0]["drills"] == "0 of 1 got"
    assert onboarding.get_progress(cache_kb, who, "redis")["completed"]


def test_a_hand_written_walkthrough_replaces_the_reading_pages_and_keeps_the_practice(cache_kb):
    folder = cache_kb.root / "onboarding"
    folder.mkdir()
    (folder / "redis.md").write_text("# Redis for newcomers\n\n## Why we run it\n\nSessions.\n\n## Try it\n\n"
                                     "`redis-cli ping`\n", encoding="utf-8")
    titles = [page.title for page in onboarding.walkthrough(cache_kb, "redis")]
    assert titles[:2] == ["Why we run it", "Try it"] and titles[-1] == "Practice: a dry run of c1"


def test_every_item_shown_says_why_it_belongs(team_kb):
    """What made an item part of a topic is on the page: every error, procedure, passage and lesson block a
    walkthrough prints names the topic in its own text (not only in the line saying which report it is from)."""
    from kb.onboarding.names import load

    names = load(team_kb.root)
    checked = 0
    for topic in onboarding.topics(team_kb):
        walk, pages = onboarding.walkthrough_of(team_kb, topic["topic"])
        for page in pages:
            if page.kind != onboarding.READ or page.title.startswith("What went wrong"):
                continue
            for block in page.body.split("\n### ")[1:]:
                text = "\n".join(line for line in block.splitlines() if not line.startswith("*From "))
                heading = text.splitlines()[0]
                text = text.replace(heading, heading.split(" · ", 1)[-1] if heading[:1] in "ecf" else heading, 1)
                assert topic["topic"] in names.topics_in(text), (topic["topic"], page.title, block[:300])
                checked += 1
    assert checked > 50


def test_an_empty_hand_written_walkthrough_falls_back_to_the_generated_one(team_kb):
    folder = team_kb.root / "onboarding"
    folder.mkdir()
    (folder / "cobol.md").write_text("# COBOL\n", encoding="utf-8")  # a topic of its own, not written yet
    pages = onboarding.walkthrough(team_kb, "cobol")
    assert pages and pages[0].title == "How cobol is set up here" and "No report describes" in pages[0].body
