"""The header: Textual's, with its icon's tooltip in Chinese."""

from __future__ import annotations

from textual.widgets import Header
from textual.widgets._header import HeaderIcon


class AppHeader(Header):
    """The header; its icon's tooltip says what clicking it does, in Chinese."""

    def on_mount(self) -> None:
        self.call_after_refresh(self._set_icon_tooltip)

    def _set_icon_tooltip(self) -> None:
        for icon in self.query(HeaderIcon):
            icon.tooltip = "打开命令面板（Ctrl+P）"
