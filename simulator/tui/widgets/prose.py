"""Text that wraps the way Chinese is set: no line starts with ，。）」 and the like.

Textual folds a run of CJK text at the exact width, so a full stop or a closing quote
can land alone at the start of a line. ``Prose`` wraps its content itself with the basic
line-breaking rules (kinsoku): closing punctuation is never first on a line, opening
punctuation never last, and a Latin word or number is not split.
"""

from __future__ import annotations

from rich.cells import get_character_cell_size
from textual.content import Content
from textual.widget import Widget

#: Characters that must not begin a line.
NO_START = frozenset("，。、；：？！）】」』〉》”’…—～·%,.;:?!)]}")
#: Characters that must not end a line.
NO_END = frozenset("（【「『〈《“‘([{")


def _word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "._-/@%")


def wrap_offsets(text: str, width: int) -> list[int]:
    """Offsets in ``text`` where a new line must start so no line exceeds ``width`` cells."""
    width = max(width, 2)
    breaks: list[int] = []
    line_start, col = 0, 0
    for i, ch in enumerate(text):
        if ch == "\n":
            line_start, col = i + 1, 0
            continue
        cells = get_character_cell_size(ch)
        if col + cells > width and i > line_start:
            brk = i
            for _ in range(2):  # pull a character or two down rather than start with ，。
                if text[brk] in NO_START and brk - 1 > line_start:
                    brk -= 1
            while text[brk - 1] in NO_END and brk - 1 > line_start:
                brk -= 1
            if _word_char(text[brk]):
                start = brk
                while start > line_start and _word_char(text[start - 1]):
                    start -= 1
                if start > line_start:
                    brk = start
            breaks.append(brk)
            line_start = brk
            col = sum(get_character_cell_size(c) for c in text[brk:i])
        col += cells
    return breaks


def wrap(content: Content, width: int) -> Content:
    """``content`` with line breaks inserted by the rules above (styles kept)."""
    offsets = wrap_offsets(content.plain, width)
    return Content("\n").join(content.divide(offsets)) if offsets else content


class Prose(Widget):
    """A block of (styled) text wrapped with Chinese line-breaking rules."""

    DEFAULT_CSS = """
    Prose { height: auto; }
    """

    def __init__(self, content: Content | str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._prose = content if isinstance(content, Content) else Content(content)

    @property
    def plain(self) -> str:
        """The text as given, without the inserted line breaks."""
        return self._prose.plain

    def update(self, content: Content | str) -> None:
        self._prose = content if isinstance(content, Content) else Content(content)
        self.refresh(layout=True)

    def get_content_width(self, container, viewport) -> int:
        return max((Content(line).cell_length for line in self._prose.plain.split("\n")), default=0)

    def get_content_height(self, container, viewport, width: int) -> int:
        return wrap(self._prose, width).plain.count("\n") + 1

    def render(self) -> Content:
        return wrap(self._prose, self.content_region.width)
