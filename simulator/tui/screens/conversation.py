"""Conversation: the visit itself. The visitor speaks, the trainee answers, the rubric scores.

Scoring runs in a worker so the screen never freezes; while it runs the answer box is
disabled but keeps the text, and if scoring fails the text is still there to resubmit.
In practice mode a feedback panel follows every answer and hints can be toggled; the
``mode`` switch is where an exam hides both. A resumed attempt arrives with the turns
already answered (``replay_turns``), shown before the visitor speaks again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Static
from textual.worker import Worker, WorkerState

from simulator.tui.messages import (
    AnswerSubmitted,
    AttemptEnded,
    GoHome,
    OpenDebrief,
    StepScored,
    Turn,
)
from simulator.tui.widgets.answer import AnswerBox
from simulator.tui.widgets.bars import MeterPanel, mood_label
from simulator.tui.widgets.feedback import FeedbackPanel, HintPanel, highlight_answer
from simulator.tui.widgets.header import AppHeader
from simulator.tui.widgets.markdown import ChineseMarkdown
from simulator.tui.widgets.prose import join_cjk_lines
from simulator.tui.widgets.transcript import Transcript, ending_notice, trainee_says, visitor_says

if TYPE_CHECKING:
    from simulator.engine import Session
    from simulator.model import Attempt, Scenario, StepResult


def replay_turns(scenario: Scenario, answers: Sequence[str], detector: Any) -> tuple[Turn, ...]:
    """The turns of a resumed attempt: its answers replayed, with what the visitor said."""
    from simulator.engine import Session

    session = Session(scenario, detector=detector)
    turns = []
    for text in answers:
        step = session.current
        options = tuple(session.options()) if step.answer == "choice" else ()
        line = join_cjk_lines(session.visitor_line().strip(), keep_sentences=True)
        mood = mood_label(scenario, session.meters)
        turns.append(Turn(step.id, session.visitor_name(), mood, line, options, session.answer(text)))
    return tuple(turns)


class ConversationScreen(Screen):
    """One visit: transcript, meters, hint and feedback, and the answer box."""

    BINDINGS = [
        Binding("f2", "toggle_hint", "提示"),
        Binding("escape", "leave", "放弃练习"),
        Binding("escape", "home", "返回场景库"),
    ]

    def __init__(self, session: Session, mode: str = "practice", turns: Sequence[Turn] = ()) -> None:
        super().__init__()
        self.session = session
        self.mode = mode
        self.turns: list[Turn] = list(turns)
        self.attempt: Attempt | None = None
        self.busy = False
        self._asking: tuple[str, str, str, str, tuple[str, ...]] | None = None

    @property
    def practice(self) -> bool:
        return self.mode == "practice"

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Horizontal(id="conv-body"):
            yield Transcript(id="transcript")
            with Vertical(id="sidebar"):
                yield Static("来访者状态", classes="sidebar-title")
                yield MeterPanel(self.session.scenario, self.session.meters, id="meters")
                yield Static(id="progress")
        yield HintPanel(id="hint")
        yield AnswerBox(id="answer")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.session.scenario.title
        self.query_one("#hint", HintPanel).display = False
        self.query_one("#transcript", Transcript).anchor()
        self._show_progress()
        self.call_after_refresh(self._begin)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_hint":
            return self.practice and not self.session.finished
        if action in ("leave", "home"):
            return self.session.finished == (action == "home")
        return True

    # -- asking ----------------------------------------------------------------------

    async def _begin(self) -> None:
        """Show the turns a resumed attempt already has, then let the visitor speak."""
        if self.turns:
            entries: list[Any] = []
            for turn in self.turns:
                entries.append(visitor_says(turn.visitor_name, turn.mood, turn.line))
                entries.extend(self._answer_entries(turn.step, turn.options, turn.result))
            entries.append(Static(Content.styled(f"—— 以上是恢复的 {len(self.turns)} 步回答 ——",
                                                 "$text-muted"), classes="ending-line"))
            await self.query_one("#transcript", Transcript).add(*entries)
        await self._ask()

    async def _ask(self) -> None:
        """Let the visitor speak the current step's line and set up the answer box."""
        session = self.session
        step = session.current
        if step is None:
            return
        name = session.visitor_name()
        line = join_cjk_lines(session.visitor_line().strip(), keep_sentences=True)
        mood = mood_label(session.scenario, session.meters)
        options = tuple(session.options()) if step.answer == "choice" else ()
        self._asking = (step.id, name, mood, line, options)
        await self.query_one("#transcript", Transcript).add(visitor_says(name, mood, line))
        box = self.query_one("#answer", AnswerBox)
        if options:
            box.ask_choice(list(options))
        else:
            box.ask_free()
        hint = self.query_one("#hint", HintPanel)
        if hint.display:
            hint.show_for(step, self.app.catalogue.criteria, self.app.catalogue.sections)

    def _show_progress(self) -> None:
        done = len(self.session.results)
        text = "接待已结束" if self.session.finished else f"已回答 {done} 步"
        if self.session.finished:
            text += "\nEnter 查看讲评\nEsc 返回场景库"
        elif self.practice:
            text += "\nF2 提示\nEsc 放弃练习"
        self.query_one("#progress", Static).update(Content.styled(text, "$text-muted"))

    # -- answering -------------------------------------------------------------------

    @on(AnswerSubmitted)
    def _answer(self, event: AnswerSubmitted) -> None:
        event.stop()
        if self.busy or self.session.finished or self._asking is None:
            return
        box = self.query_one("#answer", AnswerBox)
        if not event.text.strip():
            box.status("请先输入回答，再按 Enter 提交。")
            return
        self.busy = True
        box.set_busy(True)
        self.score(event.text)

    @work(thread=True, exclusive=True, group="scoring", exit_on_error=False)
    def score(self, text: str) -> tuple[StepResult, Attempt | None]:
        """Score one answer (off the UI thread); the attempt too when the visit ends."""
        result = self.session.answer(text)
        return result, (self.session.attempt() if self.session.finished else None)

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Scoring done: show it. Failed: report it and keep the answer for another try."""
        if event.worker.group != "scoring":
            return
        if event.state == WorkerState.SUCCESS:
            await self._show_result(*event.worker.result)
        elif event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            if event.state == WorkerState.ERROR:
                self.app.worker_failed(event.worker)
            self.busy = False
            box = self.query_one("#answer", AnswerBox)
            box.set_busy(False)
            box.status("这次评分没有完成，你的回答还在，可以再提交一次。")
            (box.choices if box.choices.display else box.input).focus()

    async def _show_result(self, result: StepResult, attempt: Attempt | None) -> None:
        assert self._asking is not None
        step_id, name, mood, line, options = self._asking
        self.turns.append(Turn(step_id, name, mood, line, options, result))
        entries = self._answer_entries(step_id, options, result)
        self.query_one("#meters", MeterPanel).show(result.meters)
        self.post_message(StepScored(self.session, result))
        transcript = self.query_one("#transcript", Transcript)
        self.busy = False
        box = self.query_one("#answer", AnswerBox)
        box.set_busy(False)
        if attempt is None:
            await transcript.add(*entries)
            self._show_progress()
            await self._ask()
            return
        self.attempt = attempt
        entries.append(ending_notice(self.session.ending))
        if self.session.ending is not None and self.session.ending.text.strip():
            text = self.session.render(self.session.ending.text).strip()
            entries.append(ChineseMarkdown(text, classes="ending-text"))
        await transcript.add(*entries)
        self.query_one("#hint", HintPanel).display = False
        self._show_progress()
        box.finish()
        self.refresh_bindings()
        self.post_message(AttemptEnded(self.session, attempt, abandoned=False))

    def _answer_entries(self, step_id: str, options: tuple[str, ...], result: StepResult) -> list[Any]:
        """The trainee's answer as shown in the transcript, and in practice its feedback."""
        if result.choice is not None:
            said = Content(f"{result.choice}. {options[result.choice - 1]}")
        elif self.practice:  # the evidence highlighted is feedback too
            said = highlight_answer(result.answer, result.verdicts)
        else:
            said = Content(result.answer)
        entries: list[Any] = [trainee_says(said, choice=result.choice is not None)]
        if self.practice:
            step = self.session.scenario.step(step_id)
            catalogue = self.app.catalogue
            entries.append(FeedbackPanel(step, result, catalogue.criteria, catalogue.sections))
        return entries

    # -- leaving ---------------------------------------------------------------------

    @on(Button.Pressed, "#debrief-button")
    def action_debrief(self) -> None:
        if self.attempt is not None:
            self.post_message(OpenDebrief(self.session, self.attempt, tuple(self.turns)))

    def action_toggle_hint(self) -> None:
        hint = self.query_one("#hint", HintPanel)
        step = self.session.current
        if step is None:
            return
        hint.display = not hint.display
        if hint.display:
            hint.show_for(step, self.app.catalogue.criteria, self.app.catalogue.sections)

    def action_home(self) -> None:
        self.post_message(GoHome())

    def action_leave(self) -> None:
        """Esc during the visit: ask before abandoning it."""
        from simulator.tui.dialogs.confirm import ConfirmAbandon

        def decided(abandon: bool | None) -> None:
            if abandon:
                self.abandon()

        self.app.push_screen(ConfirmAbandon(), decided)

    def abandon(self) -> None:
        """Close the session unfinished, report it, and go back to the library."""
        if not self.session.finished:
            attempt = self.session.close()
            self.post_message(AttemptEnded(self.session, attempt, abandoned=True))
        self.post_message(GoHome())
