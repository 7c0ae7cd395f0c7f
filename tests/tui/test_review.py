"""Trainer review in the TUI (F6): pick an attempt and a step, override it with a reason.

The decision goes through ``grading.review_step`` like ``simulator review``, so the
audit table, the step's and the attempt's reviewed scores are checked in the store.
"""

from __future__ import annotations

from progress_helpers import checked_in_store, seed_history, wait_for
from textual.widgets import DataTable, SelectionList
from tui_helpers import make_app, settle, type_text

from simulator.tui.dialogs.review import ReviewDialog
from simulator.tui.screens.review import ReviewScreen


async def open_review(pilot) -> ReviewScreen:
    """F6, once the app is up; the screen once its workers have filled it."""
    await settle(pilot)
    await pilot.press("f6")
    screen = await wait_for(pilot, ReviewScreen)
    await settle(pilot)
    return screen


async def open_third_step(pilot) -> ReviewDialog:
    """F6, Enter on the newest attempt, down to its third step, Enter."""
    screen = await open_review(pilot)
    assert screen.query_one("#review-attempts", DataTable).row_count == 2
    await pilot.press("enter")
    assert screen.focused is screen.query_one("#review-steps")
    await pilot.press("down", "down", "enter")
    return await wait_for(pilot, ReviewDialog)


async def test_a_trainer_overrides_a_step_with_a_reason(tmp_path):
    store = checked_in_store(tmp_path)
    seed_history(store)
    newest = store.attempts()[-1]
    before = store.answers(newest.id)[2]
    shown = {v.criterion for v in before.verdicts if v.present}
    assert "mindset.labelling" in shown
    app = make_app(store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await open_third_step(pilot)
        criteria = dialog.query_one(SelectionList)
        assert set(criteria.selected) == shown  # the automatic verdicts, pre-ticked
        criteria.deselect("mindset.labelling")
        good = dialog.choices[0]  # the step's expected good criteria come first
        assert good.kind == "good" and not good.shown
        criteria.select(good.criterion)
        await type_text(pilot, "#review-reviewer", "李老师")
        await type_text(pilot, "#review-reason", "")
        await pilot.press("enter")  # no reason yet: refused, the dialog stays
        assert isinstance(app.screen, ReviewDialog)
        assert "理由" in str(dialog.query_one("#review-error").render())
        await type_text(pilot, "#review-reason", "没有贴标签，是在复述来访者的话")
        await pilot.press("enter")
        screen = await wait_for(pilot, ReviewScreen)
        await settle(pilot)

        (override,) = store.overrides(attempt=newest.id)
        assert (override.index, override.reviewer) == (2, "李老师")
        assert override.reason == "没有贴标签，是在复述来访者的话"
        after = store.answers(newest.id)[2]
        assert after.score == before.score  # the automatic result is kept beside the review
        assert after.review_score > before.score
        judged = {v.criterion for v in after.final_verdicts if v.present}
        assert good.criterion in judged and "mindset.labelling" not in judged
        assert store.attempt(newest.id).review_score is not None
        assert store.setting("reviewer") == "李老师"  # offered next time
        steps = screen.query_one("#review-steps", DataTable)
        assert steps.get_row_at(2)[3] == f"{after.review_score:g}"
        assert "李老师" in str(screen.query_one("#review-audit").render())


async def test_a_score_that_is_not_a_number_is_refused(tmp_path):
    store = checked_in_store(tmp_path)
    seed_history(store)
    app = make_app(store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await open_third_step(pilot)
        await type_text(pilot, "#review-score", "九十")
        await type_text(pilot, "#review-reviewer", "李老师")
        await type_text(pilot, "#review-reason", "改判")
        await pilot.press("enter")
        assert isinstance(app.screen, ReviewDialog)
        assert "九十" in str(dialog.query_one("#review-error").render())
        await pilot.press("escape")
        await wait_for(pilot, ReviewScreen)
    assert store.overrides() == []


async def test_without_finished_attempts_the_screen_says_so(tmp_path):
    store = checked_in_store(tmp_path)
    app = make_app(store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_review(pilot)
        assert "还没有" in str(screen.query_one("#review-audit").render())
        await pilot.press("enter")  # nothing to review: no dialog
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)


async def test_after_saving_the_reviewed_attempt_stays_in_view(tmp_path):
    store = checked_in_store(tmp_path)
    seed_history(store)
    oldest = store.attempts()[0]
    app = make_app(store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_review(pilot)
        await pilot.press("down")  # the older attempt
        await settle(pilot)
        assert screen.detail.record.id == oldest.id
        await pilot.press("enter", "enter")
        await wait_for(pilot, ReviewDialog)
        await type_text(pilot, "#review-score", "30")
        await type_text(pilot, "#review-reviewer", "李老师")
        await type_text(pilot, "#review-reason", "按三十分计")
        await pilot.press("enter")
        await wait_for(pilot, ReviewScreen)
        await settle(pilot)
        assert store.answers(oldest.id)[0].review_score == 30
        assert screen.detail.record.id == oldest.id
        assert screen.query_one("#review-attempts", DataTable).cursor_row == 1
        assert "李老师" in str(screen.query_one("#review-audit").render())
