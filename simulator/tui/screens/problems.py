"""Problems: a scenario file under live preview that does not load, with every error."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from simulator.tui.widgets.header import AppHeader


class ProblemsScreen(Screen):
    """The file's problems as ``path:line:col`` lines; saving a fix reloads it by itself."""

    BINDINGS = [Binding("escape", "app.quit", "退出预览")]
    DEFAULT_CSS = """
    ProblemsScreen #problems-title { padding: 1 2 0 2; text-style: bold; color: $error; }
    ProblemsScreen #problems-list { padding: 1 2; }
    """

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static("场景文件有错误，改好并保存后会自动重新载入。", id="problems-title")
        with VerticalScroll():
            yield Static("\n".join(self.lines), id="problems-list", markup=False)
        yield Footer()
