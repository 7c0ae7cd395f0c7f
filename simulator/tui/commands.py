"""Command palette (Ctrl+P): start any scenario by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


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
