"""Practice that lasts: check-in on first start, every answer committed before the reply."""

from tui_helpers import GOOD_ARRIVAL, answer, make_app, settle, start, type_text

from simulator.store import Store
from simulator.tui.dialogs.checkin import CheckInDialog
from simulator.tui.screens.conversation import ConversationScreen


async def test_check_in_then_every_answer_is_committed(tmp_path):
    store = Store.open(tmp_path)
    app = make_app(store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CheckInDialog)
        await pilot.press("enter")  # Enter in 工号 moves on to 姓名, it does not submit
        assert app.screen.focused.id == "checkin-name"
        assert not str(app.screen.query_one("#checkin-error").render()).strip()
        await pilot.press("enter")  # empty: refused with a reason, dialog stays
        assert isinstance(app.screen, CheckInDialog)
        assert str(app.screen.query_one("#checkin-error").render()).strip()
        await type_text(pilot, "#checkin-id", "A1024")
        await type_text(pilot, "#checkin-name", "王小明")
        await pilot.press("enter")
        await settle(pilot)
        assert store.current_trainee().id == "A1024"

        await start(pilot)
        assert isinstance(app.screen, ConversationScreen)
        assert store.attempts("A1024") == []  # on record from the first answer on
        await answer(pilot, GOOD_ARRIVAL)
        (attempt,) = store.attempts("A1024")
        saved = store.answers(attempt.id)
        assert [a.answer for a in saved] == [GOOD_ARRIVAL]
        assert app.screen.session.results[0].score == saved[0].score


async def test_without_a_store_practice_still_works(tmp_path):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        await answer(pilot, GOOD_ARRIVAL)
        assert app.screen.session.results
        assert not any(isinstance(s, CheckInDialog) for s in app.screen_stack)
