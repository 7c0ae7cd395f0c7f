"""Briefing: what the trainee needs to know before the visitor walks in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Static
from textual.worker import Worker, WorkerState

from simulator.model import Scenario
from simulator.tui.messages import GoHome, StartConversation
from simulator.tui.widgets.header import AppHeader
from simulator.tui.widgets.library import summary_line
from simulator.tui.widgets.markdown import ChineseMarkdown

if TYPE_CHECKING:
    from simulator.engine import Session


class BriefingScreen(Screen):
    """The scenario's briefing as Markdown; Enter starts the conversation."""

    BINDINGS = [
        Binding("enter", "start", "开始接待"),
        Binding("escape", "back", "返回场景库"),
    ]

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario
        self.session: Session | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with VerticalScroll(id="briefing-body"):
            yield Static(id="briefing-meta")
            yield ChineseMarkdown("正在准备场景……", id="briefing-text")
        with Horizontal(id="briefing-actions", classes="actions"):
            yield Button("开始接待（Enter）", id="start", variant="primary", disabled=True)
            yield Button("返回场景库（Esc）", id="back")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"接待简报 · {self.scenario.title}"
        self.query_one("#briefing-meta", Static).update(self._meta())
        self.prepare()

    def _meta(self, visitor: str = "") -> Content:
        scenario = self.scenario
        lines = [Content.styled(scenario.title, "bold $accent"),
                 Content.styled(summary_line(scenario), "$text-muted")]
        if scenario.situations:
            lines.append(Content.assemble(("情形：", "$text-muted"), "、".join(scenario.situations)))
        if visitor:
            lines.append(Content.assemble(("来访者：", "$text-muted"), visitor))
        return Content("\n").join(lines)

    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def prepare(self) -> None:
        """Wait for the detector (loaded after start-up), then open a session and render."""
        session = self.app.new_session(self.scenario)
        text = session.render(self.scenario.briefing)
        name = session.visitor_name()
        self.app.call_from_thread(self._ready, session, text, name)

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "prepare" and event.state == WorkerState.ERROR:
            self.app.worker_failed(event.worker)
            await self.query_one("#briefing-text", ChineseMarkdown).update(
                "**这个场景现在无法开始。** 请按 Esc 返回场景库。")

    async def _ready(self, session: Session, text: str, name: str) -> None:
        self.session = session
        self.query_one("#briefing-meta", Static).update(self._meta(name))
        await self.query_one("#briefing-text", ChineseMarkdown).update(text or "（这个场景没有简报。）")
        start = self.query_one("#start", Button)
        start.disabled = False
        start.focus()

    def action_start(self) -> None:
        if self.session is not None:
            self.post_message(StartConversation(self.session))

    def action_back(self) -> None:
        self.post_message(GoHome())

    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()
