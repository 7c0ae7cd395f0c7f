"""Answer text normalisation and clause splitting, with offsets back to the original.

``normalise`` folds an answer into one canonical form for matching (NFKC and
full/half-width forms, one kind of each punctuation mark, traditional to simplified
characters, no spaces between Chinese characters, Chinese numerals before a unit to digits, lower case) and keeps, for every
character of the result, the span of the original text it came from, so evidence is
always shown in the trainee's own words. ``split`` cuts normalised text into clauses
(the unit in which a stance is judged) and sentences.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from simulator.cache import Regexes


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII -> ASCII
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "  # ideographic space
    for ch in "“”„‟«»「」『』〝〞﹁﹂﹃﹄＂":
        table[ord(ch)] = '"'
    for ch in "‘’‚‛":
        table[ord(ch)] = "'"
    for ch in "—–―－":
        table[ord(ch)] = "-"
    for ch in "，､﹐":
        table[ord(ch)] = ","
    for ch in "｡．﹒":
        table[ord(ch)] = "。"
    table[ord("～")] = "~"
    for ch in "﹔；":
        table[ord(ch)] = ";"
    for ch in "﹕：":
        table[ord(ch)] = ":"
    for ch in "﹖？":
        table[ord(ch)] = "?"
    for ch in "﹗！":
        table[ord(ch)] = "!"
    # Control characters, bidi marks and zero-width characters become spaces, which keeps
    # the text the same length (offsets stay valid) and cannot join two words by accident.
    for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)]:
        if code != 0x0A:
            table[code] = " "
    for code in [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0xFEFF,
                 *range(0x202A, 0x202F), *range(0x2066, 0x206A)]:
        table[code] = " "
    for code in range(0xD800, 0xE000):  # lone surrogates (from JSON escapes)
        table[code] = " "
    table[0x0D] = "\n"
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code + 32)
    for code in range(0xFF21, 0xFF3B):  # full-width capitals straight to lower case
        table[code] = chr(code - 0xFEE0 + 32)
    return table


_TABLE = _build_table()

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
#: This module's fixed regexes, compiled once and kept (``simulator.cache.Regexes``).
_REGEXES = Regexes("text")
# A Chinese numeral counts as a number where a unit of time, money or age follows it.
_NUMERAL = _REGEXES.compile(
    r"[零〇一二两三四五六七八九十百千]+"
    r"(?=个?工作日|个?月|日|天|年|周|个?小时|分钟|次|元|岁|号|个?星期|个?礼拜)"
)


def chinese_to_int(numeral: str) -> int | None:
    """``十五`` -> 15, ``六十`` -> 60, ``一百二十`` -> 120, ``二〇二四`` -> 2024."""
    if all(ch in _DIGITS for ch in numeral):  # digit by digit, like a year
        return int("".join(str(_DIGITS[ch]) for ch in numeral))
    total, current = 0, 0
    for ch in numeral:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch in _UNITS:
            total += (current or 1) * _UNITS[ch]
            current = 0
        else:
            return None
    return total + current


@lru_cache(maxsize=1)
def _converter():
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a declared dependency
        return None
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _t2s_triggers() -> frozenset[str]:
    """The characters without which OpenCC's t2s leaves a text as it is.

    Every character t2s changes, and for each phrase t2s changes without changing any
    of its characters alone (深沈 -> 深沉), one character of it that t2s knows.
    Text with none of them needs no converter, which spares most answers, and most
    processes, OpenCC's ~8 ms of loading. ``t2s_triggers.txt`` is derived from
    OpenCC's own dictionaries (``python tests/test_fast_paths.py`` rewrites it; a
    test checks it against the installed OpenCC).
    """
    return frozenset(TRIGGERS_FILE.read_text(encoding="utf-8").strip())


TRIGGERS_FILE = Path(__file__).with_name("t2s_triggers.txt")


class Normalised(NamedTuple):
    """Normalised text and, when lengths changed, each character's original span."""

    text: str
    original: str
    starts: tuple[int, ...] | None = None  # None: same length, offsets are identical
    ends: tuple[int, ...] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text back onto the original answer."""
        if self.starts is None or self.ends is None:
            return start, end
        if start >= end:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def _rebuild(pieces: list[tuple[str, int, int]], original: str) -> Normalised:
    """Join (text, original start, original end) pieces into a ``Normalised``."""
    text = "".join(p[0] for p in pieces)
    starts: list[int] = []
    ends: list[int] = []
    for piece, a, b in pieces:
        starts.extend([a] * len(piece))
        ends.extend([b] * len(piece))
    return Normalised(text, original, tuple(starts), tuple(ends))


def _pieces(norm: Normalised) -> list[tuple[str, int, int]]:
    """The normalised text as one piece per character, with original spans."""
    if norm.starts is None or norm.ends is None:
        return [(ch, i, i + 1) for i, ch in enumerate(norm.text)]
    return list(zip(norm.text, norm.starts, norm.ends, strict=True))


def normalise(original: str) -> Normalised:
    """Fold ``original`` into the canonical matching form (see the module docstring)."""
    text = original.translate(_TABLE)
    norm = Normalised(text, original)
    if not unicodedata.is_normalized("NFKC", text):
        pieces = [(unicodedata.normalize("NFKC", ch).translate(_TABLE), a, b)
                  for ch, a, b in _pieces(norm)]
        norm = _rebuild(pieces, original)
    converter = None
    if not norm.text.isascii() and not _t2s_triggers().isdisjoint(norm.text):
        converter = _converter()
    if converter is not None:
        simplified = converter.convert(norm.text)
        if len(simplified) == len(norm.text):
            norm = Normalised(simplified, original, norm.starts, norm.ends)
        else:  # a phrase changed length: convert character by character instead
            pieces = [(converter.convert(ch), a, b) for ch, a, b in _pieces(norm)]
            norm = _rebuild(pieces, original)
    if " " in norm.text and _cjk_spaces(norm.text):
        norm = _spaces_between_chinese(norm)
    if _NUMERAL.search(norm.text):
        norm = _numerals(norm)
    return norm


_SPACES = _REGEXES.compile(" +")


def _cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or ch in ",。!?"


def _cjk_spaces(text: str) -> list[tuple[int, int]]:
    """Runs of spaces typed between Chinese characters (``_spaces_between_chinese`` says what they mean).
    (Checked by hand: a regex class over the CJK range costs ~2 ms to compile.)"""
    return [m.span() for m in _SPACES.finditer(text)
            if m.start() > 0 and m.end() < len(text)
            and _cjk(text[m.start() - 1]) and _cjk(text[m.end()])]


def _spaces_between_chinese(norm: Normalised) -> Normalised:
    """Spaces typed between single characters (别 着 急) go; a space between words of two
    characters or more (这个归公安管 您去派出所) is a pause, and ends a clause as a comma does."""
    text = norm.text
    return _edit(norm, [(a, b, "," if a > 1 and _hanzi(text[a - 2]) and _hanzi(text[a - 1])
                         and b + 1 < len(text) and _hanzi(text[b]) and _hanzi(text[b + 1]) else "")
                        for a, b in _cjk_spaces(text)])


def _hanzi(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


def _numerals(norm: Normalised) -> Normalised:
    edits = []
    for match in _NUMERAL.finditer(norm.text):
        value = chinese_to_int(match.group())
        if value is not None:
            edits.append((match.start(), match.end(), str(value)))
    return _edit(norm, edits) if edits else norm


def _edit(norm: Normalised, edits: list[tuple[int, int, str]]) -> Normalised:
    """``norm`` with each ``text[a:b]`` replaced by ``new`` (edits in order, not
    overlapping); every character of ``new`` comes from the whole original span of what
    it replaced. Slicing in C, no Python work per character: a long answer costs little more."""
    text = norm.text
    starts = range(len(text)) if norm.starts is None else norm.starts
    ends = range(1, len(text) + 1) if norm.ends is None else norm.ends
    pieces: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    last = 0
    for a, b, new in edits:
        pieces += (text[last:a], new)
        new_starts += starts[last:a]
        new_starts += [starts[a]] * len(new)
        new_ends += ends[last:a]
        new_ends += [ends[b - 1]] * len(new)
        last = b
    pieces.append(text[last:])
    new_starts += starts[last:]
    new_ends += ends[last:]
    return Normalised("".join(pieces), norm.original, tuple(new_starts), tuple(new_ends))


# Clause boundaries: punctuation, line breaks, and a contrast word (但/但是/不过/可是/
# 然而/只是), which starts a clause of its own so each side's stance is judged apart.
# A full stop is a dot not between digits (1.5). Each branch opens with the characters
# it can start with, so the regex engine rules most positions out at one look.
_CLAUSE_PUNCT = r"[,，。!?;:\n、…~()\[\]{}<>（）【】《》]|-{2,}|\.(?<!\d\.)|\.(?!\d)"
_CONTRAST = r"(?=[但不可然只])(?<!不)(?=但是|但|不过(?!问)|可是|然而|只是(?!一)|可话说)"
_CLAUSE = _REGEXES.compile(f"{_CLAUSE_PUNCT}|{_CONTRAST}")
_SENTENCE = _REGEXES.compile(r"[。!?;\n]|\.(?<!\d\.)|\.(?!\d)")
_REGEXES.keep()  # the last of this module's fixed regexes is above
_FIRST = itemgetter(0)


class Segments(NamedTuple):
    """Clause and sentence spans of a normalised text, with lookup by offset."""

    clauses: tuple[tuple[int, int], ...]
    sentences: tuple[tuple[int, int], ...]
    clause_starts: tuple[int, ...] = ()
    sentence_starts: tuple[int, ...] = ()

    def clause_index(self, pos: int) -> int:
        return bisect_right(self.clause_starts, pos) - 1

    def sentence_at(self, pos: int) -> tuple[int, int]:
        index = bisect_right(self.sentence_starts, pos) - 1
        return self.sentences[index if index > 0 else 0]


def _spans(pattern: re.Pattern[str], text: str) -> tuple[tuple[int, int], ...]:
    spans = []
    start = 0
    for match in pattern.finditer(text):
        a, b = match.span()  # a contrast word matches empty: the clause starts at it
        if a > start:
            spans.append((start, a))
        start = b
    if start < len(text) or not spans:
        spans.append((start, len(text)))
    return tuple(spans)


def split(text: str) -> Segments:
    """Clauses and sentences of a normalised text, as (start, end) spans."""
    clauses, sentences = _spans(_CLAUSE, text), _spans(_SENTENCE, text)
    return Segments(clauses, sentences, tuple(map(_FIRST, clauses)), tuple(map(_FIRST, sentences)))
