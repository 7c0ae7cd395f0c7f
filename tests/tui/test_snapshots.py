"""Screen snapshots (pytest-textual-snapshot) of every screen at 100x30 and 80x24.

Built from the fixed fixture scenarios in ``data/`` with no clock, so they are
deterministic. Update after a deliberate change with ``pytest --snapshot-update`` and
look at the SVGs under ``__snapshots__/`` before accepting them.
"""

from __future__ import annotations

import pytest
from tui_helpers import (
    BAD_ARRIVAL,
    GOOD_ARRIVAL,
    GOOD_REFERRAL,
    answer,
    choose,
    make_app,
    no_blink,
    settle,
    start,
    type_text,
)

SIZES = pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])


def shot(*steps):
    """A run_before that plays ``steps`` (async callables of pilot) and freezes cursors."""

    async def run_before(pilot):
        await settle(pilot)
        for step in steps:
            await step(pilot)
        await settle(pilot)
        no_blink(pilot)

    return run_before


async def open_demo(pilot):
    await start(pilot)


async def good_arrival(pilot):
    await answer(pilot, GOOD_ARRIVAL)


async def bad_arrival(pilot):
    await answer(pilot, BAD_ARRIVAL)


async def choose_first(pilot):
    await choose(pilot, 1)


async def good_referral(pilot):
    await answer(pilot, GOOD_REFERRAL)


def press(*keys):
    async def step(pilot):
        await pilot.press(*keys)
        await settle(pilot)

    return step


@SIZES
class TestHome:
    def test_library(self, snap_compare, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=shot())

    def test_filter_without_match(self, snap_compare, size):
        async def no_match(pilot):
            await type_text(pilot, "#filter", "没有这个")

        assert snap_compare(make_app(), terminal_size=size, run_before=shot(no_match))


@SIZES
class TestBriefing:
    def test_briefing(self, snap_compare, size):
        async def to_briefing(pilot):
            await type_text(pilot, "#filter", "讨薪")
            await pilot.press("enter")

        assert snap_compare(make_app(), terminal_size=size, run_before=shot(to_briefing))


@SIZES
class TestConversation:
    def test_first_step_with_hint(self, snap_compare, size):
        assert snap_compare(make_app(), terminal_size=size,
                            run_before=shot(open_demo, press("f2")))

    def test_feedback_then_choice(self, snap_compare, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=shot(open_demo, good_arrival))

    def test_warned_against_answer_ends_badly(self, snap_compare, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=shot(open_demo, bad_arrival))

    def test_good_ending(self, snap_compare, size):
        assert snap_compare(make_app(), terminal_size=size,
                            run_before=shot(open_demo, good_arrival, choose_first, good_referral))


@SIZES
class TestDebrief:
    def test_score_and_profile(self, snap_compare, size):
        assert snap_compare(make_app(), terminal_size=size,
                            run_before=shot(open_demo, good_arrival, choose_first, good_referral,
                                            press("enter")))

    def test_step_reviews(self, snap_compare, size):
        async def scroll_to_reviews(pilot):
            body = pilot.app.screen.query_one("#debrief-body")
            body.scroll_to_widget(pilot.app.screen.query("StepReview").first(), animate=False,
                                  top=True)
            await settle(pilot)

        assert snap_compare(make_app(), terminal_size=size,
                            run_before=shot(open_demo, good_arrival, choose_first, good_referral,
                                            press("enter"), scroll_to_reviews))


@SIZES
class TestDialogs:
    def test_help(self, snap_compare, size):
        assert snap_compare(make_app(), terminal_size=size, run_before=shot(press("f1")))

    def test_confirm_abandon(self, snap_compare, size):
        assert snap_compare(make_app(), terminal_size=size,
                            run_before=shot(open_demo, press("escape")))

    def test_light_theme(self, snap_compare, size):
        assert snap_compare(make_app(), terminal_size=size,
                            run_before=shot(open_demo, good_arrival, press("ctrl+t")))
