"""Snapshots of check-in, resume, history and the exam at 100x30 and 80x24.

Each app works in a data folder under ``tmp_path`` with records stamped from a fixed
time (``T0``), the exam on a fake clock, and local time pinned to UTC, so the pictures
are the same on every machine. Update with ``pytest --snapshot-update`` and look first.
"""

from __future__ import annotations

import time

import pytest
from progress_helpers import (
    T0,
    FakeClock,
    checked_in_store,
    demo_scenario,
    exam_app,
    open_exam,
    seed_history,
)
from textual.widgets import DataTable
from tui_helpers import (
    GOOD_ARRIVAL,
    GOOD_REFERRAL,
    answer,
    choose,
    fixture_detector,
    make_app,
    no_blink,
    settle,
    settle_until,
)

from simulator import progress
from simulator.store import Store

SIZES = pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    """Show stored times in UTC whatever the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def shot(*steps):
    async def run_before(pilot):
        await settle(pilot)
        for step in steps:
            await step(pilot)
        await settle(pilot)
        no_blink(pilot)

    return run_before


async def press_enter(pilot):
    await pilot.press("enter")
    await settle(pilot)


async def history(pilot):
    await pilot.press("f4")
    await settle_until(pilot, lambda: pilot.app.screen.query_one("#attempts", DataTable).row_count > 0)


async def exam(pilot):
    await open_exam(pilot)


async def exam_picker(pilot):
    await pilot.press("f5")
    await settle(pilot)


async def first_answer(pilot):
    await answer(pilot, GOOD_ARRIVAL)


async def to_the_end(pilot):
    await answer(pilot, GOOD_ARRIVAL)
    await choose(pilot, 1)
    await answer(pilot, GOOD_REFERRAL)


@SIZES
class TestCheckIn:
    def test_first_start(self, snap_compare, size, tmp_path):
        app = make_app(store=Store.open(tmp_path / "data"))
        assert snap_compare(app, terminal_size=size, run_before=shot())

    def test_refused_with_a_reason(self, snap_compare, size, tmp_path):
        app = make_app(store=Store.open(tmp_path / "data"))
        assert snap_compare(app, terminal_size=size, run_before=shot(press_enter, press_enter))


@SIZES
class TestHistory:
    def test_record_trend_and_recommendations(self, snap_compare, size, tmp_path):
        store = checked_in_store(tmp_path)
        seed_history(store)
        assert snap_compare(make_app(store=store), terminal_size=size, run_before=shot(history))

    def test_resume_offer(self, snap_compare, size, tmp_path):
        store = checked_in_store(tmp_path)
        session = progress.start(store, "A1024", demo_scenario(), detector=fixture_detector(), now=T0)
        session.answer(GOOD_ARRIVAL)
        assert snap_compare(make_app(store=store), terminal_size=size, run_before=shot())


@SIZES
class TestExam:
    def test_choose_an_exam(self, snap_compare, size, tmp_path):
        _, app = exam_app(tmp_path, FakeClock())
        assert snap_compare(app, terminal_size=size, run_before=shot(exam_picker))

    def test_countdown_and_no_feedback(self, snap_compare, size, tmp_path):
        _, app = exam_app(tmp_path, FakeClock())
        assert snap_compare(app, terminal_size=size, run_before=shot(exam, first_answer))

    def test_result_with_feedback(self, snap_compare, size, tmp_path):
        _, app = exam_app(tmp_path, FakeClock())
        assert snap_compare(app, terminal_size=size, run_before=shot(exam, to_the_end))


async def review(pilot):
    await pilot.press("f6")
    # The attempts, and the steps of the one under the cursor, come from two workers.
    await settle_until(pilot, lambda: pilot.app.screen.query_one("#review-steps", DataTable).row_count > 0)


async def review_last_step(pilot):
    await review(pilot)
    await pilot.press("enter", "down", "down", "enter")
    await settle(pilot)


@SIZES
class TestReview:
    def test_attempts_and_steps(self, snap_compare, size, tmp_path):
        store = checked_in_store(tmp_path)
        seed_history(store)
        assert snap_compare(make_app(store=store), terminal_size=size, run_before=shot(review))

    def test_review_dialog(self, snap_compare, size, tmp_path):
        store = checked_in_store(tmp_path)
        seed_history(store)
        assert snap_compare(make_app(store=store), terminal_size=size,
                            run_before=shot(review_last_step))
