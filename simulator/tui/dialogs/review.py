"""Trainer review of one answered step: which criteria it really shows, an optional score,
who reviews and why. The dialog only collects the decision; the review screen stores it
(``grading.review_step``), which is where the rules are checked again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from simulator.tui.widgets.prose import prose


@dataclass(frozen=True, slots=True)
class ReviewChoice:
    """One criterion the reviewer can mark: id, its title, good or bad, shown now."""

    criterion: str
    title: str
    kind: str
    shown: bool


@dataclass(frozen=True, slots=True)
class ReviewDecision:
    present: tuple[str, ...]
    absent: tuple[str, ...]
    score: float | None
    reviewer: str
    reason: str


class ReviewDialog(ModalScreen[ReviewDecision | None]):
    """Dismisses with the reviewer's decision, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "取消")]
    DEFAULT_CSS = """
    ReviewDialog { align: center middle; background: $background 60%; }
    ReviewDialog > Vertical {
        width: 84; max-width: 95%; height: 95%; max-height: 30;
        padding: 0 2; border: thick $primary; background: $surface;
    }
    ReviewDialog #review-title { text-style: bold; }
    ReviewDialog #review-said { margin-bottom: 1; }
    ReviewDialog SelectionList { height: 1fr; min-height: 4; border: round $primary; }
    ReviewDialog .review-row { height: 1; margin-top: 1; }
    ReviewDialog .review-row Label { width: auto; margin-right: 1; }
    ReviewDialog .review-row Input { width: 1fr; margin-right: 2; }
    ReviewDialog SelectionList:focus { border: round $accent; }
    ReviewDialog #review-error { color: $error; height: auto; }
    ReviewDialog .actions { margin-top: 1; }
    """

    def __init__(self, title: str, said: str, auto_score: float,
                 choices: Sequence[ReviewChoice], reviewer: str = "") -> None:
        super().__init__()
        self._title, self._said, self._auto = title, said, auto_score
        self.choices = list(choices)
        self._reviewer = reviewer

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, id="review-title")
            yield Static(prose(Content.assemble(("回答：", "bold $primary"), self._said, "  ",
                                                (f"自动评分 {self._auto:g} 分", "$text-muted"))),
                         id="review-said")
            yield Label("判为出现的标准（空格勾选或取消）")
            yield SelectionList[str](*(
                Selection(Content.assemble(("应做 " if c.kind == "good" else "忌 ",
                                            "$success" if c.kind == "good" else "$error"),
                                           c.title, (f"  {c.criterion}", "$text-muted")),
                          c.criterion, c.shown)
                for c in self.choices), id="review-criteria")
            with Horizontal(classes="review-row"):
                yield Label("得分")
                yield Input(placeholder="留空则按勾选计算", id="review-score", compact=True)
                yield Label("复核人")
                yield Input(self._reviewer, placeholder="例如 李老师", id="review-reviewer",
                            compact=True)
            with Horizontal(classes="review-row"):
                yield Label("理由")
                yield Input(placeholder="例如 回答已说明去处，不算推诿", id="review-reason",
                            compact=True)
            yield Static("", id="review-error")
            with Horizontal(classes="actions"):
                yield Button("保存复核", variant="primary", id="review-ok")
                yield Button("取消（Esc）", id="review-cancel")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    @on(Input.Submitted)
    def _next_or_save(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; in the last one it saves."""
        event.stop()
        if event.input.id == "review-reason":
            self.save()
        else:
            self.focus_next()

    @on(Button.Pressed, "#review-ok")
    def save(self) -> None:
        decision = self.decision()
        if isinstance(decision, str):
            self.query_one("#review-error", Static).update(decision)
        else:
            self.dismiss(decision)

    def decision(self) -> ReviewDecision | str:
        """The decision, or what is wrong with the form (in Chinese)."""
        text = self.query_one("#review-score", Input).value.strip()
        score = None
        if text:
            try:
                score = float(text)
            except ValueError:
                return f"得分应是 0 到 100 之间的数字，而不是“{text}”"
            if not 0 <= score <= 100:
                return "得分应在 0 到 100 之间"
        reviewer = self.query_one("#review-reviewer", Input).value.strip()
        reason = self.query_one("#review-reason", Input).value.strip()
        if not reviewer:
            return "请填写复核人"
        if not reason:
            return "请填写复核理由"
        selected = set(self.query_one(SelectionList).selected)
        ids = [c.criterion for c in self.choices]
        return ReviewDecision(tuple(c for c in ids if c in selected),
                              tuple(c for c in ids if c not in selected), score, reviewer, reason)

    @on(Button.Pressed, "#review-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
