"""Debrief: score and level, the ending, the §1–§7 profile, and every step reviewed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Digits, Footer, Static

from simulator.model import Criterion, Section
from simulator.tui.messages import GoHome, Retry, Turn
from simulator.tui.widgets.bars import SectionProfile
from simulator.tui.widgets.feedback import VerdictList, highlight_answer, verdict_rows
from simulator.tui.widgets.header import AppHeader
from simulator.tui.widgets.markdown import ChineseMarkdown
from simulator.tui.widgets.prose import join_cjk_lines, prose
from simulator.tui.widgets.transcript import ending_notice

if TYPE_CHECKING:
    from simulator.engine import Session
    from simulator.model import Attempt


class StepReview(Vertical):
    """One answered step: what was said, every verdict with its evidence, the model answer."""

    DEFAULT_CSS = """
    StepReview {
        height: auto;
        border: round $secondary;
        border-title-color: $secondary;
        padding: 0 1;
        margin: 1 0 0 0;
        & > .said { margin-bottom: 1; }
        & > .model-answer { margin-top: 1; }
    }
    """

    def __init__(self, number: int, turn: Turn, session: Session,
                 criteria: dict[str, Criterion], sections: dict[int, Section]) -> None:
        super().__init__()
        self.turn, self.session = turn, session
        self.criteria, self.sections = criteria, sections
        self.border_title = f"第 {number} 步 · {turn.result.score:g} 分（{turn.result.level}）"

    def compose(self) -> ComposeResult:
        turn, result = self.turn, self.turn.result
        step = self.session.scenario.step(turn.step)
        if result.choice is not None:
            said = Content(f"{result.choice}. {turn.options[result.choice - 1]}")
        else:
            said = highlight_answer(result.answer, result.verdicts)
        yield Static(prose(Content.assemble(
            (turn.visitor_name, "bold $accent"),
            (f"（{turn.mood}）" if turn.mood else "", "$text-muted"), "：", turn.line, "\n",
            ("你的选择：" if result.choice is not None else "你：", "bold $primary"), said,
        )), classes="said")
        yield VerdictList(verdict_rows(step, result, self.criteria, self.sections))
        if step.model_answer:
            yield Static(prose(Content.assemble(("参考答案：", "bold $success"),
                                                join_cjk_lines(self.session.render(step.model_answer).strip(), keep_sentences=True))),
                         classes="model-answer")


class DebriefScreen(Screen):
    """The attempt reviewed; R practises again, Esc goes back to the library."""

    BINDINGS = [
        Binding("r", "retry", "再练一次"),
        Binding("escape", "home", "返回场景库"),
    ]

    def __init__(self, session: Session, attempt: Attempt, turns: tuple[Turn, ...],
                 criteria: dict[str, Criterion], sections: dict[int, Section]) -> None:
        super().__init__()
        self.session = session
        self.attempt = attempt
        self.turns = turns
        self.criteria = criteria
        self.sections = sections

    def compose(self) -> ComposeResult:
        attempt, session = self.attempt, self.session
        ending = session.ending
        yield AppHeader()
        with VerticalScroll(id="debrief-body"):
            with Horizontal(id="score-row"):
                yield Digits(f"{attempt.score:g}", id="score")
                with Vertical(id="score-facts"):
                    yield Static(Content.assemble(("总分 · ", "$text-muted"),
                                                  (attempt.level, "bold $accent")), id="level")
                    yield Static(Content.assemble(("已回答 ", "$text-muted"), str(len(attempt.steps)),
                                                  (" 步", "$text-muted")))
            yield ending_notice(ending)
            if ending is not None and ending.text.strip():
                yield ChineseMarkdown(session.render(ending.text).strip(), id="ending-text")
            yield Static("按指引各部分的表现", classes="section-title")
            yield SectionProfile(attempt.sections, self.sections, id="profile")
            yield Static("逐步回顾", classes="section-title")
            for number, turn in enumerate(self.turns, 1):
                yield StepReview(number, turn, session, self.criteria, self.sections)
        with Horizontal(id="debrief-actions", classes="actions"):
            yield Button("再练一次（R）", id="retry", variant="primary")
            yield Button("返回场景库（Esc）", id="home")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"讲评 · {self.session.scenario.title}"
        self.query_one("#debrief-body").focus()

    @on(Button.Pressed, "#retry")
    def action_retry(self) -> None:
        self.post_message(Retry(self.session.scenario.id))

    @on(Button.Pressed, "#home")
    def action_home(self) -> None:
        self.post_message(GoHome())
