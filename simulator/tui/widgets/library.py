"""The home screen's pieces: the scenario list and the details of the highlighted one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from simulator.model import Scenario


def stars(difficulty: int) -> str:
    level = max(1, min(5, difficulty))
    return "★" * level + "☆" * (5 - level)


def summary_line(scenario: Scenario) -> str:
    """``申诉求决 · 难度 ★★☆☆☆ · 约 8 分钟``."""
    return f"{scenario.category} · 难度 {stars(scenario.difficulty)} · 约 {scenario.minutes} 分钟"


class ScenarioList(OptionList):
    """One entry per scenario: title; category, difficulty and minutes; situations."""

    DEFAULT_CSS = """
    ScenarioList { height: 1fr; border: round $primary; }
    ScenarioList:focus { border: round $accent; }
    """

    def show(self, scenarios: list[Scenario]) -> None:
        """Replace the entries, keeping the highlighted scenario when it is still listed."""
        current = self.highlighted_option.id if self.highlighted_option else None
        entries: list[Option | None] = []
        for scenario in scenarios:
            entries += [None] if entries else []  # a rule between two scenarios
            entries.append(Option(self._prompt(scenario), id=scenario.id))
        self.set_options(entries)
        ids = [s.id for s in scenarios]
        self.highlighted = self.get_option_index(current) if current in ids else (0 if ids else None)

    @staticmethod
    def _prompt(scenario: Scenario) -> Content:
        from simulator.tui.widgets.prose import prose  # after the first paint, with the library

        lines = [Content.styled(scenario.title, "bold"), Content.styled(summary_line(scenario), "$text-muted")]
        if scenario.situations:
            lines.append(Content.styled("、".join(scenario.situations), "$text-muted italic"))
        return prose(Content("\n").join(lines))


class ScenarioDetails(Static):
    """Title, facts and description of the highlighted scenario (scrolls when long)."""

    DEFAULT_CSS = """
    ScenarioDetails {
        border: round $secondary;
        border-title-color: $secondary;
        padding: 0 1;
        height: 1fr;
        overflow-y: auto;
    }
    """

    def on_mount(self) -> None:
        self.border_title = "场景介绍"

    def show(self, scenario: Scenario | None, empty: str = "") -> None:
        if scenario is None:
            self.update(Content.styled(empty, "$text-muted"))
            return
        from simulator.tui.widgets.prose import prose
        facts = [("类别", scenario.category), ("情形", "、".join(scenario.situations) or "—"),
                 ("难度", stars(scenario.difficulty)), ("时长", f"约 {scenario.minutes} 分钟")]
        lines = [Content.styled(scenario.title, "bold $accent"), Content("")]
        lines += [Content.assemble((f"{k}：", "$text-muted"), v) for k, v in facts]
        lines += [Content(""), Content(scenario.description or "（暂无介绍）"), Content(""),
                  Content.styled("按 Enter 阅读接待简报。", "$text-muted")]
        self.update(prose(Content("\n").join(lines)))
