"""The dialogue so far: visitor lines (name and mood), the trainee's answers, feedback.

Entries are appended as the visit goes on and the view follows the newest one; a
trainee's answer is shown with its evidence highlighted once it has been scored.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from simulator.model import Ending
from simulator.tui.widgets.prose import prose

_OUTCOMES = {"good": ("好结局", "$success"), "neutral": ("一般结局", "$warning"),
             "bad": ("不理想的结局", "$error")}


def visitor_says(name: str, mood: str, line: str) -> Static:
    head = Content.assemble((name, "bold $accent"), (f"（{mood}）" if mood else "", "$text-muted"))
    return Static(prose(Content("\n").join([head, Content(line.strip())])), classes="visitor-line")


def trainee_says(answer: Content, choice: bool = False) -> Static:
    head = Content.styled("你的选择" if choice else "你", "bold $primary")
    return Static(prose(Content("\n").join([head, answer])), classes="trainee-line")


def ending_notice(ending: Ending | None) -> Static:
    if ending is None:
        return Static(Content.styled("—— 接待结束 ——", "bold"), classes="ending-line")
    label, style = _OUTCOMES.get(ending.outcome, _OUTCOMES["neutral"])
    text = Content.assemble(("—— 接待结束：", "bold"), (ending.title, f"bold {style}"),
                            (f"（{label}）——", "bold"))
    return Static(prose(text), classes="ending-line")


class Transcript(VerticalScroll):
    """A scrolling column of dialogue entries that stays at the newest line."""

    DEFAULT_CSS = """
    Transcript {
        height: 1fr;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        & > .visitor-line { margin: 1 6 0 0; padding: 0 1; border-left: thick $accent; }
        & > .trainee-line { margin: 1 0 0 6; padding: 0 1; border-left: thick $primary; }
        & > .ending-line { margin: 1 0 0 0; text-align: center; }
        & > .ending-text { margin: 1 2; padding: 0; }
    }
    """

    async def add(self, *entries: Widget) -> None:
        await self.mount_all(entries)
        self.scroll_end(animate=False, immediate=False)
