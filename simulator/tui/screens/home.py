"""Home: the scenario library, filtered by typing, with the highlighted scenario described."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList

from simulator.tui.widgets.header import AppHeader
from simulator.tui.widgets.library import ScenarioDetails, ScenarioList

if TYPE_CHECKING:  # imported after the first paint
    from simulator.tui.library import Library


class HomeScreen(Screen):
    """The library. Typing goes to the filter; ↑↓ move in the list; Enter opens the briefing."""

    BINDINGS = [
        Binding("enter", "open", "阅读简报", priority=True),
        Binding("down", "move('cursor_down')", show=False),
        Binding("up", "move('cursor_up')", show=False),
        Binding("pagedown", "move('page_down')", show=False),
        Binding("pageup", "move('page_up')", show=False),
        Binding("escape", "clear_filter", "清除筛选", show=False),
        Binding("f4", "app.history", "练习记录"),
        Binding("f5", "app.exam", "考试"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.library: Library | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Horizontal(id="home-body"):
            with Vertical(id="library-pane"):
                yield Input(placeholder="输入关键字筛选：标题、类别、情形……", id="filter",
                            select_on_focus=False)
                yield ScenarioList(id="scenarios")
            yield ScenarioDetails(id="details")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "场景库"
        self.query_one("#details", ScenarioDetails).show(None, "正在载入场景库……")
        self.query_one("#filter", Input).focus()

    def show_library(self, library: Library) -> None:
        self.library = library
        self._refilter()

    def _refilter(self) -> None:
        if self.library is None:
            return
        query = self.query_one("#filter", Input).value
        found = self.library.filter(query)
        self.query_one("#scenarios", ScenarioList).show(found)
        total = len(self.library.scenarios)
        self.sub_title = f"场景库 · {len(found)}/{total} 个场景" if query.strip() else f"场景库 · {total} 个场景"
        if not found:
            empty = "没有符合筛选条件的场景，按 Esc 清除筛选。" if total else "场景库里还没有场景。"
            self.query_one("#details", ScenarioDetails).show(None, empty)

    @property
    def highlighted_id(self) -> str | None:
        option = self.query_one("#scenarios", ScenarioList).highlighted_option
        return option.id if option else None

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._refilter()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_open()

    @on(OptionList.OptionHighlighted, "#scenarios")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.library is not None and event.option.id:
            self.query_one("#details", ScenarioDetails).show(self.library.get(event.option.id))

    @on(OptionList.OptionSelected, "#scenarios")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._open(event.option.id)

    def action_open(self) -> None:
        self._open(self.highlighted_id)

    def _open(self, scenario_id: str | None) -> None:
        from simulator.tui.messages import OpenBriefing

        if scenario_id:
            self.post_message(OpenBriefing(scenario_id))

    def action_move(self, action: str) -> None:
        getattr(self.query_one("#scenarios", ScenarioList), f"action_{action}")()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one("#filter", Input).focus()

    def on_key(self, event: events.Key) -> None:
        """Typing anywhere on the home screen goes into the filter."""
        box = self.query_one("#filter", Input)
        if event.is_printable and event.character and self.focused is not box:
            box.focus()
            box.insert_text_at_cursor(event.character)
            event.stop()
