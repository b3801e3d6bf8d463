"""Look-alike errors: one template, another name in it, another fix. The rare words of a paste (its
module, command, host, service) tell them apart; a look-alike is offered only as a possible match,
and two reports that answer equally say so. The sample KB and our own reports, searched for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import SAMPLES
from kb.ingest import ingest
from kb.search.ranking import Searcher
from kb.store.knowledge_base import KnowledgeBase


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    knowledge = KnowledgeBase.init(tmp_path_factory.mktemp("samples") / "kb")
    ingest(knowledge, [SAMPLES])
    handle = Searcher(knowledge)
    yield handle
    handle.close()
    knowledge.close()


def _names(results) -> list[tuple[str, str, bool]]:
    return [(Path(r.report["path"]).name, r.message[:60], r.weak) for r in results]


def test_another_module_is_not_the_known_fix_for_a_missing_module(samples):
    """The sample KB knows `No module named 'psycopg2'` (fixed with psycopg2-binary). A paste about psutil
    shares every word of that template but its module: the psycopg2 fix is a possible match at most."""
    own = samples.search("ModuleNotFoundError: No module named 'psycopg2'", k=3).results
    assert own and "psycopg2" in own[0].message and not own[0].weak, _names(own)
    other = samples.search("ModuleNotFoundError: No module named 'psutil'", k=3).results
    assert all(result.weak for result in other), _names(other)
    assert all(result.confidence < own[0].confidence / 2 for result in other), _names(other)


def test_another_command_is_not_the_known_fix_for_a_missing_command(samples):
    """`uv: command not found` is fixed by installing uv; a step's `sudo: command not found` is not."""
    own = samples.search("bash: line 1: uv: command not found", k=3).results
    assert own and own[0].message == "uv: command not found" and not own[0].weak, _names(own)
    other = samples.search("sudo: command not found", k=3).results
    assert all(result.weak for result in other), _names(other)
    uv = [result for result in other if result.message == "uv: command not found"]
    assert not uv or uv[0].score < own[0].score * 0.8, _names(other)


HANDLERS = ("# Scheduler skipped the nightly jobs\n\n## Error\n\n```\n"
            "scheduler: unknown job handler 'invoices.handlers.send_reminders'\n```\n\n"
            "## Root cause\n\nThe worker image was built before the new package was added to the registry's "
            "import list, so the scheduler could not resolve any handler in it.\n\n"
            "## Fix\n\nImport every module under handlers/ at start-up (one registry import), then rebuild the "
            "worker image.\n")


def test_a_fix_that_does_not_name_the_argument_holds_for_another():
    """The same template with another name is another thing's fix only where that fix names its own
    (psycopg2-binary); a fix that holds whatever the name (import every handler module) is not."""
    from kb.search import lookalike

    paste = [lookalike.tokens("scheduler: unknown job handler 'payroll.handlers.close_month'")]
    theirs, ours = lookalike.other_name(paste, "scheduler: unknown job handler 'invoices.handlers.send_reminders'")
    assert theirs == ["invoices.handlers.send_reminders"] and ours == ["payroll.handlers.close_month"]
    fix = HANDLERS.split("## Fix")[1]
    assert not lookalike.names_its_own(theirs, fix, ours)  # `handlers` is in both names: not its own
    assert lookalike.names_its_own(theirs, fix + "\nRe-registered send_reminders by hand.", ours)
    pip = [lookalike.tokens("ModuleNotFoundError: No module named 'psutil'")]
    theirs, ours = lookalike.other_name(pip, "ModuleNotFoundError: No module named 'psycopg2'")
    assert theirs == ["psycopg2"] and lookalike.names_its_own(theirs, "Use `psycopg2-binary` instead.", ours)
    # where it happened is no other error: a unit, a host or a file differs from machine to machine
    unit = [lookalike.tokens("gunicorn.service: Start request repeated too quickly.")]
    assert lookalike.other_name(unit, "inventory-api.service: Start request repeated too quickly.") == ([], [])


def test_a_postgres_error_the_kb_does_not_hold_is_not_answered_with_a_confident_wrong_fix(samples):
    """`remaining connection slots are reserved` is not written up in the samples. Its nearest cards (an
    RDS security group timeout, too many clients) share the driver's template, not the error: possible
    matches, never "the known fix"."""
    results = samples.search("psycopg2.OperationalError: connection to server at \"10.0.0.5\", port 5432 failed: "
                             "FATAL:  remaining connection slots are reserved for non-replication superuser "
                             "connections", k=5).results
    assert results and all(result.weak for result in results), _names(results)
    assert any("too many clients" in result.message for result in results), _names(results)


UPSTREAMS = {
    "orders.md": (
        "# Orders API returned 502 after the deploy\n\n**Service**: orders-api on web-7\n\n## Error\n\n```\n"
        "2026/03/02 10:00:01 [error] 31#31: *77 connect() failed (111: Connection refused) while connecting to "
        "upstream, client: 10.1.2.3, server: shop.example.test, request: \"GET /api/v1/items HTTP/1.1\", "
        "upstream: \"http://orders-api:8300/api/v1/items\"\n```\n\n"
        "## Root cause\n\norders-api was still running its migrations when nginx sent traffic to it.\n\n"
        "## Fix\n\nAdded a readiness check on /healthz to orders-api, made nginx wait for it, and moved the "
        "migrations into a job that runs before the rollout starts.\n"),
    "ledger.md": (
        "# Ledger sync returned 502\n\n**Service**: ledger-sync on web-9\n\n## Error\n\n```\n"
        "2026/03/05 22:10:44 [error] 29#29: *12 connect() failed (111: Connection refused) while connecting to "
        "upstream, client: 10.1.2.9, server: shop.example.test, request: \"GET /api/v1/items HTTP/1.1\", "
        "upstream: \"http://ledger-sync:8300/api/v1/items\"\n```\n\n"
        "## Root cause\n\nledger-sync crashed on a malformed currency code and systemd gave up restarting it.\n\n"
        "## Fix\n\nValidated currency codes at the edge and set Restart=always with a start limit of 10.\n"),
}


@pytest.fixture(scope="module")
def upstreams(tmp_path_factory):
    folder = tmp_path_factory.mktemp("upstreams")
    for name, text in UPSTREAMS.items():
        (folder / name).write_text(text, encoding="utf-8")
    knowledge = KnowledgeBase.init(folder / "kb")
    ingest(knowledge, [folder / name for name in UPSTREAMS])
    handle = Searcher(knowledge)
    yield handle
    handle.close()
    knowledge.close()


def test_the_service_a_paste_names_outweighs_the_template_two_reports_share(upstreams):
    """One nginx line, two services: the write-ups differ only in the upstream's host, so the line is one
    error seen in two reports, and the orders write-up (the more complete) stands for it. The paste
    (another day, another client, another worker) names ledger-sync, a host the KB knows: the orders
    write-up is not its identical line (another machine's), nor the known fix, and the ledger report
    answers beside it (a host is masked out of the template, and counts as a name where the KB knows it)."""
    paste = ("2026/04/11 03:14:15 [error] 40#40: *981 connect() failed (111: Connection refused) while connecting "
             "to upstream, client: 10.7.7.7, server: shop.example.test, request: \"GET /api/v1/items HTTP/1.1\", "
             "upstream: \"http://ledger-sync:8300/api/v1/items\"")
    results = upstreams.search(paste, k=3).results
    assert "ledger.md" in [Path(r.report["path"]).name for r in results[:2]], _names(results)
    orders = [r for r in results if Path(r.report["path"]).name == "orders.md"]
    assert not orders or (not orders[0].exact and (orders[0].weak or orders[0].tied)), _names(results)


def test_the_bare_template_two_reports_share_is_answered_by_both_as_a_tie(upstreams):
    """Without a service or host, the line fits both write-ups equally: both are shown, marked as a tie,
    and neither is offered alone as the known fix."""
    results = upstreams.search("connect() failed (111: Connection refused) while connecting to upstream", k=3).results
    assert {Path(r.report["path"]).name for r in results[:2]} == {"orders.md", "ledger.md"}, _names(results)
    assert results[0].tied and results[1].tied, _names(results)
    assert all(result.weak for result in results[:2]), [(r.confidence, r.coverage) for r in results]


def test_the_kind_a_line_says_it_is_does_not_make_another_error_the_known_fix(samples):
    """`panic:` (like `fatal:`) says what kind of line follows, not which error: the sample KB's nil
    pointer panic is no known fix for a panic about a channel, though `panic` is a rare word there."""
    own = samples.search("panic: runtime error: invalid memory address or nil pointer dereference", k=3).results
    assert own and "nil pointer" in own[0].message and not own[0].weak, _names(own)
    other = samples.search("panic: close of nil channel\n\ngoroutine 12 [running]:", k=3).results
    assert all(result.weak for result in other), _names(other)
