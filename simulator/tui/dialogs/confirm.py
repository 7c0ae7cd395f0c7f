"""Confirm before abandoning a practice visit (Esc during the conversation)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmAbandon(ModalScreen[bool]):
    """Dismisses with True to abandon the visit, False to carry on."""

    BINDINGS = [
        Binding("escape,n", "stay", "继续练习"),
        Binding("y", "abandon", "放弃练习"),
    ]

    DEFAULT_CSS = """
    ConfirmAbandon {
        align: center middle;
        background: $background 60%;
        & > Vertical {
            width: 56;
            max-width: 90%;
            height: auto;
            border: thick $error;
            background: $surface;
            padding: 1 2;
        }
        & Static { width: 100%; }
        & #confirm-title { text-style: bold; color: $error; margin-bottom: 1; }
        & Horizontal { height: auto; align: center middle; margin-top: 1; }
        & Button { margin: 0 1; }
    }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("放弃这次练习？", id="confirm-title")
            yield Static("来访者还在等你的答复。放弃后本次练习结束，不会进入讲评。")
            with Horizontal():
                yield Button("继续练习（N）", id="stay", variant="primary")
                yield Button("放弃练习（Y）", id="abandon", variant="error")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed, "#stay")
    def action_stay(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#abandon")
    def action_abandon(self) -> None:
        self.dismiss(True)
