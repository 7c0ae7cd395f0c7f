"""The answer box at the bottom of the conversation: free text, or numbered actions.

Posts ``AnswerSubmitted`` with the text (free step) or the option number as a string
(choice step, picked with 1–9, or arrows and Enter, or the mouse). While an answer is
being scored the box is disabled but keeps the text, so nothing typed is lost.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from simulator.tui.messages import AnswerSubmitted
from simulator.tui.widgets.prose import prose


class ChoiceList(OptionList):
    """Numbered actions; a digit key picks its option at once."""

    BINDINGS = [Binding(str(n), f"pick({n})", f"选择第 {n} 项", show=False) for n in range(1, 10)]

    def action_pick(self, number: int) -> None:
        if 1 <= number <= self.option_count:
            self.highlighted = number - 1
            self.post_message(AnswerSubmitted(str(number)))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(AnswerSubmitted(str(event.option_index + 1)))


class AnswerBox(Vertical):
    """Input for a free answer, ChoiceList for a choice, a button once the visit is over."""

    DEFAULT_CSS = """
    AnswerBox {
        height: auto;
        padding: 0 1;
        & > ChoiceList { height: auto; max-height: 11; border: round $primary; }
        & > ChoiceList:focus { border: round $accent; }
        & > #answer-status { color: $text-muted; height: 1; padding: 0 1; }
        & > #debrief-button { width: 100%; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="answer-status")
        yield Input(placeholder="输入你的回答，按 Enter 提交", id="answer-input")
        yield ChoiceList(id="choices")
        yield Button("查看讲评（Enter）", id="debrief-button", variant="primary")

    @property
    def input(self) -> Input:
        return self.query_one("#answer-input", Input)

    @property
    def choices(self) -> ChoiceList:
        return self.query_one("#choices", ChoiceList)

    def _show(self, which: str) -> None:
        for widget_id in ("answer-input", "choices", "debrief-button"):
            self.query_one(f"#{widget_id}").display = widget_id == which

    def ask_free(self) -> None:
        self.input.value = ""
        self._show("answer-input")
        self.status("")
        self.input.focus()

    def ask_choice(self, options: list[str]) -> None:
        choices = self.choices
        choices.set_options(
            Option(prose(Content.assemble((f"{n}. ", "bold"), text)))
            for n, text in enumerate(options, 1)
        )
        choices.highlighted = 0
        self._show("choices")
        self.status(f"按数字键 1–{len(options)} 选择，或用 ↑↓ 和 Enter，也可以用鼠标点选。")
        choices.focus()

    def finish(self) -> None:
        self._show("debrief-button")
        self.status("这次接待结束了。")
        self.query_one("#debrief-button", Button).focus()

    def status(self, text: str) -> None:
        """A line above the box; hidden when empty."""
        line = self.query_one("#answer-status", Static)
        line.update(text)
        line.display = bool(text)

    def set_busy(self, busy: bool) -> None:
        """Disable the box while scoring; the typed text stays in place."""
        self.input.disabled = busy
        self.choices.disabled = busy
        if busy:
            self.status("正在评分……")

    @on(Input.Submitted, "#answer-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(AnswerSubmitted(event.value))
