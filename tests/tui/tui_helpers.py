"""Helpers for the TUI tests: the fixed fixture scenarios and rubric, an app factory, typing.

The fixtures (``data/*.yaml`` and ``data/rubrics/``) are the TUI tests' own, so tuning
the real rubrics never moves a snapshot. ``pilot.press`` drops full-width punctuation
such as ， and 。, so Chinese answers are inserted into the focused Input directly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from simulator.scoring import Detector, load_catalogue
from simulator.tui.app import SimulatorApp

DATA = Path(__file__).parent / "data"
DEMO = DATA / "wage-arrears-demo.yaml"

GOOD_ARRIVAL = "您跑了这么多趟，确实辛苦了。先坐下喝口水，慢慢说，我听着。"
BAD_ARRIVAL = "该说的都说了，你还要怎么样？长话短说。"
GOOD_REFERRAL = "欠薪的事归区人社局劳动监察大队管，地址在人民路8号。留个电话，有进展我第一时间告诉您。"


@lru_cache(maxsize=1)
def fixture_detector() -> Detector:
    return Detector(load_catalogue(DATA / "rubrics"))


def make_app(**kwargs) -> SimulatorApp:
    """The app over the fixture scenarios and rubric only (stable for snapshots)."""
    kwargs.setdefault("detector", fixture_detector())
    return SimulatorApp(scenario_dirs=[DATA], **kwargs)


async def settle(pilot: Pilot) -> None:
    """Let workers finish and their results reach the screen."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def settle_until(pilot: Pilot, ready: Callable[[], bool], tries: int = 200) -> None:
    """``settle``, then keep pausing until ``ready()`` (a screen whose thread workers fill
    it can need more than ``settle`` on a busy machine)."""
    await settle(pilot)
    for _ in range(tries):
        if ready():
            break
        await pilot.pause(0.02)
    assert ready(), "the screen never got ready"
    await settle(pilot)


async def type_text(pilot: Pilot, selector: str, text: str) -> Input:
    """Insert ``text`` into the Input at ``selector`` (works for ，。 unlike pilot.press)."""
    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    box.insert_text_at_cursor(text)
    await pilot.pause()
    return box


async def answer(pilot: Pilot, text: str) -> None:
    """Type a free answer, submit it with Enter and wait for the scoring."""
    await type_text(pilot, "#answer-input", text)
    await pilot.press("enter")
    await settle(pilot)


async def choose(pilot: Pilot, number: int) -> None:
    """Pick option ``number`` of a choice step with its digit key."""
    await pilot.press(str(number))
    await settle(pilot)


async def start(pilot: Pilot, query: str = "讨薪") -> None:
    """From home: filter to one scenario, open its briefing, start the visit."""
    await settle(pilot)
    await type_text(pilot, "#filter", query)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


def no_blink(pilot: Pilot) -> None:
    """Stop cursors blinking so screenshots do not depend on timing."""
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
