"""Markdown whose paragraphs wrap with Chinese line-breaking rules (see ``prose``).

Used for briefings, ending texts and the help; the source is also passed through
``join_cjk_lines`` so a line break inside a Chinese paragraph does not become a space.
"""

from __future__ import annotations

from functools import cache

from textual.content import Content
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBlock, MarkdownFence

from simulator.tui.widgets.prose import join_cjk_lines, prose


class _ProseBlock:
    def set_content(self, content: Content) -> None:
        super().set_content(prose(content))  # type: ignore[misc]


@cache
def _prose_block(base: type[MarkdownBlock]) -> type[MarkdownBlock]:
    """``base`` with its text wrapped as prose; same name, so CSS rules still match."""
    if issubclass(base, MarkdownFence):
        return base
    return type(base.__name__, (_ProseBlock, base), {})


class ChineseMarkdown(Markdown):
    """``Markdown`` for Chinese text."""

    def __init__(self, markdown: str | None = None, **kwargs) -> None:
        super().__init__(join_cjk_lines(markdown) if markdown else markdown, **kwargs)

    def update(self, markdown: str):
        return super().update(join_cjk_lines(markdown))

    def get_block_class(self, block_name: str) -> type[MarkdownBlock]:
        return _prose_block(super().get_block_class(block_name))
