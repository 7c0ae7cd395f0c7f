"""Confirm before handing in an exam early (Esc during the exam)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmSubmit(ModalScreen[bool]):
    """Dismisses with True to hand in now, False to go on answering."""

    BINDINGS = [
        Binding("escape,n", "stay", "继续作答"),
        Binding("y", "submit", "交卷"),
    ]
    DEFAULT_CSS = """
    ConfirmSubmit { align: center middle; background: $background 60%; }
    ConfirmSubmit > Vertical {
        width: 56; max-width: 90%; height: auto;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmSubmit #submit-title { text-style: bold; color: $warning; margin-bottom: 1; }
    ConfirmSubmit Horizontal { height: auto; align: center middle; margin-top: 1; }
    ConfirmSubmit Button { margin: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("现在交卷？", id="submit-title")
            yield Static("交卷后考试结束，按已经作答的内容评分，不能再改。没作答的场景记 0 分。")
            with Horizontal():
                yield Button("继续作答（N）", id="stay", variant="primary")
                yield Button("交卷（Y）", id="submit", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed, "#stay")
    def action_stay(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        self.dismiss(True)
