"""Check-in: who is practising (工号 and 姓名), asked on first start, when switching, and
before an exam (with the exam's title)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class CheckInDialog(ModalScreen[tuple[str, str] | None]):
    """Ask for 工号 and 姓名; dismisses with the checked pair, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "取消")]
    DEFAULT_CSS = """
    CheckInDialog { align: center middle; }
    CheckInDialog > Vertical {
        width: 60; height: auto; padding: 1 2; border: thick $primary; background: $surface;
    }
    CheckInDialog #checkin-title { text-style: bold; margin-bottom: 1; }
    CheckInDialog #checkin-error { color: $error; height: auto; }
    CheckInDialog Button { margin-top: 1; width: 100%; }
    """

    def __init__(self, trainee_id: str = "", name: str = "",
                 title: str = "学员签到：练习记录按工号保存") -> None:
        super().__init__()
        self._defaults = (trainee_id, name)
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, id="checkin-title")
            yield Label("工号")
            yield Input(self._defaults[0], placeholder="例如 A1024", id="checkin-id")
            yield Label("姓名")
            yield Input(self._defaults[1], placeholder="例如 王小明", id="checkin-name")
            yield Static("", id="checkin-error")
            yield Button("确定", variant="primary", id="checkin-ok")

    @on(Input.Submitted)
    def _next_or_submit(self, event: Input.Submitted) -> None:
        """Enter in 工号 moves on to 姓名 (unless 姓名 is filled already); in 姓名 it submits."""
        event.stop()
        name = self.query_one("#checkin-name", Input)
        if event.input is name or name.value.strip():
            self.submit()
        else:
            name.focus()

    @on(Button.Pressed, "#checkin-ok")
    def submit(self) -> None:
        from simulator.store import StoreError, check_identity

        try:
            trainee_id, name = check_identity(self.query_one("#checkin-id", Input).value,
                                              self.query_one("#checkin-name", Input).value)
        except StoreError as error:
            self.query_one("#checkin-error", Static).update(str(error))
            return
        self.dismiss((trainee_id, name))

    def action_cancel(self) -> None:
        self.dismiss(None)
