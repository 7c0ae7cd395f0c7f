"""Live preview (`simulator play FILE --watch`): reload on save, errors shown, recovery."""

import os
import shutil

from tui_helpers import DEMO, make_app

from simulator.tui.screens.briefing import BriefingScreen
from simulator.tui.screens.conversation import ConversationScreen
from simulator.tui.screens.problems import ProblemsScreen


def _touch_later(path):
    """A modification time the poll cannot miss, even on coarse file systems."""
    stamp = path.stat().st_mtime_ns + 2_000_000_000
    os.utime(path, ns=(stamp, stamp))


async def wait_for(pilot, screen_type, tries=40):
    for _ in range(tries):
        await pilot.pause(0.1)
        if isinstance(pilot.app.screen, screen_type):
            await pilot.pause(0.3)  # let the new screen finish mounting
            return pilot.app.screen
    raise AssertionError(f"{screen_type.__name__} not shown; on {type(pilot.app.screen).__name__}")


async def test_watch_reloads_restarts_and_shows_errors(tmp_path):
    scenario = tmp_path / DEMO.name
    shutil.copy(DEMO, scenario)
    app = make_app(watch=scenario)
    async with app.run_test(size=(100, 30)) as pilot:
        briefing = await wait_for(pilot, BriefingScreen)
        old_title = briefing.scenario.title

        text = scenario.read_text(encoding="utf-8")
        scenario.write_text(text.replace(f"title: {old_title}", "title: 改过的标题"), encoding="utf-8")
        _touch_later(scenario)
        conversation = await wait_for(pilot, ConversationScreen)
        assert conversation.session.scenario.title == "改过的标题"
        assert not conversation.session.results  # a fresh visit

        scenario.write_text(text + "\nsteps: [oops\n", encoding="utf-8")
        _touch_later(scenario)
        problems = await wait_for(pilot, ProblemsScreen)
        assert problems.lines and all(":" in line for line in problems.lines)
        assert any(f"{scenario}:" in line for line in problems.lines)

        scenario.write_text(text, encoding="utf-8")
        _touch_later(scenario)
        conversation = await wait_for(pilot, ConversationScreen)
        assert conversation.session.scenario.title == old_title
