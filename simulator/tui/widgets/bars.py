"""Labelled bars: the visitor's meters during a visit and the §1–§7 profile in the debrief.

``mood_label`` turns the meters into the one word shown after the visitor's name.
"""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from simulator.model import Meter, Scenario, Section

#: (lowest share of the meter's range, word): how high the mood meter stands.
_LEVELS: tuple[tuple[float, str], ...] = (
    (0.8, "很高"), (0.6, "较高"), (0.4, "中等"), (0.2, "较低"), (0.0, "很低"),
)


def _goodness(meter: Meter, value: int) -> float:
    """0 (worst) .. 1 (best) for a meter value, whichever way the meter points."""
    span = meter.max - meter.min
    share = (value - meter.min) / span if span else 0.0
    return 1.0 - share if meter.higher_is == "worse" else share


def mood_label(scenario: Scenario, meters: dict[str, int]) -> str:
    """The visitor's mood in a few words, e.g. ``情绪激动：很高``.

    From the ``mood`` meter, else the first meter where higher is worse (anger,
    anxiety), else the first meter.
    """
    if not scenario.meters:
        return ""
    meter = next((m for m in scenario.meters if m.id == "mood"), None) or next(
        (m for m in scenario.meters if m.higher_is == "worse"), scenario.meters[0]
    )
    span = meter.max - meter.min
    share = (meters.get(meter.id, meter.start) - meter.min) / span if span else 0.0
    return f"{meter.label}：{next(word for floor, word in _LEVELS if share >= floor)}"


def _tone(goodness: float) -> str:
    return "$success" if goodness >= 0.6 else "$warning" if goodness >= 0.35 else "$error"


def bar(share: float, width: int, style: str) -> Content:
    """A horizontal bar ``width`` cells wide, filled to ``share`` (0..1)."""
    width = max(width, 1)
    filled = round(max(0.0, min(1.0, share)) * width)
    return Content.assemble(("█" * filled, style), ("░" * (width - filled), "$foreground 30%"))


class MeterPanel(Widget):
    """The visitor's meters as labelled bars, each with its change after the last answer."""

    DEFAULT_CSS = """
    MeterPanel { height: auto; }
    """

    def __init__(self, scenario: Scenario, meters: dict[str, int], **kwargs) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.values = dict(meters)
        self.deltas: dict[str, int] = {}

    def show(self, meters: dict[str, int]) -> None:
        """New meter values; the change from the previous ones is shown beside each label."""
        self.deltas = {k: v - self.values.get(k, v) for k, v in meters.items()}
        self.values = dict(meters)
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return 2 * len(self.scenario.meters)

    def render(self) -> Content:
        width = max(self.content_region.width, 8)
        lines: list[Content] = []
        for meter in self.scenario.meters:
            value = self.values.get(meter.id, meter.start)
            goodness = _goodness(meter, value)
            delta = self.deltas.get(meter.id, 0)
            change = Content("")
            if delta:
                better = (delta < 0) == (meter.higher_is == "worse")
                change = Content.styled(f" {'▲' if delta > 0 else '▼'}{abs(delta)}",
                                        "$success" if better else "$error")
            head = Content.assemble((meter.label, "bold"), " ", str(value), change)
            lines.append(head)
            span = meter.max - meter.min
            share = (value - meter.min) / span if span else 0.0
            lines.append(bar(share, width, _tone(goodness)))
        return Content("\n").join(lines)


class SectionProfile(Widget):
    """Scores per guidance section (§1–§7) as bars; sections not exercised say so."""

    DEFAULT_CSS = """
    SectionProfile { height: auto; }
    """

    def __init__(self, profile: dict[int, float], sections: dict[int, Section], **kwargs) -> None:
        super().__init__(**kwargs)
        self.profile = profile
        self.sections = sections

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self._numbers())

    def _numbers(self) -> list[int]:
        return sorted(set(self.sections) | set(self.profile))

    def render(self) -> Content:
        width = self.content_region.width
        labels = {n: f"§{n} {self.sections[n].title if n in self.sections else ''}".rstrip()
                  for n in self._numbers()}
        label_width = max((Content(t).cell_length for t in labels.values()), default=0) + 2
        bar_width = max(width - label_width - 8, 4)
        lines = []
        for n in self._numbers():
            label = Content(labels[n]).pad_right(label_width - Content(labels[n]).cell_length)
            if n in self.profile:
                score = self.profile[n]
                lines.append(Content.assemble(label, bar(score / 100, bar_width, _tone(score / 100)),
                                              f" {score:5.1f}"))
            else:
                lines.append(Content.assemble(label, ("本次未涉及", "dim")))
        return Content("\n").join(lines)
