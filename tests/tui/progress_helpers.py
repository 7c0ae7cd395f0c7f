"""Helpers for the progress, history and exam tests: a fixed clock, seeded records, a tiny exam.

Everything lives under the test's ``tmp_path`` (never the user's data folder), and every
stored time derives from ``T0`` so snapshots do not move.
"""

from __future__ import annotations

from tui_helpers import BAD_ARRIVAL, DEMO, GOOD_ARRIVAL, fixture_detector, make_app, settle

from simulator import progress
from simulator.loader import load_scenario
from simulator.store import Store
from simulator.tui.dialogs.checkin import CheckInDialog
from simulator.tui.dialogs.exams import ExamPicker
from simulator.tui.screens.exam import ExamScreen

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC: every stored time in these tests is fixed

TINY_EXAM = """\
id: tiny
title: 小测验
description: 一个场景，限时 1 分钟。
scenarios: [wage-arrears-demo]
time_limit: 1
pass_mark: 60
"""


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def demo_scenario():
    scenario, problems = load_scenario(DEMO, catalogue=fixture_detector().catalogue)
    assert scenario is not None, problems
    return scenario


def checked_in_store(tmp_path) -> Store:
    store = Store.open(tmp_path / "data")
    store.set_current_trainee("A1024", "王小明")
    return store


def exam_app(tmp_path, clock: FakeClock):
    store = checked_in_store(tmp_path)
    exams = tmp_path / "exams"
    exams.mkdir()
    (exams / "tiny.yaml").write_text(TINY_EXAM, encoding="utf-8")
    return store, make_app(store=store, exam_dirs=[exams], clock=clock)


async def wait_for(pilot, screen_type, tries: int = 40):
    for _ in range(tries):
        await settle(pilot)
        if isinstance(pilot.app.screen, screen_type):
            return pilot.app.screen
        await pilot.pause(0.05)
    raise AssertionError(f"{screen_type.__name__} not shown; on {type(pilot.app.screen).__name__}")


async def open_exam(pilot):
    """From home: F5, pick the only exam, confirm the pre-filled check-in."""
    await settle(pilot)
    await pilot.press("f5")
    await wait_for(pilot, ExamPicker)
    await pilot.press("enter")
    dialog = await wait_for(pilot, CheckInDialog)
    assert "小测验" in str(dialog.query_one("#checkin-title").render())
    await pilot.press("enter")
    return await wait_for(pilot, ExamScreen)


def seed_history(store: Store) -> None:
    """Two finished attempts at the demo scenario: a poor one, then a better one."""
    scenario = demo_scenario()
    for offset, answers in ((0, [BAD_ARRIVAL]), (3600, [GOOD_ARRIVAL, "1", BAD_ARRIVAL])):
        session = progress.start(store, "A1024", scenario, detector=fixture_detector(),
                                 now=T0 + offset)
        for text in answers:
            session.answer(text)
        if not session.finished:
            session.close()
        store.finish_attempt(session.attempt_id, session.attempt(),
                             closed=session.ending is None, now=T0 + offset + 300)
