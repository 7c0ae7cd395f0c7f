"""History: a trainee's practice over time, the §1–§7 trend, the weakest sections, "练这个".

The record is read in a worker (``progress.history``); the screen only lays it out.
Enter on a recommended scenario opens its briefing, so practice starts from here.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from simulator.tui.messages import OpenBriefing
from simulator.tui.widgets.header import AppHeader
from simulator.tui.widgets.prose import prose

if TYPE_CHECKING:
    from simulator.progress import History

#: Eighth blocks, lowest to highest: one cell per attempt in a section's trend.
BLOCKS = "▁▂▃▄▅▆▇█"
#: How many of the latest attempts a trend row shows.
TREND_POINTS = 16

_STATUS = {"finished": "完成", "closed": "未完成", "open": "进行中"}
_MODE = {"practice": "练习", "exam": "考试"}


def when(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp)) if timestamp else "—"


def _tone(score: float) -> str:
    return "$success" if score >= 75 else "$warning" if score >= 60 else "$error"


def trend_line(scores: list[float]) -> Content:
    """One block per score (0–100), coloured by level, oldest on the left."""
    return Content.assemble(*(
        (BLOCKS[min(len(BLOCKS) - 1, int(max(0.0, score) / 100 * len(BLOCKS)))], _tone(score))
        for score in scores[-TREND_POINTS:]))


def trend_rows(history: History, titles: dict[int, str]) -> Content:
    """Per section: label, the trend as bars, the latest score."""
    if not history.trend:
        return Content.styled("还没有完成的练习，练完一个场景后这里会显示各部分的变化。", "$text-muted")
    labels = {n: f"§{n} {titles.get(n, '')}".rstrip() for n in history.trend}
    width = max(Content(label).cell_length for label in labels.values()) + 2
    lines = []
    for section, points in history.trend.items():
        scores = [score for _, _, score in points]
        label = Content(labels[section])
        lines.append(Content.assemble(
            label.pad_right(width - label.cell_length),
            trend_line(scores).pad_right(TREND_POINTS + 1 - min(len(scores), TREND_POINTS)),
            ("最近 ", "$text-muted"), (f"{scores[-1]:g}", f"bold {_tone(scores[-1])}"),
            ("（", "$text-muted"), (f"{len(scores)} 次", "$text-muted"), ("）", "$text-muted")))
    return Content("\n").join(lines)


def weakest_rows(history: History) -> Content:
    if not history.weakest:
        text = "各部分近期都在 90 分以上，继续保持。" if history.trend else "练习之后这里会列出最需要加强的部分。"
        return Content.styled(text, "$text-muted")
    return Content("\n").join(
        Content.assemble((f"§{w.section} {w.title}", "bold"), "  近期平均 ",
                         (f"{w.score:g}", f"bold {_tone(w.score)}"),
                         (f" 分（最近 {w.attempts} 次）", "$text-muted"))
        for w in history.weakest)


class HistoryScreen(Screen):
    """The checked-in trainee's record; Enter on a recommendation opens that scenario."""

    BINDINGS = [
        Binding("escape", "back", "返回场景库"),
        Binding("enter", "practise", "练这个", show=False),
    ]
    DEFAULT_CSS = """
    HistoryScreen #history-body { height: 1fr; padding: 0 2; }
    HistoryScreen #history-who { margin-top: 1; }
    HistoryScreen #recommend { height: auto; max-height: 12; border: round $primary; }
    HistoryScreen #recommend:focus { border: round $accent; }
    HistoryScreen #attempts { height: auto; max-height: 14; }
    """

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with VerticalScroll(id="history-body"):
            yield Static("正在读取练习记录……", id="history-who")
            yield Static("最需要加强", classes="section-title")
            yield Static(id="weakest")
            yield Static("练这个（↑↓ 选择，Enter 开始）", classes="section-title")
            yield OptionList(id="recommend")
            yield Static("按指引各部分的变化（每格一次练习，左旧右新）", classes="section-title")
            yield Static(id="trend")
            yield Static("历次练习", classes="section-title")
            yield DataTable(id="attempts", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "练习记录"
        table = self.query_one("#attempts", DataTable)
        table.add_columns("时间", "场景", "方式", "得分", "等级", "状态")
        self.query_one("#recommend", OptionList).focus()
        self.load()

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self) -> History:
        """Read the record (off the UI thread)."""
        from simulator import progress

        app = self.app
        if app.store is None or app.trainee is None:
            raise RuntimeError("还没有签到，或者数据目录不可用，没有练习记录可看。")
        app.detector()  # the catalogue is ready once the detector is
        library = {s.id: s for s in app.library.scenarios} if app.library else {}
        return progress.history(app.store, app.trainee.id, library, app.catalogue)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "history":
            return
        if event.state == WorkerState.SUCCESS:
            self.show(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self.app.worker_failed(event.worker)
            self.query_one("#history-who", Static).update("练习记录现在无法读取。按 Esc 返回。")

    def show(self, history: History) -> None:
        titles = {n: s.title for n, s in self.app.catalogue.sections.items()}
        trainee = history.trainee
        scores = [a.final_score for a in history.attempts if a.final_score is not None]
        exams = sum(1 for a in history.attempts if a.mode == "exam")
        summary = f"共 {len(history.attempts) - exams} 次练习" + (f"、{exams} 次考试" if exams else "")
        if scores:
            summary += f"，平均 {sum(scores) / len(scores):.1f} 分，最高 {max(scores):g} 分"
        self.query_one("#history-who", Static).update(Content.assemble(
            (f"{trainee.name}（{trainee.id}）", "bold $accent"), "  ", (summary, "$text-muted")))
        self.query_one("#weakest", Static).update(weakest_rows(history))
        self.query_one("#trend", Static).update(trend_rows(history, titles))
        recommend = self.query_one("#recommend", OptionList)
        recommend.clear_options()
        for r in history.recommendations:
            recommend.add_option(Option(prose(Content.assemble(
                ("练这个：", "bold $success"), (r.title, "bold"), "\n", (r.reason, "$text-muted"))),
                id=r.scenario))
        if history.recommendations:
            recommend.highlighted = 0
        else:
            recommend.add_option(Option(Content.styled("暂时没有推荐：先在场景库里练几个场景吧。",
                                                       "$text-muted"), disabled=True))
        table = self.query_one("#attempts", DataTable)
        table.clear()
        for a in reversed(history.attempts):
            score = a.final_score
            table.add_row(when(a.started_at), history.titles.get(a.scenario, a.scenario),
                          _MODE.get(a.mode, a.mode), "—" if score is None else f"{score:g}",
                          a.level or "—", _STATUS.get(a.status, a.status))

    @on(OptionList.OptionSelected, "#recommend")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(OpenBriefing(event.option.id))

    def action_practise(self) -> None:
        recommend = self.query_one("#recommend", OptionList)
        option = recommend.highlighted_option
        if option is not None and option.id:
            self.post_message(OpenBriefing(option.id))

    def action_back(self) -> None:
        self.dismiss()
