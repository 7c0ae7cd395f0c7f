"""Progress in the TUI: resume, history ("练这个"), the timed exam, saving before the reply.

Every test works in its own data folder under ``tmp_path``; the exam runs on a fake clock.
"""

from __future__ import annotations

from progress_helpers import (
    T0,
    FakeClock,
    checked_in_store,
    demo_scenario,
    exam_app,
    open_exam,
    seed_history,
    wait_for,
)
from textual.widgets import OptionList
from tui_helpers import (
    GOOD_ARRIVAL,
    GOOD_REFERRAL,
    answer,
    choose,
    fixture_detector,
    make_app,
    settle,
    start,
    type_text,
)

import simulator.tui.screens.conversation as conversation_module
from simulator import progress
from simulator.tui.dialogs.checkin import CheckInDialog
from simulator.tui.dialogs.resume import ResumeDialog
from simulator.tui.screens.briefing import BriefingScreen
from simulator.tui.screens.conversation import ConversationScreen
from simulator.tui.screens.exam import ExamResultScreen
from simulator.tui.screens.history import HistoryScreen
from simulator.tui.widgets.feedback import FeedbackPanel, HintPanel, VerdictList

# -- saving before the reply --------------------------------------------------------


async def test_each_answer_is_saved_before_the_visitor_replies(tmp_path, monkeypatch):
    store = checked_in_store(tmp_path)
    saved_when_spoken: list[int] = []
    original = conversation_module.visitor_says

    def spy(name, mood, line):
        saved_when_spoken.append(sum(len(store.answers(a.id)) for a in store.attempts("A1024")))
        return original(name, mood, line)

    monkeypatch.setattr(conversation_module, "visitor_says", spy)
    app = make_app(store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        await answer(pilot, GOOD_ARRIVAL)
        await choose(pilot, 1)
        assert len(app.screen.session.results) == 2
    # the visitor spoke three times; before line n, exactly n-1 answers were durable
    assert saved_when_spoken == [0, 1, 2]


async def test_a_read_only_data_folder_is_told_and_practice_goes_on(tmp_path):
    blocked = tmp_path / "data"
    blocked.write_text("a file where the data folder should be", encoding="utf-8")
    app = make_app(data_dir=str(blocked), open_store=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert any(n.title == "练习记录无法保存" and str(blocked) in n.message
                   for n in app._notifications)
        assert app.store is None
        await start(pilot)
        await answer(pilot, GOOD_ARRIVAL)
        assert app.screen.session.results


# -- resume ---------------------------------------------------------------------------


async def test_an_interrupted_attempt_is_offered_and_resumed(tmp_path):
    store = checked_in_store(tmp_path)
    scenario = demo_scenario()
    interrupted = progress.start(store, "A1024", scenario, detector=fixture_detector(), now=T0)
    interrupted.answer(GOOD_ARRIVAL)  # committed; then the "terminal was closed"
    progress.start(store, "A1024", scenario, detector=fixture_detector(), now=T0 + 60)  # no answer

    app = make_app(store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await wait_for(pilot, ResumeDialog)
        assert [a[0] for a in dialog.attempts] == [interrupted.attempt_id]  # empty one not offered
        await pilot.press("enter")
        screen = await wait_for(pilot, ConversationScreen)
        assert screen.session.attempt_id == interrupted.attempt_id
        assert [t.result.answer for t in screen.turns] == [GOOD_ARRIVAL]
        assert screen.session.current.id == "choose_action"
        await choose(pilot, 1)
        await answer(pilot, GOOD_REFERRAL)
        assert screen.attempt is not None
    record = store.attempt(interrupted.attempt_id)
    assert record.status == "finished"
    assert [a.step for a in store.answers(record.id)] == ["arrival", "choose_action", "referral"]


# -- history ---------------------------------------------------------------------------


async def test_history_recommends_and_starts_a_scenario(tmp_path):
    store = checked_in_store(tmp_path)
    seed_history(store)
    app = make_app(store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        screen = await wait_for(pilot, HistoryScreen)
        await settle(pilot)
        table = screen.query_one("#attempts")
        assert table.row_count == 2
        recommend = screen.query_one("#recommend", OptionList)
        ids = [recommend.get_option_at_index(i).id for i in range(recommend.option_count)]
        assert ids and ids[0] in {"wage-arrears-demo", "road-suggestion-demo"}
        assert "§" in str(screen.query_one("#trend").render())
        recommend.focus()
        await pilot.press("enter")
        briefing = await wait_for(pilot, BriefingScreen)
        assert briefing.scenario.id == ids[0]


# -- exam -------------------------------------------------------------------------------


async def test_exam_shows_a_countdown_and_no_feedback_until_the_end(tmp_path):
    clock = FakeClock()
    store, app = exam_app(tmp_path, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_exam(pilot)
        assert "剩余时间 01:00" in str(screen.query_one("#countdown").render())
        clock.now += 15
        await pilot.pause(1.2)  # the countdown ticks every second
        assert "剩余时间 00:45" in str(screen.query_one("#countdown").render())

        await answer(pilot, GOOD_ARRIVAL)
        await pilot.press("f2")  # the practice hint key does nothing here
        await settle(pilot)
        for hidden in (FeedbackPanel, HintPanel, VerdictList):
            assert not screen.query(hidden), hidden.__name__
        await choose(pilot, 1)
        await answer(pilot, GOOD_REFERRAL)
        result = await wait_for(pilot, ExamResultScreen)
        await settle(pilot)
        assert result.query(VerdictList)  # feedback only now
        assert "通过" in str(result.query_one("#result-verdict").render())
    (sitting,) = store.sittings(exam="tiny")
    assert sitting.status == "finished" and sitting.passed


async def test_exam_time_out_closes_the_sitting(tmp_path):
    clock = FakeClock()
    store, app = exam_app(tmp_path, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_exam(pilot)
        await answer(pilot, GOOD_ARRIVAL)
        clock.now += 61
        result = await wait_for(pilot, ExamResultScreen)
        assert any(n.title == "时间到" for n in app._notifications)
        assert "时间到，自动交卷" in str(result.query_one("#result-how").render())
    (sitting,) = store.sittings(exam="tiny")
    assert sitting.status == "timeout"
    (attempt,) = store.attempts(sitting=sitting.id)
    assert attempt.status == "closed" and len(store.answers(attempt.id)) == 1


async def test_a_resumed_exam_keeps_its_clock(tmp_path):
    clock = FakeClock()
    store, app = exam_app(tmp_path, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_exam(pilot)
        await answer(pilot, GOOD_ARRIVAL)
    clock.now += 20  # the terminal was closed for 20 s
    app = make_app(store=store, exam_dirs=[tmp_path / "exams"], clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_exam(pilot)
        assert "剩余时间 00:40" in str(screen.query_one("#countdown").render())
        assert screen.run.session.current.id == "choose_action"


async def test_f3_switches_the_trainee(tmp_path):
    store = checked_in_store(tmp_path)
    app = make_app(store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        dialog = await wait_for(pilot, CheckInDialog)
        assert dialog.query_one("#checkin-id").value == "A1024"  # pre-filled
        dialog.query_one("#checkin-id").value = ""
        dialog.query_one("#checkin-name").value = ""
        await type_text(pilot, "#checkin-id", "B2048")
        await type_text(pilot, "#checkin-name", "李红")
        await pilot.press("enter")
        await settle(pilot)
        assert app.trainee.id == "B2048"
    assert store.current_trainee().name == "李红"
