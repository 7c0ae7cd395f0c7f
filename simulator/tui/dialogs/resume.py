"""Resume: offer the practice attempts that were interrupted (a crash, a closed terminal)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option


class ResumeDialog(ModalScreen[int | None]):
    """Dismisses with the attempt id to resume, or None to start afresh.

    ``attempts``: (attempt id, scenario title, answers committed, started at), newest first.
    """

    BINDINGS = [Binding("escape", "later", "以后再说")]
    DEFAULT_CSS = """
    ResumeDialog { align: center middle; background: $background 60%; }
    ResumeDialog > Vertical {
        width: 70; max-width: 95%; height: auto; max-height: 90%;
        padding: 1 2; border: thick $primary; background: $surface;
    }
    ResumeDialog #resume-title { text-style: bold; margin-bottom: 1; }
    ResumeDialog OptionList { height: auto; max-height: 10; border: round $primary; }
    ResumeDialog Button { margin-top: 1; width: 100%; }
    """

    def __init__(self, attempts: Sequence[tuple[int, str, int, float]]) -> None:
        super().__init__()
        self.attempts = list(attempts)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("有没做完的练习，要接着做吗？", id="resume-title")
            yield OptionList(*(
                Option(Content.assemble(
                    (title, "bold"), "\n",
                    (f"已回答 {answered} 步 · 开始于 "
                     f"{time.strftime('%m-%d %H:%M', time.localtime(started))}", "$text-muted")),
                    id=str(attempt_id))
                for attempt_id, title, answered, started in self.attempts), id="resume-list")
            yield Button("以后再说（Esc）", id="resume-later")

    def on_mount(self) -> None:
        self.query_one("#resume-list", OptionList).focus()

    @on(OptionList.OptionSelected, "#resume-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id))

    @on(Button.Pressed, "#resume-later")
    def action_later(self) -> None:
        self.dismiss(None)
