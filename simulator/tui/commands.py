"""The command palette (Ctrl+P): start any scenario by name; Chinese throughout.

Imported only when the palette first opens (``SimulatorApp.COMMANDS`` names a loader).
"""

from __future__ import annotations

from functools import partial

from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.widgets.option_list import Option


class ScenarioCommands(Provider):
    """One command per scenario in the library: 开始练习：<title>."""

    def _entries(self):
        library = getattr(self.app, "library", None)
        for scenario in library.scenarios if library else ():
            text = f"开始练习：{scenario.title}"
            yield text, scenario, partial(self.app.start_scenario, scenario.id)

    async def discover(self) -> Hits:
        for text, scenario, command in self._entries():
            yield DiscoveryHit(text, command, help=scenario.description)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, scenario, command in self._entries():
            score = max(matcher.match(text), matcher.match(scenario.id) * 0.9)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=scenario.description)


class Palette(CommandPalette):
    """The command palette with a Chinese placeholder and a Chinese "no match" line.

    ``_start_no_matches_countdown`` mirrors Textual 8.2.8 (pinned) with the text changed.
    """

    def __init__(self) -> None:
        super().__init__(placeholder="输入场景名称或命令……", id="--command-palette")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(Option(
                    Content.styled("没有找到匹配的场景或命令", "$text-muted"),
                    disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
