"""Trainer review (F6): pick a finished attempt, pick a step, override its verdicts or score.

The top table lists every finished attempt in the record, exams first and newest first;
the one under the cursor shows its steps (what was said, automatic and reviewed score,
criteria judged shown) and its audit trail. Enter on a step opens ``ReviewDialog``; the
decision is stored by ``grading.review_step`` in the ``review`` worker group, exactly as
``simulator review`` does, so the audit table, the reviewed totals and the reports follow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from simulator.tui.widgets.header import AppHeader
from simulator.tui.widgets.prose import prose

if TYPE_CHECKING:
    from simulator.store import AnswerRecord, AttemptRecord, Override
    from simulator.tui.dialogs.review import ReviewDecision

#: Characters of an answer shown in the steps table (the line below shows it whole).
ANSWER_WIDTH = 12

_MODE = {"practice": "练习", "exam": "考试"}


def when(timestamp: float | None) -> str:
    return time.strftime("%m-%d %H:%M", time.localtime(timestamp)) if timestamp else "—"


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def clip(text: str, width: int = ANSWER_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True, slots=True)
class AttemptRow:
    record: AttemptRecord
    trainee: str  # "name（id）"
    title: str


@dataclass(frozen=True, slots=True)
class Detail:
    """One attempt as the reviewer sees it."""

    record: AttemptRecord
    answers: list[AnswerRecord]
    said: list[str]
    overrides: list[Override]


class ReviewScreen(Screen):
    """Every finished attempt; Enter on a step reviews it."""

    BINDINGS = [Binding("escape", "back", "返回场景库")]
    DEFAULT_CSS = """
    ReviewScreen #review-body { height: 1fr; padding: 0 2; }
    ReviewScreen #review-help { margin-top: 1; color: $text-muted; }
    ReviewScreen DataTable { height: auto; max-height: 10; }
    ReviewScreen #review-steps { max-height: 12; }
    ReviewScreen #review-step { margin-top: 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AttemptRow] = []
        self.detail: Detail | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with VerticalScroll(id="review-body"):
            yield Static("↑↓ 选择作答记录，Enter 进入逐步判定，再按 Enter 复核这一步。", id="review-help")
            yield Static("已结束的作答（考试在前）", classes="section-title")
            yield DataTable(id="review-attempts", cursor_type="row", zebra_stripes=True)
            yield Static("逐步判定", classes="section-title", id="review-steps-title")
            yield DataTable(id="review-steps", cursor_type="row", zebra_stripes=True)
            yield Static(id="review-step")
            yield Static("复核记录", classes="section-title")
            yield Static(id="review-audit")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "人工复核"
        self.query_one("#review-attempts", DataTable).add_columns(
            "编号", "时间", "学员", "场景", "方式", "自动", "复核")
        self.query_one("#review-steps", DataTable).add_columns(
            "步", "回答", "自动", "复核", "判为出现")
        self.query_one("#review-attempts", DataTable).focus()
        self.load_attempts()

    # -- reading the record (workers) ----------------------------------------------------

    @work(thread=True, exclusive=True, group="review", exit_on_error=False)
    def load_attempts(self) -> list[AttemptRow]:
        app = self.app
        names = {t.id: f"{t.name}（{t.id}）" for t in app.store.trainees()}
        done = [a for a in app.store.attempts() if a.status != "open"]
        done.sort(key=lambda a: (a.mode != "exam", -a.started_at, -a.id))
        titles = {s.id: s.title for s in app.library.scenarios}
        return [AttemptRow(a, names.get(a.trainee, a.trainee), titles.get(a.scenario, a.scenario))
                for a in done]

    @work(thread=True, exclusive=True, group="review-detail", exit_on_error=False)
    def load_detail(self, attempt_id: int) -> Detail:
        from simulator.engine import said_texts

        store = self.app.store
        answers = store.answers(attempt_id)
        record = store.attempt(attempt_id)
        scenario = self.app.library.get(record.scenario)
        said = said_texts(scenario, answers) if scenario else [a.answer for a in answers]
        return Detail(record, answers, said, store.overrides(attempt=attempt_id))

    @work(thread=True, exclusive=True, group="review", exit_on_error=False)
    def save(self, attempt_id: int, index: int,
             decision: ReviewDecision) -> tuple[int, float, float, float]:
        """Store the decision; (step, its score before, after, the attempt's reviewed score)."""
        from simulator.grading import review_step

        app = self.app
        library = {s.id: s for s in app.library.scenarios}
        before, new, total = review_step(
            app.store, attempt_id, index, reviewer=decision.reviewer, reason=decision.reason,
            library=library, criteria=app.catalogue.criteria, present=decision.present,
            absent=decision.absent, score=decision.score)
        app.store.set_setting("reviewer", decision.reviewer)
        return index, before.final_score, new, total

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group not in ("review", "review-detail"):
            return
        event.stop()
        if event.state == WorkerState.ERROR:
            self.app.worker_failed(worker)
        elif event.state != WorkerState.SUCCESS:
            return
        elif worker.name == "load_attempts":
            self.show_attempts(worker.result)
        elif worker.name == "load_detail":
            self.show_detail(worker.result)
        elif worker.name == "save":
            index, before, new, total = worker.result
            self.notify(f"第 {index + 1} 步：{before:g} → {new:g} 分；"
                        f"本次作答复核得分 {total:g} 分。", title="复核已保存")
            self.load_attempts()

    # -- laying it out -------------------------------------------------------------------

    def show_attempts(self, rows: list[AttemptRow]) -> None:
        table = self.query_one("#review-attempts", DataTable)
        keep = table.cursor_row
        self.rows = rows
        table.clear()
        for row in rows:
            a = row.record
            table.add_row(str(a.id), when(a.started_at), row.trainee, row.title,
                          _MODE.get(a.mode, a.mode), score(a.score), score(a.review_score),
                          key=str(a.id))
        if not rows:
            self.query_one("#review-audit", Static).update(
                Content.styled("还没有已结束的作答可以复核。", "$text-muted"))
            return
        table.move_cursor(row=min(keep, len(rows) - 1))
        self.load_detail(rows[table.cursor_row].record.id)

    @on(DataTable.RowHighlighted, "#review-attempts")
    def _attempt_highlighted(self, event: DataTable.RowHighlighted) -> None:
        row = event.data_table.cursor_row  # not the event's: refilling the table sends stale ones
        if self.rows and 0 <= row < len(self.rows):
            record = self.rows[row].record
            if self.detail is None or self.detail.record.id != record.id:
                self.load_detail(record.id)

    def show_detail(self, detail: Detail) -> None:
        self.detail = detail
        row = next((r for r in self.rows if r.record.id == detail.record.id), None)
        self.query_one("#review-steps-title", Static).update(
            f"逐步判定：编号 {detail.record.id}" + (f" · {row.trainee} · {row.title}" if row else ""))
        table = self.query_one("#review-steps", DataTable)
        keep = table.cursor_row
        table.clear()
        for answer, said in zip(detail.answers, detail.said, strict=True):
            shown = self._shown(answer)
            table.add_row(str(answer.index + 1), clip(said), score(answer.score),
                          score(answer.review_score), shown or "无")
        if detail.answers:
            table.move_cursor(row=min(keep, len(detail.answers) - 1))
            self.show_step(table.cursor_row)
        else:
            self.query_one("#review-step", Static).update(
                Content.styled("这次作答没有回答任何一步。", "$text-muted"))
        self.query_one("#review-audit", Static).update(self._audit(detail.overrides))

    @on(DataTable.RowHighlighted, "#review-steps")
    def _step_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_step(event.cursor_row)

    def show_step(self, index: int) -> None:
        """The highlighted step whole: what was said and every criterion judged shown."""
        if self.detail is None or not 0 <= index < len(self.detail.answers):
            return
        answer = self.detail.answers[index]
        shown = self._shown(answer)
        self.query_one("#review-step", Static).update(prose(Content.assemble(
            (f"第 {index + 1} 步（{answer.step}）：", "bold $primary"), self.detail.said[index],
            "\n", ("判为出现：", "$text-muted"), shown or "无")))

    def _shown(self, answer: AnswerRecord) -> str:
        """The titles of the criteria judged shown (a step's own criteria included)."""
        scenario = self.app.library.get(self.detail.record.scenario) if self.detail else None
        step = scenario.step(answer.step) if scenario else None
        lookup = {**self.app.catalogue.criteria, **(step.local if step else {})}
        return "、".join(lookup[v.criterion].title if v.criterion in lookup else v.criterion
                        for v in answer.final_verdicts if v.present)

    @staticmethod
    def _audit(overrides: list[Override]) -> Content:
        if not overrides:
            return Content.styled("这次作答还没有复核过。", "$text-muted")
        return Content("\n").join(
            Content.assemble((time.strftime("%Y-%m-%d %H:%M", time.localtime(o.at)), "$text-muted"),
                             f"  第 {o.index + 1} 步  {o.reviewer}  ",
                             (f"{o.old_score:g} → {o.new_score:g}", "bold"), f"  理由：{o.reason}")
            for o in overrides)

    # -- reviewing a step ------------------------------------------------------------------

    @on(DataTable.RowSelected, "#review-steps")
    def _step_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.open_dialog(event.cursor_row)

    @on(DataTable.RowSelected, "#review-attempts")
    def _attempt_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on an attempt moves to its steps."""
        event.stop()
        if self.detail is not None and self.detail.answers:
            self.query_one("#review-steps", DataTable).focus()
        else:
            self.notify("这次作答没有可复核的步骤。", severity="warning")

    def open_dialog(self, index: int) -> None:
        from simulator.tui.dialogs.review import ReviewChoice, ReviewDialog

        detail = self.detail
        if detail is None or not 0 <= index < len(detail.answers):
            return
        answer = detail.answers[index]
        scenario = self.app.library.get(detail.record.scenario)
        step = scenario.step(answer.step) if scenario else None
        if step is None:
            self.notify(f"场景 {detail.record.scenario} 已没有步骤 {answer.step}，无法复核。",
                        severity="error")
            return
        criteria = {**self.app.catalogue.criteria, **step.local}
        shown = {v.criterion for v in answer.final_verdicts if v.present}
        order = [*step.good, *step.bad, *sorted(shown),
                 *sorted(c for c, crit in criteria.items() if crit.kind == "bad")]
        choices = [ReviewChoice(cid, criteria[cid].title, criteria[cid].kind, cid in shown)
                   for cid in dict.fromkeys(order) if cid in criteria]
        dialog = ReviewDialog(f"复核第 {index + 1} 步（{answer.step}）", detail.said[index],
                              answer.final_score, choices,
                              reviewer=self.app.store.setting("reviewer") or "")

        def decided(decision: ReviewDecision | None) -> None:
            if decision is not None:
                self.save(detail.record.id, index, decision)

        self.app.push_screen(dialog, decided)

    def action_back(self) -> None:
        self.dismiss()
