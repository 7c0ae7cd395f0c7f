"""Choose an exam: every exam definition found, those with errors shown but not selectable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from simulator.tui.widgets.prose import prose

if TYPE_CHECKING:
    from pathlib import Path

    from simulator.exam import Exam
    from simulator.loader import Problem


class ExamPicker(ModalScreen["Exam | None"]):
    """Dismisses with the chosen exam, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "取消")]
    DEFAULT_CSS = """
    ExamPicker { align: center middle; background: $background 60%; }
    ExamPicker > Vertical {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        padding: 1 2; border: thick $primary; background: $surface;
    }
    ExamPicker #exams-title { text-style: bold; margin-bottom: 1; }
    ExamPicker OptionList { height: auto; max-height: 14; border: round $primary; }
    ExamPicker Button { margin-top: 1; width: 100%; }
    """

    def __init__(self, exams: Sequence[tuple[Path, Exam | None, list[Problem]]]) -> None:
        super().__init__()
        self.exams = [exam for _, exam, _ in exams]
        self.entries = list(exams)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("选择考试：开考后计时，考试中不显示提示和评分", id="exams-title")
            options = [self._option(i, *entry) for i, entry in enumerate(self.entries)]
            if not options:
                options = [Option(Content.styled("没有找到考试定义（exams/ 文件夹）。", "$text-muted"),
                                  disabled=True)]
            yield OptionList(*options, id="exam-list")
            yield Button("取消（Esc）", id="exams-cancel")

    @staticmethod
    def _option(index: int, path: Path, exam: Exam | None, problems: list[Problem]) -> Option:
        if exam is None:
            first = str(problems[0]) if problems else f"{path}：无法载入"
            return Option(prose(Content.assemble((f"{path.stem}（无法使用）", "bold $error"), "\n",
                                                 (first, "$text-muted"))), disabled=True)
        facts = f"限时 {exam.time_limit} 分钟 · {exam.pass_mark:g} 分及格 · 每人 {exam.attempts} 次"
        lines = [(exam.title, "bold"), "\n", (facts, "$text-muted")]
        if exam.description:
            lines += ["\n", (exam.description, "$text-muted")]
        return Option(prose(Content.assemble(*lines)), id=str(index))

    def on_mount(self) -> None:
        self.query_one("#exam-list", OptionList).focus()

    @on(OptionList.OptionSelected, "#exam-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(self.exams[int(event.option.id)])

    @on(Button.Pressed, "#exams-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
