"""Exam: the sitting's scenarios one after another against one clock, then the result.

During the sitting the screen shows the briefing, the visitor's lines and the trainee's
own answers only: no hints, no meters, no mood, no verdicts, no ending. A countdown is
refreshed every second from ``ExamRun.remaining()``; at zero the sitting is closed by the
core (``check_time``) and scored on what was answered. Every call into the run (answer,
time-out, hand-in) is store work and runs in the ``exam`` worker group, one at a time.
The result screen is the first place feedback appears.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Digits, Footer, Static
from textual.worker import Worker, WorkerState

from simulator import engine
from simulator.tui.messages import AnswerSubmitted, ExamEnded, GoHome
from simulator.tui.widgets.answer import AnswerBox
from simulator.tui.widgets.bars import SectionProfile
from simulator.tui.widgets.feedback import VerdictList, highlight_answer, verdict_rows
from simulator.tui.widgets.header import AppHeader
from simulator.tui.widgets.markdown import ChineseMarkdown
from simulator.tui.widgets.prose import join_cjk_lines, prose
from simulator.tui.widgets.transcript import Transcript, trainee_says, visitor_says

if TYPE_CHECKING:
    from simulator.exam import ExamRun
    from simulator.store import AnswerRecord, AttemptRecord


def clock_text(seconds: float) -> str:
    """``mm:ss`` (or ``h:mm:ss``) left, rounded up so 0:00 means the time is over."""
    whole = int(-(-max(0.0, seconds) // 1))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


class Countdown(Static):
    """Time left in the sitting; amber in the last five minutes, red in the last one."""

    DEFAULT_CSS = """
    Countdown { width: auto; padding: 0 1; text-style: bold; background: $primary 30%; }
    Countdown.-low { background: $warning 40%; }
    Countdown.-last { background: $error 50%; }
    """

    def show(self, seconds: float) -> None:
        self.update(f"剩余时间 {clock_text(seconds)}")
        self.set_class(60 < seconds <= 300, "-low")
        self.set_class(seconds <= 60, "-last")


class ExamScreen(Screen):
    """One sitting in progress; Esc asks before handing in."""

    BINDINGS = [Binding("escape", "submit", "交卷")]
    DEFAULT_CSS = """
    ExamScreen #exam-bar { height: 1; padding: 0 1; }
    ExamScreen #exam-part { width: 1fr; color: $accent; text-style: bold; }
    ExamScreen .part-line { margin: 1 0 0 0; text-align: center; color: $text-muted; }
    """

    def __init__(self, run: ExamRun) -> None:
        super().__init__()
        self.run = run
        self.busy = False
        self._part = -1  # index of the scenario whose briefing is on screen
        self._asking: tuple[str, ...] | None = None  # options of the step being asked

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Horizontal(id="exam-bar"):
            yield Static(id="exam-part")
            yield Countdown(id="countdown")
        yield Transcript(id="transcript")
        yield AnswerBox(id="answer")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"考试 · {self.run.exam.title}"
        self.query_one("#transcript", Transcript).anchor()
        self.tick()
        self._timer = self.set_interval(1, self.tick)
        if self.run.restored:
            self.notify(f"已恢复之前保存的 {self.run.restored} 条作答，计时没有中断。", title="继续考试")
        self.call_after_refresh(self._ask)

    # -- the clock ---------------------------------------------------------------------

    def tick(self) -> None:
        """Show the time left; at zero (and nothing in flight) let the core close the sitting."""
        remaining = self.run.remaining()
        self.query_one("#countdown", Countdown).show(remaining)
        if remaining <= 0 and not self.busy and not self.run.finished:
            self._set_busy(True)
            self.time_out()

    @work(thread=True, exclusive=True, group="exam", exit_on_error=False)
    def time_out(self) -> tuple[str, None]:
        self.run.check_time()
        return "timeout", None

    # -- asking ------------------------------------------------------------------------

    async def _ask(self) -> None:
        """Show the next scenario's briefing when a new one starts, then the visitor's line."""
        run = self.run
        if run.finished:
            self._ended(timed_out=run.sitting.status == "timeout")
            return
        session = run.session
        if session is None or session.current is None:
            return
        transcript = self.query_one("#transcript", Transcript)
        if run.index != self._part:
            self._part = run.index
            total = len(run.plan)
            title = session.scenario.title
            self.query_one("#exam-part", Static).update(f"第 {run.index + 1}/{total} 个场景：{title}")
            briefing = session.render(session.scenario.briefing).strip()
            await transcript.add(
                Static(Content.styled(f"—— 第 {run.index + 1} 个场景：{title} ——", "bold"),
                       classes="part-line"),
                *([ChineseMarkdown(briefing, classes="ending-text")] if briefing else []))
        options = tuple(session.options())
        self._asking = options
        line = join_cjk_lines(session.visitor_line().strip(), keep_sentences=True)
        await transcript.add(visitor_says(session.visitor_name(), "", line))
        box = self.query_one("#answer", AnswerBox)
        if options:
            box.ask_choice(list(options))
        else:
            box.ask_free()

    # -- answering ---------------------------------------------------------------------

    @on(AnswerSubmitted)
    def _answer(self, event: AnswerSubmitted) -> None:
        event.stop()
        if self.busy or self.run.finished or self._asking is None:
            return
        if not event.text.strip():
            self.query_one("#answer", AnswerBox).status("请先输入回答，再按 Enter 提交。")
            return
        self._set_busy(True)
        self.play(event.text)

    @work(thread=True, exclusive=True, group="exam", exit_on_error=False)
    def play(self, text: str) -> tuple[str, object]:
        """Commit one answer (None back means the time ran out first)."""
        return "answer", self.run.answer(text)

    def action_submit(self) -> None:
        """Esc: ask, then hand in."""
        from simulator.tui.dialogs.submit import ConfirmSubmit

        def decided(submit: bool | None) -> None:
            if submit and not self.busy and not self.run.finished:
                self._set_busy(True)
                self.hand_in()

        self.app.push_screen(ConfirmSubmit(), decided)

    @work(thread=True, exclusive=True, group="exam", exit_on_error=False)
    def hand_in(self) -> tuple[str, None]:
        self.run.submit()
        return "submit", None

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.query_one("#answer", AnswerBox).set_busy(busy)
        if not busy:
            self.query_one("#answer", AnswerBox).status("")

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "exam":
            return
        if event.state == WorkerState.ERROR:
            self.app.worker_failed(event.worker)
            self._set_busy(False)
            box = self.query_one("#answer", AnswerBox)
            box.status("这次作答没有保存，你的回答还在，可以再提交一次。")
            (box.choices if box.choices.display else box.input).focus()
        elif event.state == WorkerState.SUCCESS:
            kind, result = event.worker.result
            if kind == "answer" and result is not None:
                await self._answered(result)
            else:
                self._ended(timed_out=self.run.sitting.status == "timeout")

    async def _answered(self, result) -> None:
        options = self._asking or ()
        if result.choice is not None:
            said = trainee_says(Content(f"{result.choice}. {options[result.choice - 1]}"), choice=True)
        else:
            said = trainee_says(Content(result.answer))
        entries = [said]
        if self.run.finished or self.run.index != self._part:
            entries.append(Static(Content.styled("—— 本场景结束 ——", "bold"), classes="part-line"))
        await self.query_one("#transcript", Transcript).add(*entries)
        self._set_busy(False)
        await self._ask()

    def _ended(self, timed_out: bool) -> None:
        self._timer.stop()
        self.query_one("#countdown", Countdown).show(self.run.remaining())
        if timed_out:
            self.notify("考试时间到，已按作答的内容自动交卷。", title="时间到", severity="warning",
                        timeout=10)
        self.post_message(ExamEnded(self.run, timed_out))


# ---------------------------------------------------------------- the result


class ScenarioResult(Vertical):
    """One planned scenario after the exam: its score, every answer with verdicts."""

    DEFAULT_CSS = """
    ScenarioResult {
        height: auto; border: round $secondary; border-title-color: $secondary;
        padding: 0 1; margin: 1 0 0 0;
        & > .said { margin-top: 1; }
        & > .model-answer { margin-top: 1; }
    }
    """

    def __init__(self, number: int, scenario_id: str, attempt: AttemptRecord | None,
                 answers: list[AnswerRecord], library, criteria, sections) -> None:
        super().__init__()
        self.scenario = library.get(scenario_id)
        self.attempt, self.answers = attempt, answers
        self.criteria, self.sections = criteria, sections
        title = self.scenario.title if self.scenario else scenario_id
        score = "未作答 · 0 分" if attempt is None or attempt.score is None else \
            f"{attempt.score:g} 分（{attempt.level}）"
        self.border_title = f"第 {number} 个场景 · {title} · {score}"

    def compose(self) -> ComposeResult:
        if not self.answers:
            yield Static(Content.styled("这个场景没有作答。", "$text-muted"), classes="said")
        texts = engine.said_texts(self.scenario, self.answers) if self.scenario else \
            [a.answer for a in self.answers]
        for answer, text in zip(self.answers, texts, strict=True):
            step = self.scenario.step(answer.step) if self.scenario else None
            said = Content(text) if answer.choice is not None else \
                highlight_answer(answer.answer, answer.verdicts)
            yield Static(prose(Content.assemble(("你：", "bold $primary"), said, "  ",
                                                (f"{answer.final_score:g} 分", "$text-muted"))),
                         classes="said")
            if step is not None:
                yield VerdictList(verdict_rows(step, answer.result(), self.criteria, self.sections))
                if step.model_answer:
                    yield Static(prose(Content.assemble(("参考答案：", "bold $success"),
                                                        join_cjk_lines(step.model_answer.strip(),
                                                                       keep_sentences=True))),
                                 classes="model-answer")


class ExamResultScreen(Screen):
    """The sitting's score, pass or fail, §1–§7 profile, and now the feedback."""

    BINDINGS = [Binding("escape", "home", "返回场景库")]
    DEFAULT_CSS = """
    ExamResultScreen #result-body { height: 1fr; padding: 0 2; }
    ExamResultScreen #result-row { height: auto; margin-top: 1; }
    ExamResultScreen #result-score { width: auto; color: $accent; }
    ExamResultScreen #result-facts { width: 1fr; height: auto; padding: 0 2; }
    """

    def __init__(self, run: ExamRun, timed_out: bool) -> None:
        super().__init__()
        self.run = run
        self.timed_out = timed_out

    def compose(self) -> ComposeResult:
        sitting, exam = self.run.sitting, self.run.exam
        score = sitting.final_score or 0.0
        verdict = ("通过", "bold $success") if sitting.passed else ("未通过", "bold $error")
        how = "时间到，自动交卷" if self.timed_out or sitting.status == "timeout" else "已交卷"
        yield AppHeader()
        with VerticalScroll(id="result-body"):
            with Horizontal(id="result-row"):
                yield Digits(f"{score:g}", id="result-score")
                with Vertical(id="result-facts"):
                    yield Static(Content.assemble(("考试结果 · ", "$text-muted"), verdict,
                                                  (f"（{exam.pass_mark:g} 分及格）", "$text-muted")),
                                 id="result-verdict")
                    yield Static(Content.styled(f"{sitting.level or ''} · {how}", "$text-muted"),
                                 id="result-how")
            yield Static("按指引各部分的表现", classes="section-title")
            yield SectionProfile(sitting.sections, self.app.catalogue.sections, id="result-profile")
            yield Static("逐个场景回顾（考试结束后才显示评判）", classes="section-title")
            yield Vertical(id="result-items")
        with Horizontal(classes="actions"):
            yield Button("返回场景库（Esc）", id="result-home", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"考试结果 · {self.run.exam.title}"
        self.query_one("#result-body").focus()
        self.load()

    @work(thread=True, exclusive=True, group="exam-result", exit_on_error=False)
    def load(self) -> list:
        return self.run.transcript()

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "exam-result":
            return
        if event.state == WorkerState.ERROR:
            self.app.worker_failed(event.worker)
        elif event.state == WorkerState.SUCCESS:
            catalogue = self.app.catalogue
            library = self.run.library
            await self.query_one("#result-items", Vertical).mount_all(
                ScenarioResult(n, sid, attempt, answers, library, catalogue.criteria,
                               catalogue.sections)
                for n, (sid, attempt, answers) in enumerate(event.worker.result, 1))

    @on(Button.Pressed, "#result-home")
    def action_home(self) -> None:
        self.post_message(GoHome())
