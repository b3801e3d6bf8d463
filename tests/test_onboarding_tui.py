"""The onboarding screens through Pilot: topics, a walkthrough with its drill, leave and resume, whose it is."""

from __future__ import annotations

import pytest

from conftest import SAMPLES
from kb import onboarding
from kb.ingest import ingest
from onboarding_reports import write_reports
from pilot_wait import until


@pytest.fixture
def team_kb(kb):
    ingest(kb, [SAMPLES])
    kb.repo.config_writer().set_value("user", "name", "New Hire").release()
    kb.repo.config_writer().set_value("user", "email", "new@example.com").release()
    return kb


@pytest.fixture
def cache_kb(kb, tmp_path):
    """Our cache reports, and no git identity: a fresh machine."""
    ingest(kb, [write_reports(tmp_path / "in")])
    return kb


async def _open_onboarding(app, pilot):
    await until(pilot, lambda: app.current_mode == "search" and app.screen.query("#paste"))
    await pilot.press("f5")
    await until(pilot, lambda: app.current_mode == "onboarding" and getattr(app.screen, "topics", None))
    return app.screen


async def _open_topic(app, pilot, topic: str):
    screen = await _open_onboarding(app, pilot)
    screen.query_one("#topics").highlighted = next(i for i, t in enumerate(screen.topics) if t["topic"] == topic)
    await pilot.press("enter")
    return screen


def _is_walk(app) -> bool:
    return type(app.screen).__name__ == "WalkthroughScreen"


def _footer_keys(app) -> dict[str, str]:
    from textual.widgets._footer import FooterKey

    return {key.description: key.key_display for key in app.screen.query(FooterKey) if key.description}


def _page_text(app) -> str:
    from textual.widgets import Markdown

    return "\n".join(markdown._markdown for markdown in app.screen.query(Markdown) if markdown.display)


async def test_tui_walk_a_topic_to_the_end_leave_and_resume(team_kb):
    from runbook.app import RunbookApp

    pages = onboarding.walkthrough(team_kb, "nginx")
    app = RunbookApp(team_kb)
    async with app.run_test(size=(100, 30)) as pilot:
        await _open_topic(app, pilot, "nginx")
        await until(pilot, lambda: _is_walk(app))
        await pilot.press("n", "n")
        await until(pilot, lambda: app.screen.page == 2)
        await pilot.press("q")  # leave: the page is kept
        await until(pilot, lambda: type(app.screen).__name__ == "OnboardingScreen")
        await pilot.press("enter")
        await until(pilot, lambda: _is_walk(app))
        await until(pilot, lambda: app.screen.page == 2 and "page 3 of" in app.screen.sub_title)
        while _is_walk(app):
            page = app.screen.pages[app.screen.page]
            if page.kind == onboarding.DRILL and not app.screen.revealed:
                await pilot.press("enter")  # an empty answer: just read the fix
                await until(pilot, lambda: app.screen.revealed)
            await pilot.press("n")
            await pilot.pause(0.05)
        await until(pilot, lambda: type(app.screen).__name__ == "OnboardingScreen")
    assert team_kb.repo.head.commit.message.startswith("onboard: New Hire completed nginx")
    assert onboarding.get_progress(team_kb, "New Hire <new@example.com>", "nginx")["completed"]
    assert len(pages) == len(onboarding.walkthrough(team_kb, "nginx"))


async def test_the_page_hint_and_the_footer_name_the_same_keys(team_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(team_kb)
    async with app.run_test(size=(120, 30)) as pilot:
        await _open_topic(app, pilot, "nginx")
        await until(pilot, lambda: _is_walk(app))
        await until(pilot, lambda: "Leave" in _footer_keys(app) and ": leave" in _page_text(app))
        footer = _footer_keys(app)
        text = _page_text(app)
        for description, word in (("Leave", "leave"), ("Next", "next page"), ("Previous", "previous")):
            assert f"{footer[description]}: {word}" in text, (footer, text[-200:])
        # on a drill the answer box takes letters: the footer offers esc, and so does the page
        drill = next(i for i, page in enumerate(app.screen.pages) if page.kind == onboarding.DRILL)
        app.screen.page = drill
        app.screen.show()
        await until(pilot, lambda: "enter: show the recorded fix" in _page_text(app))
        await until(pilot, lambda: f"{_footer_keys(app)['Leave']}: leave" in _page_text(app))


async def test_a_drill_takes_an_answer_shows_the_recorded_fix_and_records_the_result(cache_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(cache_kb)
    app.operator_name = "Alice Ops <alice@example.com>"  # given earlier in this session (the run form)
    async with app.run_test(size=(110, 40)) as pilot:
        await _open_topic(app, pilot, "redis")
        await until(pilot, lambda: _is_walk(app))
        walk = app.screen
        drill = next(i for i, page in enumerate(walk.pages) if page.kind == onboarding.DRILL)
        for _ in range(drill):
            await pilot.press("n")
        await until(pilot, lambda: walk.page == drill and "Another machine printed this" in _page_text(app))
        assert "maxclients" not in _page_text(app)  # the fix is not on screen before the answer
        await pilot.press(*"raise maxclients")
        await pilot.press("enter")
        await until(pilot, lambda: "The recorded fix" in _page_text(app) and "share: raise, maxclients" in _page_text(app))
        assert "Got it" in _footer_keys(app)
        await pilot.press("g")
        await until(pilot, lambda: walk.judged)
        while _is_walk(app):
            await pilot.press("n")
            await pilot.pause(0.05)
    done = onboarding.practice(cache_kb, "Alice Ops <alice@example.com>", "redis")
    assert {(row["kind"], row["result"]) for row in done} == {("drill", "got it"), ("dry-run", "walked")}
    assert done[0]["answer"] == "raise maxclients" or done[1]["answer"] == "raise maxclients"


async def test_the_name_given_in_the_run_form_is_who_completes_the_walkthrough(cache_kb):
    """No git identity on this machine; the run form was given a name: the record and commit are theirs."""
    from runbook.app import RunbookApp

    app = RunbookApp(cache_kb)
    app.operator_name = "Alice Ops <alice@example.com>"
    async with app.run_test(size=(110, 40)) as pilot:
        await _open_topic(app, pilot, "redis")
        await until(pilot, lambda: _is_walk(app))
        while _is_walk(app):
            if app.screen.pages[app.screen.page].kind == onboarding.DRILL and not app.screen.revealed:
                await pilot.press("enter")
                await until(pilot, lambda: app.screen.revealed)
            await pilot.press("n")
            await pilot.pause(0.05)
        await until(pilot, lambda: not _is_walk(app))
    head = cache_kb.repo.head.commit
    assert head.message.startswith("onboard: Alice Ops completed redis")
    assert (head.author.name, head.author.email) == ("Alice Ops", "alice@example.com")


async def test_without_a_git_identity_the_walkthrough_asks_who_is_reading_first(cache_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(cache_kb)
    async with app.run_test(size=(110, 40)) as pilot:
        await _open_topic(app, pilot, "redis")
        await until(pilot, lambda: type(app.screen).__name__ == "AskFields")
        await pilot.press(*"Bea Ops <bea@example.com>")
        await pilot.press("enter")
        await until(pilot, lambda: _is_walk(app))
        assert app.screen.operator == "Bea Ops <bea@example.com>" and app.operator_name == "Bea Ops <bea@example.com>"


async def test_the_topic_says_completed_as_soon_as_its_walkthrough_is(team_kb):
    from textual.widgets import Markdown

    from runbook.app import RunbookApp

    app = RunbookApp(team_kb)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_onboarding(app, pilot)
        screen.query_one("#topics").highlighted = next(i for i, t in enumerate(screen.topics) if t["topic"] == "nginx")
        detail = screen.query_one("#topic-detail", Markdown)
        await until(pilot, lambda: "not started" in detail._markdown)
        await pilot.press("enter")
        await until(pilot, lambda: _is_walk(app))
        while _is_walk(app):
            if app.screen.pages[app.screen.page].kind == onboarding.DRILL and not app.screen.revealed:
                await pilot.press("enter")
                await until(pilot, lambda: app.screen.revealed)
            await pilot.press("n")
            await pilot.pause(0.05)
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: "**completed**" in detail._markdown)


async def test_enter_on_the_topic_list_opens_the_first_topic_without_an_arrow_key(team_kb):
    from runbook.app import RunbookApp

    app = RunbookApp(team_kb)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_onboarding(app, pilot)
        first = screen.topics[0]["topic"]
        await pilot.press("enter")
        await until(pilot, lambda: _is_walk(app))
        assert app.screen.topic == first

