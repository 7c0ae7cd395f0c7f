"""The practice app: screens, navigation, background loading and the one error handler.

Start-up is a budget: only the home screen is imported before the first paint; the
scenario library and the detector (rubrics, OpenCC) load in worker threads right after
it. Every answered step and every ended attempt passes through ``StepScored`` /
``AttemptEnded`` here, where an optional ``recorder`` (the store) persists it.
``mode`` is ``practice`` (feedback and hints) or ``exam`` (neither). With ``watch`` set
(``simulator play FILE --watch``) the app previews one scenario file for its author and
reloads it whenever the file changes, showing its errors instead of crashing.
With a store the app also offers interrupted practice to resume, the trainee's history
(F4), the timed exam (F5) and trainer review (F6); ``clock`` is the exam's clock (tests
pass a fake one).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from simulator.data import builtin_dir
from simulator.tui.screens.home import HomeScreen

if TYPE_CHECKING:
    from textual.command import Provider

    from simulator.engine import Session
    from simulator.exam import Exam, ExamRun
    from simulator.model import Attempt, Scenario, StepResult
    from simulator.scoring import Catalogue, Detector
    from simulator.store import Store, Trainee
    from simulator.tui.library import Library
    from simulator.tui.messages import (
        AttemptEnded,
        ExamEnded,
        GoHome,
        OpenBriefing,
        OpenDebrief,
        Retry,
        StartConversation,
        StepScored,
    )

#: Seconds between two looks at a watched scenario file's modification time.
WATCH_INTERVAL = 0.5

#: Set to a file path: the app appends ``paint <time>`` at its first paint and
#: ``library <time>`` once the library is listed, then exits (bench/startup.py).
BENCH_ENV = "SIMULATOR_BENCH_PAINT"

_ERROR_TITLES = {
    "scoring": "评分出错",
    "startup": "载入场景库出错",
    "prepare": "准备场景出错",
    "store": "读取练习记录出错",
    "history": "读取练习记录出错",
    "exam": "考试出错",
    "exam-result": "读取考试结果出错",
    "review": "复核出错",
    "review-detail": "读取作答记录出错",
}


def _scenario_commands() -> type[Provider]:
    from simulator.tui.commands import ScenarioCommands

    return ScenarioCommands


class Recorder(Protocol):
    """What a store implements to persist practice (see ``StepScored``/``AttemptEnded``)."""

    def step_scored(self, session: Session, result: StepResult) -> None: ...

    def attempt_ended(self, session: Session, attempt: Attempt, abandoned: bool) -> None: ...


class SimulatorApp(App[int]):
    """信访接待模拟训练: library -> briefing -> conversation -> debrief."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "信访接待模拟训练"
    COMMANDS = App.COMMANDS | {_scenario_commands}
    BINDINGS = [
        Binding("f1", "help", "帮助"),
        Binding("ctrl+t", "toggle_theme", "切换主题"),
        Binding("f3", "check_in", "切换学员", show=False),
        Binding("f4", "history", "练习记录", show=False),
        Binding("f5", "exam", "参加考试", show=False),
        Binding("f6", "review", "人工复核", show=False),
        Binding("ctrl+p", "command_palette", "命令面板", show=False, priority=True),
        Binding("ctrl+q", "quit", "退出", priority=True),
        Binding("ctrl+c", "help_quit", show=False, system=True),
    ]

    def __init__(
        self,
        scenario_dirs: Iterable[Path] | None = None,
        data_dir: str | None = None,
        mode: str = "practice",
        detector: Detector | None = None,
        recorder: Recorder | None = None,
        watch: Path | None = None,
        store: Store | None = None,
        open_store: bool = False,
        exam_dirs: Sequence[Path] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.store = store
        #: Open the record in ``data_dir`` after the first paint (``run_app`` does).
        self._open_store = open_store and store is None
        self.trainee: Trainee | None = None
        self.scenario_dirs: Sequence[Path] = list(scenario_dirs or [builtin_dir("scenarios")])
        self.watch = watch
        self._watch_stamp: float | None = None
        self._watch_pending: float | None = None
        self.data_dir = data_dir
        #: Where exams are listed from (default: the data folder's exams/, then the built-in).
        self.exam_dirs = exam_dirs
        self.clock = clock
        self.mode = mode
        self.recorder = recorder
        self.library: Library | None = None
        self._detector = detector
        self._detector_error: BaseException | None = None
        self._detector_ready = threading.Event()
        if detector is not None:
            self._detector_ready.set()

    # -- start-up ----------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return HomeScreen()

    def on_ready(self) -> None:
        """First paint is on screen: mark it for the bench, then load in the background."""
        self._bench_mark("paint")
        if self._open_store:
            self.open_store()
        elif self.store is not None:
            self._store_ready(self.store, self.store.current_trainee())
        if self.watch is not None:
            self._watch_stamp = self._stamp()
            self.load_watched(first=True)
            self.set_interval(WATCH_INTERVAL, self._poll_watched)
        else:
            self.load()

    @work(thread=True, group="store", exit_on_error=False)
    def open_store(self) -> None:
        """Open the record off the UI thread (importing and migrating it costs start-up time);
        if it cannot be opened, say why and practise without saving."""
        from simulator.store import Store, StoreError

        try:
            store = Store.open(self.data_dir)
            trainee = store.current_trainee()
        except StoreError as error:
            self.call_from_thread(self.report_error, "练习记录无法保存", error)
            return
        self.call_from_thread(self._store_ready, store, trainee)

    def _store_ready(self, store: Store, trainee: Trainee | None) -> None:
        self.store = store
        if self.watch is not None:
            return
        self.trainee = trainee
        if trainee is None:
            self.action_check_in()
        else:
            self.offer_resume()

    def _bench_mark(self, what: str) -> None:
        path = os.environ.get(BENCH_ENV)
        if path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(f"{what} {time.time():.6f}\n")
            if what == "library":
                self.exit(0)

    @work(thread=True, group="startup", exit_on_error=False)
    def load(self) -> None:
        """The detector (rubrics) first, then the library, whose local criteria need it."""
        catalogue = None
        if self._detector is None:
            try:
                from simulator.scoring import default_detector

                self._detector = default_detector()
            except Exception as error:
                self._detector_error = error
                self.call_from_thread(self.report_error, "载入评分标准出错", error)
            finally:
                self._detector_ready.set()
        if self._detector is not None:
            catalogue = self._detector.catalogue
        from simulator.tui.library import load_library

        library = load_library(self.scenario_dirs, catalogue)
        self.call_from_thread(self._library_loaded, library)

    # -- live preview of one scenario file -------------------------------------------------

    def _stamp(self) -> float | None:
        try:
            return self.watch.stat().st_mtime_ns if self.watch is not None else None
        except OSError:
            return None

    def _poll_watched(self) -> None:
        """Reload once the file changed and then stayed the same for one more look
        (editors often save in several writes)."""
        stamp = self._stamp()
        if stamp == self._watch_stamp:
            self._watch_pending = None
        elif stamp != self._watch_pending:
            self._watch_pending = stamp
        else:
            self._watch_stamp, self._watch_pending = stamp, None
            self.load_watched(first=False)

    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def load_watched(self, first: bool) -> None:
        """Load (or reload) the watched file; on success a fresh visit, else its problems."""
        from simulator.loader import load_scenario

        scenario, problems = load_scenario(self.watch, catalogue=self.detector().catalogue)
        if scenario is None:
            lines = [str(p) for p in problems] or [f"{self.watch}: 无法载入"]
            self.call_from_thread(self._show_problems, lines)
            return
        session = None if first else self.new_session(scenario)
        self.call_from_thread(self._watched_loaded, scenario, session)

    def _show_over_home(self, screen: Screen) -> None:
        """Show ``screen`` right above the home screen (replacing what was there)."""
        if isinstance(self.screen, HomeScreen):
            self.push_screen(screen)
        else:
            while len(self.screen_stack) > 2:
                self.pop_screen()
            self.switch_screen(screen)

    def _show_problems(self, lines: list[str]) -> None:
        from simulator.tui.screens.problems import ProblemsScreen

        self._show_over_home(ProblemsScreen(lines))

    def _watched_loaded(self, scenario: Scenario, session: Session | None) -> None:
        from simulator.tui.library import Library
        from simulator.tui.screens.briefing import BriefingScreen
        from simulator.tui.screens.conversation import ConversationScreen

        self.library = Library([scenario])
        self.screen_stack[0].show_library(self.library)
        if session is None:
            self._show_over_home(BriefingScreen(scenario))
        else:
            self._show_over_home(ConversationScreen(session, mode=self.mode))
            self.notify(f"已重新载入 {self.watch.name}，对话重新开始。", title="场景已更新")

    def _library_loaded(self, library: Library) -> None:
        self.library = library
        home = next((s for s in self.screen_stack if isinstance(s, HomeScreen)), None)
        if home is not None:
            home.show_library(library)
        self.offer_resume()
        if library.broken:
            self.notify("\n".join(library.broken[:5]), severity="warning", timeout=10,
                        title=f"有 {len(library.broken)} 个场景文件无法载入")
        self.call_after_refresh(self._bench_mark, "library")

    def detector(self) -> Detector:
        """The detector, waiting for the start-up load; call only from a worker thread."""
        self._detector_ready.wait()
        if self._detector is None:
            raise RuntimeError(f"评分标准没有载入：{self._detector_error}")
        return self._detector

    @property
    def catalogue(self) -> Catalogue:
        """The criteria catalogue (available once a session exists)."""
        assert self._detector is not None
        return self._detector.catalogue

    def new_session(self, scenario: Scenario) -> Session:
        """A fresh session for ``scenario``; blocks until the detector is loaded.

        With a store and a checked-in trainee the session is recorded from its first
        answer on: every answer is committed before ``answer()`` returns, so before the
        visitor's reply is shown.
        """
        if self.store is not None and self.trainee is not None:
            from simulator import progress

            return progress.start(self.store, self.trainee.id, scenario, detector=self.detector(),
                                  deferred=True)
        from simulator.engine import Session

        return Session(scenario, detector=self.detector())

    def action_check_in(self) -> None:
        """Ask who is practising (first start, or F3 to switch)."""
        if self.store is None:
            self.notify("没有可用的数据目录，练习记录不会保存。", severity="warning")
            return
        from simulator.tui.dialogs.checkin import CheckInDialog

        current = self.trainee
        self.push_screen(CheckInDialog(*(current.id, current.name) if current else ()),
                         self._checked_in)

    def _checked_in(self, identity: tuple[str, str] | None) -> None:
        if identity is None or self.store is None:
            return
        try:
            self.trainee = self.store.set_current_trainee(*identity)
        except Exception as error:
            self.report_error("签到出错", error)
            return
        self.notify(f"{self.trainee.name}（{self.trainee.id}），欢迎练习。", title="签到成功")
        self.offer_resume()

    # -- interrupted practice ---------------------------------------------------------

    def offer_resume(self) -> None:
        """Once both the library and the trainee are known: look for unfinished practice."""
        if self.store is not None and self.trainee is not None and self.library is not None \
                and self.watch is None:
            self.find_resumable(self.trainee.id)

    @work(thread=True, exclusive=True, group="store", exit_on_error=False)
    def find_resumable(self, trainee_id: str) -> None:
        """Interrupted attempts at scenarios still in the library, with at least one answer
        (a briefing opened and left behind is not worth offering)."""
        from simulator import progress

        open_ = [a for a in progress.resumable(self.store, trainee_id)
                 if self.library.get(a.scenario) is not None]
        counts = self.store.answer_counts([a.id for a in open_])
        offer = [(a.id, self.library.get(a.scenario).title, counts[a.id], a.started_at)
                 for a in open_ if counts.get(a.id)]
        if offer:
            self.call_from_thread(self._offer, offer)

    def _offer(self, offer: list[tuple[int, str, int, float]]) -> None:
        from simulator.tui.dialogs.resume import ResumeDialog

        if isinstance(self.screen, HomeScreen):
            self.push_screen(ResumeDialog(offer), self._resume_chosen)

    def _resume_chosen(self, attempt_id: int | None) -> None:
        if attempt_id is not None:
            self.resume_attempt(attempt_id)

    @work(thread=True, exclusive=True, group="store", exit_on_error=False)
    def resume_attempt(self, attempt_id: int) -> None:
        """Rebuild the attempt from its committed answers and carry on where it stopped."""
        from simulator import progress
        from simulator.store import StoreError
        from simulator.tui.screens.conversation import replay_turns

        record = self.store.attempt(attempt_id)
        scenario = self.library.get(record.scenario) if self.library else None
        if scenario is None:
            raise StoreError(f"场景 {record.scenario} 已不在场景库里，无法继续")
        detector = self.detector()
        session = progress.resume(self.store, attempt_id, scenario, detector=detector)
        turns = replay_turns(scenario, [a.answer for a in self.store.answers(attempt_id)], detector)
        self.call_from_thread(self._resumed, session, turns)

    def _resumed(self, session: Session, turns: tuple) -> None:
        from simulator.tui.messages import OpenDebrief
        from simulator.tui.screens.conversation import ConversationScreen

        self._home()
        if session.finished:
            self.notify("这次练习其实已经答完，直接进入讲评。", title="继续练习")
            self.push_screen(ConversationScreen(session, mode=self.mode, turns=turns))
            self.post_message(OpenDebrief(session, session.attempt(), turns))
            return
        self.push_screen(ConversationScreen(session, mode=self.mode, turns=turns))
        self.notify(f"已恢复之前的 {len(turns)} 步回答，接着往下答。", title="继续练习")

    # -- history and exam ---------------------------------------------------------------

    def _needs_store(self, what: str) -> bool:
        """True when ``what`` can open now: a store, a checked-in trainee, on the home screen."""
        if self.store is None:
            self.notify(f"没有可用的数据目录，无法{what}。", severity="warning")
        elif not isinstance(self.screen, HomeScreen):
            self.notify(f"请先回到场景库（Esc），再{what}。", severity="warning")
        elif self.library is None:
            self.notify("场景库还在载入，请稍候。", severity="warning")
        else:
            return True
        return False

    def action_history(self) -> None:
        if not self._needs_store("查看练习记录"):
            return
        if self.trainee is None:
            self.action_check_in()
            return
        from simulator.tui.screens.history import HistoryScreen

        self.push_screen(HistoryScreen())

    def action_exam(self) -> None:
        if self._needs_store("参加考试"):
            self.load_exams()

    def action_review(self) -> None:
        if self._needs_store("复核作答"):
            from simulator.tui.screens.review import ReviewScreen

            self.push_screen(ReviewScreen())

    @work(thread=True, exclusive=True, group="exam", exit_on_error=False)
    def load_exams(self) -> None:
        from simulator.exam import list_exams

        self.detector()  # the library's local criteria are compiled by now
        folders = list(self.exam_dirs or [self.store.paths.exams, builtin_dir("exams")])
        library = {s.id: s for s in self.library.scenarios}
        exams = list_exams(folders, library)
        self.call_from_thread(self._pick_exam, exams)

    def _pick_exam(self, exams: list) -> None:
        from simulator.tui.dialogs.exams import ExamPicker

        self.push_screen(ExamPicker(exams), self._exam_chosen)

    def _exam_chosen(self, exam: Exam | None) -> None:
        if exam is None:
            return
        from simulator.tui.dialogs.checkin import CheckInDialog

        current = self.trainee
        self.push_screen(
            CheckInDialog(*(current.id, current.name) if current else (),
                          title=f"考试签到：{exam.title}"),
            lambda identity: self._exam_checked_in(exam, identity))

    def _exam_checked_in(self, exam: Exam, identity: tuple[str, str] | None) -> None:
        if identity is not None:
            self.exam_check_in(exam, *identity)

    @work(thread=True, exclusive=True, group="exam", exit_on_error=False)
    def exam_check_in(self, exam: Exam, trainee_id: str, name: str) -> None:
        """Start the sitting, or resume the open one with the clock that was running."""
        from simulator.exam import check_in

        library = {s.id: s for s in self.library.scenarios}
        run = check_in(self.store, exam, trainee_id, name, library, detector=self.detector(),
                       clock=self.clock)
        self.call_from_thread(self._exam_started, run)

    def _exam_started(self, run: ExamRun) -> None:
        from simulator.tui.screens.exam import ExamResultScreen, ExamScreen

        self._home()
        if run.finished:  # resumed after the deadline: closed on check-in
            self.notify("考试时间已到，按保存的作答评分。", title="时间到", severity="warning")
            self.push_screen(ExamResultScreen(run, timed_out=run.sitting.status == "timeout"))
        else:
            self.push_screen(ExamScreen(run))

    def on_exam_ended(self, message: ExamEnded) -> None:
        from simulator.tui.screens.exam import ExamResultScreen

        self.switch_screen(ExamResultScreen(message.run, message.timed_out))

    # -- errors: the one place ---------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker) -> None:
        """Every failed worker (the app's and the screens') is reported here."""
        self.report_error(_ERROR_TITLES.get(worker.group, "出错了"), worker.error)

    def report_error(self, title: str, error: BaseException | None) -> None:
        """Tell the trainee what went wrong, in Chinese, without a traceback."""
        detail = str(error) if error is not None else ""
        if error is not None and not any("\u4e00" <= ch <= "\u9fff" for ch in detail):
            detail = f"内部错误（{type(error).__name__}）{'：' + detail if detail else ''}"
        self.notify(detail or "未知错误", title=title, severity="error", timeout=10)

    # -- navigation --------------------------------------------------------------------

    def _home(self) -> HomeScreen:
        while not isinstance(self.screen, HomeScreen):
            self.pop_screen()
        return self.screen

    def start_scenario(self, scenario_id: str) -> None:
        """Open a scenario's briefing from anywhere, asking first if a visit is under way."""
        from simulator.tui.messages import OpenBriefing
        from simulator.tui.screens.conversation import ConversationScreen
        from simulator.tui.screens.exam import ExamScreen

        screen = self.screen
        if isinstance(screen, ExamScreen):
            self.notify("考试进行中，不能开始练习。交卷后再练。", severity="warning")
        elif isinstance(screen, ConversationScreen) and not screen.session.finished:
            from simulator.tui.dialogs.confirm import ConfirmAbandon

            def decided(abandon: bool | None) -> None:
                if abandon:
                    screen.abandon()
                    self.post_message(OpenBriefing(scenario_id))

            self.push_screen(ConfirmAbandon(), decided)
        else:
            self.post_message(OpenBriefing(scenario_id))

    def on_open_briefing(self, message: OpenBriefing) -> None:
        from simulator.tui.screens.briefing import BriefingScreen

        scenario = self.library.get(message.scenario_id) if self.library else None
        if scenario is None:
            self.notify(f"找不到场景：{message.scenario_id}", severity="error")
            return
        self._home()
        self.push_screen(BriefingScreen(scenario))

    def on_start_conversation(self, message: StartConversation) -> None:
        from simulator.tui.screens.conversation import ConversationScreen

        self.switch_screen(ConversationScreen(message.session, mode=self.mode))

    def on_open_debrief(self, message: OpenDebrief) -> None:
        from simulator.tui.screens.debrief import DebriefScreen

        catalogue = self.catalogue
        self.switch_screen(DebriefScreen(message.session, message.attempt, message.turns,
                                         catalogue.criteria, catalogue.sections))

    def on_retry(self, message: Retry) -> None:
        from simulator.tui.screens.conversation import ConversationScreen

        scenario = self.library.get(message.scenario_id) if self.library else None
        if scenario is None:
            return
        self.switch_screen(ConversationScreen(self.new_session(scenario), mode=self.mode))

    def on_go_home(self, message: GoHome) -> None:
        self._home().query_one("#filter").focus()

    # -- hooks for the store ------------------------------------------------------------

    def on_step_scored(self, message: StepScored) -> None:
        if self.recorder is not None:
            self._record(self.recorder.step_scored, message.session, message.result)

    def on_attempt_ended(self, message: AttemptEnded) -> None:
        if self.recorder is not None:
            self._record(self.recorder.attempt_ended, message.session, message.attempt,
                         message.abandoned)

    def _record(self, call, *args) -> None:
        try:
            call(*args)
        except Exception as error:
            self.report_error("保存练习记录出错", error)

    # -- app-wide actions ---------------------------------------------------------------

    def action_help(self) -> None:
        from simulator.tui.dialogs.help import HelpDialog

        if not isinstance(self.screen, HelpDialog):
            self.push_screen(HelpDialog())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_help_quit(self) -> None:
        self.notify("按 Ctrl+Q 退出。", title="退出")

    def action_command_palette(self) -> None:
        from simulator.tui.commands import Palette

        if self.use_command_palette and not Palette.is_open(self):
            self.push_screen(Palette())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand("切换主题", "在深色和浅色主题之间切换（Ctrl+T）", self.action_toggle_theme)
        yield SystemCommand("帮助", "按键说明和评分方法（F1）", self.action_help)
        yield SystemCommand("切换学员", "用另一个工号签到（F3）", self.action_check_in)
        yield SystemCommand("练习记录", "历次练习、各部分变化和推荐练习（F4）", self.action_history)
        yield SystemCommand("参加考试", "选择考试，签到后限时作答（F5）", self.action_exam)
        yield SystemCommand("人工复核", "培训老师复核作答，修改判定或得分并写明理由（F6）",
                            self.action_review)
        yield SystemCommand("退出", "退出训练程序（Ctrl+Q）", self.action_quit)


def run_app(data_dir: str | None = None, watch: Path | None = None) -> int:
    """Run the TUI until the trainee quits; the process exit code.

    ``watch``: preview this one scenario file, reloading it whenever it changes.
    """
    app = SimulatorApp(data_dir=data_dir, watch=watch, open_store=True)
    app.run()
    return app.return_code or 0
