"""Text that wraps the way Chinese is set: no line starts with ，。）」 and the like.

Textual folds a run of CJK text at the exact width, so a full stop or a closing quote
can land alone at the start of a line. ``Prose`` content is wrapped with the basic
line-breaking rules (kinsoku) before Textual renders it: closing punctuation is never first
on a line, opening punctuation never last, and a Latin word or number is not split.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rich.cells import get_character_cell_size
from textual.content import Content

#: Characters that must not begin a line.
NO_START = frozenset("，。、；：？！）】」』〉》”’…—～·%,.;:?!)]}")
#: Characters that must not end a line.
NO_END = frozenset("（【「『〈《“‘([{§#")


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


_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’…—"


@lru_cache(maxsize=2)
def _line_break(keep_sentences: bool) -> re.Pattern[str]:
    """A break between Chinese characters (not after 。！？ when ``keep_sentences``)."""
    after = f"(?<=[{_CJK}])" + ("(?<![。！？…）”])" if keep_sentences else "")
    return re.compile(after + f"[ \\t]*\\n[ \\t]*(?=[{_CJK}])")


def join_cjk_lines(text: str, keep_sentences: bool = False) -> str:
    """Join lines where both sides are Chinese (a YAML block scalar's soft breaks).

    Markdown turns such a break into a space, a stray gap in Chinese; in a visitor's
    line it cuts a sentence in two. With ``keep_sentences`` a break after 。！？ stays.
    """
    return _line_break(keep_sentences).sub("", text)


def wrap(content: Content, width: int) -> Content:
    """``content`` with line breaks inserted by the rules above (styles kept)."""
    offsets = wrap_offsets(content.plain, width)
    return Content("\n").join(content.divide(offsets)) if offsets else content


class Prose(Content):
    """Content that wraps with Chinese line-breaking rules wherever it is shown.

    Usable as any Textual visual: in a ``Static``, as an ``OptionList`` prompt, etc.
    """

    def get_height(self, rules, width: int) -> int:
        pad = rules.get("line_pad", 0) * 2
        return Content.get_height(wrap(self, width - pad), rules, width)

    def render_strips(self, width: int, height: int | None, style, options) -> list:
        pad = options.rules.get("line_pad", 0) * 2
        return Content.render_strips(wrap(self, width - pad), width, height, style, options)


def prose(content: Content | str) -> Prose:
    """``content`` (styled or plain text, never markup) as ``Prose``."""
    if isinstance(content, Prose):
        return content
    if isinstance(content, str):
        return Prose(content)
    return Prose(content.plain, list(content.spans))
