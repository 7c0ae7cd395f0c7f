"""Stock Textual chrome with its last English words in Chinese: header and command palette."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette
from textual.content import Content
from textual.widgets import Header
from textual.widgets._header import HeaderIcon
from textual.widgets.option_list import Option


class AppHeader(Header):
    """The header; its icon's tooltip says what clicking it does, in Chinese."""

    def on_mount(self) -> None:
        self.call_after_refresh(self._set_icon_tooltip)

    def _set_icon_tooltip(self) -> None:
        for icon in self.query(HeaderIcon):
            icon.tooltip = "打开命令面板（Ctrl+P）"


class Palette(CommandPalette):
    """The command palette with a Chinese placeholder and a Chinese "no match" line.

    ``_start_no_matches_countdown`` mirrors Textual 8.2.8 (pinned) with the text changed.
    """

    def __init__(self) -> None:
        super().__init__(placeholder="输入场景名称或命令……", id="--command-palette")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(Option(
                    Content.styled("没有找到匹配的场景或命令", "$text-muted"),
                    disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
