"""Onboarding walkthroughs: topics, generated and hand-written pages, progress, completion in git."""

from __future__ import annotations

import pytest

from pilot_wait import until
from conftest import SAMPLES, run_cli
from kb import onboarding
from kb.ingest import ingest


@pytest.fixture
def team_kb(kb):
    ingest(kb, [SAMPLES])
    kb.repo.config_writer().set_value("user", "name", "New Hire").release()
    kb.repo.config_writer().set_value("user", "email", "new@example.com").release()
    return kb


def test_topics_say_how_much_the_kb_knows(team_kb):
    topics = {t["topic"]: t for t in onboarding.topics(team_kb)}
    for name in ("nginx", "postgres", "kubernetes", "docker", "mongodb"):
        assert topics[name]["reports"] >= 1 and topics[name]["errors"] >= 1, name


def test_a_generated_walkthrough_has_the_promised_pages(team_kb):
    pages = onboarding.walkthrough(team_kb, "nginx")
    titles = [page.title for page in pages]
    assert titles[0] == "The system and how it is deployed"
    assert any(t.startswith("The errors you will meet") for t in titles)
    assert "Lessons learned" in titles and "The checklists to use" in titles and titles[-1] == "Practice: a dry run"
    errors = next(p for p in pages if p.title.startswith("The errors"))
    assert "502" in errors.body and "**Fix**" in errors.body
    assert "runbook run c" in pages[-1].body


def test_a_hand_written_walkthrough_takes_precedence(team_kb):
    folder = team_kb.root / "onboarding"
    folder.mkdir()
    (folder / "nginx.md").write_text("# Nginx for newcomers\n\n## Why we run it\n\nIt fronts everything.\n\n"
                                     "## Try it\n\n`runbook search \"502 Bad Gateway\"`\n", encoding="utf-8")
    pages = onboarding.walkthrough(team_kb, "nginx")
    assert [p.title for p in pages] == ["Why we run it", "Try it"]


def test_unknown_topic_is_a_one_line_error(runner, team_kb):
    result = run_cli(runner, team_kb.root, "onboard", "cobol")
    assert result.exit_code == 1 and "no topic 'cobol'" in result.stderr


def test_cli_walkthrough_keeps_progress_and_records_completion(runner, team_kb):
    first = run_cli(runner, team_kb.root, "onboard", "nginx", input="n\nq\n")
    assert "resumes at page 2" in first.output
    pages = len(onboarding.walkthrough(team_kb, "nginx"))
    rest = run_cli(runner, team_kb.root, "onboard", "nginx", input="n\n" * (pages - 2) + "f\n")
    assert "Resuming at page 2" in rest.output and "Completed the nginx walkthrough" in rest.output
    head = team_kb.repo.head.commit
    assert head.message.strip() == "onboard: New Hire completed nginx" and head.author.email == "new@example.com"


async def test_tui_walk_a_topic_to_the_end_leave_and_resume(team_kb):
    from runbook.app import RunbookApp

    pages = onboarding.walkthrough(team_kb, "nginx")
    app = RunbookApp(team_kb)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.current_mode == "search" and app.screen.query("#paste"))
        await pilot.press("f5")
        await until(pilot, lambda: app.current_mode == "onboarding" and app.screen.query("#topics"))
        topics = app.screen.query_one("#topics")
        topics.highlighted = next(i for i, t in enumerate(app.screen.topics) if t["topic"] == "nginx")
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "WalkthroughScreen")
        await pilot.press("n", "n")
        await until(pilot, lambda: app.screen.page == 2)
        await pilot.press("q")  # leave: the page is kept
        await until(pilot, lambda: type(app.screen).__name__ == "OnboardingScreen")
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "WalkthroughScreen")
        await until(pilot, lambda: app.screen.page == 2 and "page 3 of" in app.screen.sub_title)
        for _ in range(len(pages) - 2):
            await pilot.press("n")
        await until(pilot, lambda: type(app.screen).__name__ == "OnboardingScreen")
    assert team_kb.repo.head.commit.message.strip() == "onboard: New Hire completed nginx"
    assert onboarding.get_progress(team_kb, "New Hire <new@example.com>", "nginx")["completed"]




async def test_enter_on_the_topic_list_opens_the_first_topic_without_an_arrow_key(team_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(team_kb)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.current_mode == "search" and app.screen.query("#paste"))
        await pilot.press("f5")
        await until(pilot, lambda: app.current_mode == "onboarding" and getattr(app.screen, "topics", None))
        first = app.screen.topics[0]["topic"]
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "WalkthroughScreen")
        assert app.screen.topic == first


async def test_the_topic_says_completed_as_soon_as_its_walkthrough_is(team_kb):
    from textual.widgets import Markdown

    from runbook.app import RunbookApp

    pages = onboarding.walkthrough(team_kb, "nginx")
    app = RunbookApp(team_kb)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.current_mode == "search" and app.screen.query("#paste"))
        await pilot.press("f5")
        await until(pilot, lambda: app.current_mode == "onboarding" and getattr(app.screen, "topics", None))
        screen = app.screen
        screen.query_one("#topics").highlighted = next(i for i, t in enumerate(screen.topics) if t["topic"] == "nginx")
        detail = screen.query_one("#topic-detail", Markdown)
        await until(pilot, lambda: "not started" in detail._markdown)
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "WalkthroughScreen")
        for _ in range(len(pages)):
            await pilot.press("n")
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: "**completed**" in detail._markdown)
