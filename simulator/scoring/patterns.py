"""The detector pattern vocabulary: YAML rules compiled to matchers over normalised text.

A trainer writes detectors as data (``rubrics/criteria.yaml``, or a step's local
criteria). The vocabulary, all over normalised text (simplified, lower case, digits):

``"请坐|先坐|坐下说"``
    phrase alternatives, separated by ``|``. ``@name`` stands for a synonym set from
    the lexicon (alone or inside a phrase: ``给@you倒``). ``(要|想)`` groups
    alternatives inside a phrase, ``(要|想)?`` makes them optional, as ``个?`` does one
    character. ``…`` inside a phrase is an
    ordered gap of up to 8 characters within one clause: ``保证…解决``. ``#`` is a
    number (digits, after normalisation): ``#个工作日``.
``{all: [part, part, …], scope: clause|sentence|answer}``
    co-occurrence: every part matches within one clause (default), one sentence or
    anywhere in the answer, in any order.
``{…, not: [part, …], not_scope: clause|sentence|answer}``
    exclusion: the hit is dropped when one of these matches in the same clause
    (default), sentence or anywhere in the answer.
``{…, negatable: false}``
    the hit counts even under negation (default: a negated hit does not count).

Answers are matched in normalised form (``simulator.scoring.text``: simplified characters,
digits for numerals before a unit, one kind of each punctuation mark). A part of phrases
is normalised the same way, so ``十五日内`` matches an answer's 十五日内 (15日内 by then);
a part with a gap or a number is a regex over that form, and its words must be written
so (``15日…答复`` or ``#日…答复``): the compiler refuses them otherwise and says how.

A criterion's ``detect`` block is ``{any: [rule, …], not: [part, …], not_scope: …,
suppressed_by: [criterion id, …]}``. Meaning, not keywords: a hit does not count when it is negated
(an odd number of negators before it in its clause, after lexicalised words such as
别着急 or 不容易 are set aside), or when it is a mention of someone else's words (in
quotation marks or reported speech) that the answer rejects or does not own.
"""

from __future__ import annotations

import _thread  # threading's own import would cost ~0.7 ms of a run; a lock is all we need
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from simulator.cache import Program, Regexes, compiled_program, from_program
from simulator.scoring.text import Segments, normalise

# Up to 8 characters of one clause. A class that names Chinese marks ([^,。…、]) makes
# the regex compiler build a table over all of Unicode (~0.2 ms for every regex that
# holds it), so those marks are ruled out by a lookahead instead; the matches are the same.
_GAP = "(?:(?![。、])[^,!?;:\\n]){0,8}?"
_NEGATION_WINDOW = 12

#: This module's fixed regexes, compiled once and kept (``simulator.cache.Regexes``).
_REGEXES = Regexes("patterns")

# Words that contain a negator character but do not negate what follows.
_LEXICALISED = _REGEXES.compile(
    "|".join(sorted(["不过", "不容易", "不好意思", "不少", "不仅", "不但", "不断", "不错", "不管怎样", "不管怎么样", "不管怎么说", "不久", "不满", "不服", "不同意", "不认可", "不接受", "不安", "不便", "不公", "不幸", "不然", "不如", "不止", "不光", "不只", "不要紧", "不客气", "不用客气", "不耐烦", "不对劲", "不舒服", "不在少数", "不一定", "不清楚的地方", "不论", "无论", "无非", "无理取闹", "无所谓", "非常", "非法", "是非", "并非只", "除非", "未来", "没事", "没关系", "没问题", "别人", "特别", "分别", "区别", "别的", "差别", "级别", "类别", "个别", "告别", "别处", "别急", "别着急", "别担心", "别客气", "别激动", "别生气", "别上火", "别害怕", "别怕", "别慌", "别紧张", "别难过", "别灰心", "不着急", "不急", "不要急", "不要着急", "不用急", "不用着急", "不要激动", "不要担心", "不用担心", "不必担心", "不用怕", "不要怕", "不用慌", "不要慌", "不要紧张", "不要难过", "不方便", "不得已", "不懂的", "不明白的", "不了解的", "不清楚的", "要不要", "要不", "是不是", "能不能", "可不可以", "会不会", "有没有", "好不好", "行不行", "对不对", "愿不愿意", "需不需要", "用不用", "需要不需要", "想不想", "方不方便", "肯不肯", "在不在", "可以不可以", "清不清楚", "知不知道", "记没记", "带没带", "满不满意"], key=len, reverse=True))
)
# 不是不想 (it is not that I would not…) still leaves the thing undone: one negator.
_NEGATOR = _REGEXES.compile("不是不想|不是不愿意|不是不愿|没有|无法|无权|无从|不|没|别|未|非|勿|莫|甭|休想")

#: Every match of ``_NEGATOR`` holds one of these: words without them need no regex.
#: (A one-class regex finds them in C; ``frozenset.isdisjoint`` makes a string of each
#: character of the text, six times slower on Chinese.)
_NEGATOR_CHAR = _REGEXES.compile("[不没无别未非勿莫甭休]")
# A negative potential complement shortly after the words (each holds 不): 安排不了, 做不到.
_POTENTIAL_NEGATION = _REGEXES.compile("(?:(?!。)[^,!?;:]){0,5}?(安排不了|做不到|办不到|去不了|来不了)")
# A rhetorical question answered by a denial: 我们把您当刺头？不会的。
_DENIAL_AFTER_QUESTION = _REGEXES.compile(
    " ?(不会|没有|怎么会|哪会|哪能|哪有|当然不|绝对不|不是的|不可能|没这|从来没|从没|我不能|我们从来)")
# A question that answers itself in the negative: 谁说您是刺头了？ 谁敢保证一定能赔？
_RHETORICAL = _REGEXES.compile("谁说|谁讲|谁敢|谁能|谁会|哪个说")
# Words named only to be ruled out: 胡搅蛮缠这四个字绝不会出现…
_NAMING = "个字|种说法|个词|种话|个说法"
_NAMED_WORD = _REGEXES.compile(f'"?这?.{{0,2}}({_NAMING})')
_NAMING_WORD = _REGEXES.compile(_NAMING)  # in every match of ``_NAMED_WORD``: a quick look
# A hypothetical the answer at once calls wrong: 要是我跟您保证…，那是骗您。
_HYPOTHETICAL = _REGEXES.compile("要是|如果|假如|倘若|谁给您|谁给你|谁跟您|谁跟你")

# Marks of a mention: quoted words, or reported speech by someone other than the clerk.
_REPORTED = _REGEXES.compile(
    "(有人|之前|以前|上次|上回|那天|当时|他|她|他们|她们|那位|那个|同事|工作人员|科长|"
    "部门|那边|人家|别人|有的人)(?:(?!。)[^,!?;\\n]){0,12}?(说|讲|告诉|表示|答复|讲过|说过|跟您)"
)
_REJECTION = _REGEXES.compile(
    "不对|不准确|不妥|错了|是错的|有误|欠妥|不恰当|不是这样|不是这么回事|误会|误导|不应该|"
    "不符合|不正确|说法不|表述不|不代表|不是事实|没有依据|不能这么说|不该这么说|说得不|"
    "不能这样|不严谨|站不住|不这么认为|不这么看|不这么想|不认同|我替|向您道歉|给您道歉|抱歉|不认这个|我不认|这回您看着|这次不会|结果没|却没|一直没|并没有|根本没"
)
_FALSE_PROMISE = _REGEXES.compile("骗您|骗你|是骗|哄您|哄你|糊弄您|糊弄你|不负责任|是假话|是空话|忽悠您|忽悠你")


class PatternError(ValueError):
    """A detector pattern that does not compile; ``where`` names the offending part."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


def _check_normalised(words: Iterable[str], part: str) -> None:
    """Raise ``PatternError`` for words of a part with gaps or numbers that answers can
    never hold as written. Answers are matched in normalised form (十五日 is 15日 by then,
    這 is 这, a full-width comma a comma); a part without gaps or numbers has its phrases
    normalised for it, but one with them is a regex and must be written that way."""
    for word in words:
        folded = normalise(word).text
        if folded != word.lower():
            raise PatternError(f"“{part}”中的“{word}”在答案规范化后写作“{folded}”，"
                               f"按原样永远匹配不到；请写作“{folded}”（数字也可写 #）")


class Context:
    """Everything a rule needs to know about one normalised answer."""

    __slots__ = ("text", "segments", "scanner", "scanned", "may_negate", "may_mention", "_cache",
                 "_any", "_negated", "_mentioned", "_marks")

    def __init__(self, text: str, segments: Segments, scanner: PhraseScanner | None = None) -> None:
        self.text = text
        self.segments = segments
        self.scanner = scanner
        #: part pattern -> its matches; first filled by the one-pass phrase scan
        self._cache: dict[str, list[tuple[int, int]]] = {}
        #: id of a tuple of parts (an exclusion list) -> the matches of any of them
        self._any: dict[int, list[tuple[int, int]]] = {}
        #: span -> negated / mentioned: the same words are weighed by many rules
        self._negated: dict[tuple[int, int], bool] = {}
        self._mentioned: dict[tuple[int, int], bool] = {}
        self._marks: tuple[bool, bool, bool, bool] | None = None
        #: The scanner keys the phrase scan found in this answer (parts and anchors).
        self.scanned: frozenset[str] = frozenset()
        if scanner is not None:
            self._cache = scanner.scan(text)  # a new dict for every answer
            self.scanned = frozenset(self._cache)
        #: False when the answer holds no negator: ``negators`` need not look.
        self.may_negate = _NEGATOR_CHAR.search(text) is not None
        #: False when nothing in the answer can make words a mention (no quote, question,
        #: reporting verb, hypothetical or named word): ``mentioned`` need not look.
        self.may_mention = _MENTION_TRIGGER.search(text) is not None

    def find(self, part: LazyPattern) -> list[tuple[int, int]]:
        """Matches of ``part``: from the one-pass phrase scan, else by its regex (cached)."""
        found = self._cache.get(part.pattern)
        if found is None:
            keys = self.scanner.keys if self.scanner is not None else ()
            if part.pattern in keys or (part.anchor in keys and part.anchor not in self._cache):
                found = []  # a phrase part the scan did not see, or none of its anchors
            else:
                found = [m.span() for m in part.finditer(self.text)]
            self._cache[part.pattern] = found
        return found

    def find_any(self, parts: tuple[LazyPattern, ...]) -> list[tuple[int, int]]:
        """Matches of any of ``parts`` (an exclusion list: many rules weigh the same one)."""
        if len(parts) == 1:
            return self.find(parts[0])
        found = self._any.get(id(parts))  # the catalogue's tuples outlive the answer
        if found is None:
            found = self._any[id(parts)] = [span for part in parts for span in self.find(part)]
        return found

    def mention_marks(self) -> tuple[bool, bool, bool, bool]:
        """Whether the answer holds anywhere a word named to rule it out, a promise
        called false, a quotation mark, reported speech: without one, ``mentioned``
        need not look for it around each of the words it weighs."""
        if self._marks is None:
            text = self.text
            self._marks = (_NAMING_WORD.search(text) is not None, _FALSE_PROMISE.search(text) is not None,
                           '"' in text, _REPORTED.search(text) is not None)
        return self._marks

    def clause(self, pos: int) -> tuple[int, int]:
        return self.segments.clauses[self.segments.clause_index(pos)]


def negators(ctx: Context, start: int, end: int) -> int:
    """How many negators bear on the words at start:end: in the clause before them
    (``不能保证``) and, as a potential complement, right after them (``上门走访这次安排不了``)."""
    c_start, c_end = ctx.clause(start)
    low = start - _NEGATION_WINDOW  # (not max(): on this path its call costs 1% of an answer)
    prefix = ctx.text[low if low > c_start else c_start:start]
    count = 0
    if _NEGATOR_CHAR.search(prefix):
        prefix = _LEXICALISED.sub(" ", prefix)  # a negator cannot span the space left
        count = len(_NEGATOR.findall(prefix))
    if ctx.text.find("不", end, c_end) >= 0 and _POTENTIAL_NEGATION.match(ctx.text, end, c_end):
        count += 1
    return count


def cancelled(ctx: Context, start: int, end: int) -> bool:
    """Whether the last negator among the words at start:end is cancelled by another
    within three characters after it in its clause (``我们不`` in ``这事我们不能不管``):
    the words then mean the opposite of what they seem to."""
    negators_in_words = [m.start() for m in _NEGATOR_CHAR.finditer(ctx.text, start, end)]
    if not negators_in_words:
        return False
    at = negators_in_words[-1]
    c_end = ctx.clause(at)[1]
    return _NEGATOR_CHAR.search(ctx.text, at + 1, min(at + 4, c_end)) is not None


def mentioned(ctx: Context, start: int, end: int) -> bool:
    """Whether the words at start:end are not the clerk's own stance.

    That is: quoted; reported speech that the answer rejects; a rhetorical question
    (``谁说您是刺头了？``, ``把您当刺头？不会的``); a word named to rule it out
    (``“刺头”这个词``); a hypothetical promise called false (``要是我保证…那是骗您``).
    """
    text = ctx.text
    s_start, s_end = ctx.segments.sentence_at(start)
    low = start - _MENTION_WINDOW
    sentence_before = text[low if low > s_start else s_start:start]
    if text[s_end:s_end + 1] == "?" and (
        _DENIAL_AFTER_QUESTION.match(text, s_end + 1) or _RHETORICAL.search(sentence_before)
    ):
        return True
    named, false_promise, quote, report = ctx.mention_marks()
    if named and _NAMED_WORD.match(text, end):
        return True
    if not (false_promise or quote or report):
        return False
    after = text[end:s_end + 40]
    if false_promise and _FALSE_PROMISE.search(after) and _HYPOTHETICAL.search(sentence_before):
        return True
    quoted = quote and (sentence_before.count('"') % 2 == 1 or text.count('"', 0, start) % 2 == 1)
    reported = report and _REPORTED.search(sentence_before) is not None
    if not (quoted or reported):
        return False
    if quoted:
        return True  # the clerk quotes words; only the clerk's own voice counts
    # Reported speech counts as not the clerk's own when the answer rejects it nearby.
    return _REJECTION.search(after) is not None or _REJECTION.search(sentence_before) is not None


_SPECIAL = _REGEXES.compile(r"[()@…#?]")
# Regex marks a trainer might reach for; the vocabulary has none of them.
_REGEX_MARKS = _REGEXES.compile(r"[$^*+\\\[\]{}]")
# Anything that ``mentioned`` reacts to; an answer with none of it has no mentions.
_MENTION_TRIGGER = _REGEXES.compile('["?]|说|讲|告诉|表示|答复|跟您|跟你|要是|如果|假如|倘若|谁|个字|说法|个词|种话')
_REGEXES.keep()  # the last of this module's fixed regexes is above
#: How far back (characters) a mention's reporting verb or open quote is looked for.
_MENTION_WINDOW = 60


def _trie_regex(words: set[str]) -> str:
    """One regex for a set of literal phrases, longest match first, as a prefix tree."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            return f"(?:{body})?"
        return body

    return build(trie)


def _split_top(source: str) -> list[str]:
    """Split on ``|`` outside parentheses."""
    parts, depth, current = [], 0, []
    for ch in source:
        if ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        depth += (ch == "(") - (ch == ")")
        current.append(ch)
    parts.append("".join(current))
    return parts


def _matching(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        depth += (text[i] == "(") - (text[i] == ")")
        if depth == 0:
            return i
    raise PatternError(f"短语“{text}”中的括号不配对")


def _plain_stretches(alt: str) -> list[str]:
    """The runs of ``alt`` between its gaps and numbers (a group holding one counts as
    a gap): every match of ``alt`` contains a match of each run."""
    stretches, current, i = [], [], 0
    while i < len(alt):
        ch = alt[i]
        if ch == "(":
            close = _matching(alt, i)
            end = close + 1 + (alt[close + 1:close + 2] == "?")
            if "…" in alt[i:close] or "#" in alt[i:close] or "@" in alt[i:close]:
                stretches.append("".join(current))
                current = []
            else:
                current.append(alt[i:end])
            i = end
            continue
        if ch in "…#":
            stretches.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    stretches.append("".join(current))
    return [s for s in stretches if s and not s.startswith("?")]


_EXPANSION_LIMIT = 4000
#: Scanner key prefix for the anchor phrases of a part that has a gap or a number.
ANCHOR = "^"
#: Answers a scanner walks before it builds its automaton (see ``PhraseScanner``; the
#: learned check switches at the same point).
AUTOMATON_AFTER = 300
#: The separator of the scanner's waiting phrases: never in normalised text (tabs become
#: spaces there), and short in the cache's JSON.
_SEPARATOR = "\t"


class PhraseScanner:
    """Finds the phrases of many parts in one pass over an answer.

    Most parts are finite sets of phrases; walking from each position of the answer
    through a table of the phrases and their prefixes finds all of them (overlapping
    matches included, shorter first) and stops as soon as no phrase can go on, which is
    far cheaper than running each part's regex over the answer in turn. The table is
    filled one first character at a time, when an answer first has that character, so a
    process that scores a handful of answers does not pay for all of it.

    Until then a character's phrases wait, in one UTF-8 blob for all characters, as
    three tab-separated strings: the prefixes of its phrases, the phrases, and for each
    phrase the number of the tuple of part keys it belongs to. That is the form the
    cache keeps (``__getstate__``, the blob as raw bytes after the JSON, each key tuple
    as numbers into the sorted keys), so a process that loads the scanner decodes
    nothing of the ~600 KB until an answer holds a character, and opening one is all
    C-level decoding and splitting. A phrase holding a tab could never match normalised
    text and is left out.

    A long run (``simulator detect`` over a file) switches, after ``AUTOMATON_AFTER``
    answers, to an Aho-Corasick automaton in C (pyahocorasick), which finds the same
    phrases in about half the time but takes ~10 ms to build: more than a handful of
    answers in the TUI or ``simulator run`` would ever win back.
    """

    def __init__(self, parts: Mapping[str, frozenset[str]]) -> None:
        by_phrase: dict[str, list[str]] = {}
        for key, phrases in parts.items():
            for phrase in phrases:
                if phrase and _SEPARATOR not in phrase:
                    by_phrase.setdefault(phrase, []).append(key)
        numbers: dict[tuple[str, ...], int] = {}
        by_first: dict[str, list[tuple[str, int]]] = {}
        for phrase, keys in by_phrase.items():
            number = numbers.setdefault(tuple(keys), len(numbers))
            by_first.setdefault(phrase[0], []).append((phrase, number))
        chars, bounds, blob = [], [0], bytearray()
        # The order the automaton is filled in (``build_automaton``): pyahocorasick looks
        # through a node's children one by one, in the order they came, so the first
        # characters of most phrases go first, and under each, its most common second
        # characters (with the learned check's automaton filled alike, the two walks over
        # an answer take a sixth fewer instructions than in no particular order).
        for ch, rows in sorted(by_first.items(), key=lambda item: (-len(item[1]), item[0])):
            following = Counter(phrase[:2] for phrase, _ in rows)
            rows.sort(key=lambda row: (-following[row[0][:2]], row[0]))
            prefixes = sorted({phrase[:i] for phrase, _ in rows for i in range(1, len(phrase))})
            chars.append(ch)
            for field in (_SEPARATOR.join(prefixes), _SEPARATOR.join(phrase for phrase, _ in rows),
                          _SEPARATOR.join(str(number) for _, number in rows)):
                blob += field.encode()
                bounds.append(len(blob))
        self._setup(frozenset(parts), list(numbers), "".join(chars), bounds, bytes(blob))

    def _setup(self, keys: frozenset[str], key_sets: list[tuple[str, ...]], chars: str,
               bounds: list[int], blob: bytes | memoryview) -> None:
        self.keys = keys
        self._key_sets = key_sets
        #: the first characters, and where their three fields start and end in ``_blob``:
        #: the n-th character's are ``_blob[bounds[3n]:bounds[3n + 1]]`` and the next two
        self._chars, self._bounds, self._blob = chars, bounds, blob
        #: the first characters whose phrases are not yet in ``table``
        self._pending = set(chars)
        #: every phrase -> its parts' keys, and every proper prefix of one -> ()
        self.table: dict[str, tuple[str, ...]] = {}
        self._lock = _thread.allocate_lock()
        self._scans = 0
        #: phrase -> (its length, its parts' keys), once built
        self._automaton: Any = None

    def __getstate__(self) -> tuple[list[str], list[list[int]], str, list[int], bytes | memoryview]:
        keys = sorted(self.keys)
        number = {key: i for i, key in enumerate(keys)}
        key_sets = [[number[key] for key in ks] for ks in self._key_sets]
        return keys, key_sets, self._chars, self._bounds, self._blob

    def __setstate__(self, state: tuple[list[str], list[list[int]], str, list[int], bytes | memoryview]) -> None:
        keys, key_sets, chars, bounds, blob = state
        if len(bounds) != 3 * len(chars) + 1 or not isinstance(blob, (bytes, memoryview)):
            raise ValueError("a phrase table that does not add up")
        self._setup(frozenset(keys), [tuple(keys[i] for i in ks) for ks in key_sets], chars,
                    bounds, blob)

    def _fields(self, n: int) -> list[str]:
        """The n-th first character's prefixes, phrases and key-tuple numbers."""
        a, b, c, d = self._bounds[3 * n:3 * n + 4]
        blob = self._blob
        return [str(blob[a:b], "utf-8"), str(blob[b:c], "utf-8"), str(blob[c:d], "utf-8")]

    def _open(self, ch: str) -> None:
        """Put the phrases starting with ``ch`` into the table (once, thread-safe: the
        character leaves ``_pending`` only when its phrases are all in). Nothing else in
        the table starts with ``ch``, so the prefixes go in first and the phrases over them."""
        with self._lock:
            if ch not in self._pending:
                return
            prefixes, phrases, numbers = self._fields(self._chars.index(ch))
            if prefixes:
                self.table.update(dict.fromkeys(prefixes.split(_SEPARATOR), ()))
            key_sets = map(self._key_sets.__getitem__, map(int, numbers.split(_SEPARATOR)))
            self.table.update(zip(phrases.split(_SEPARATOR), key_sets, strict=True))
            self._pending.discard(ch)

    def build_automaton(self) -> None:
        """Switch this scanner to the C-level automaton (see the class docstring)."""
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for n in range(len(self._chars)):
            _, phrases, numbers = self._fields(n)
            for phrase, number in zip(phrases.split(_SEPARATOR), numbers.split(_SEPARATOR),
                                      strict=True):
                automaton.add_word(phrase, (len(phrase), self._key_sets[int(number)]))
        if len(automaton):  # an automaton without words cannot search
            automaton.make_automaton()
            self._automaton = automaton

    def _scan_automaton(self, text: str) -> dict[str, list[tuple[int, int]]]:
        hits: dict[str, list[tuple[int, int]]] = {}
        more = []  # the keys found more than once
        for last, (length, keys) in self._automaton.iter(text):
            span = (last + 1 - length, last + 1)
            for key in keys:
                if key in hits:
                    hits[key].append(span)
                    more.append(key)
                else:
                    hits[key] = [span]
        for key in more:
            hits[key].sort()  # as the walk gives them: by start, the shorter first
        return hits

    def scan(self, text: str) -> dict[str, list[tuple[int, int]]]:
        """Every phrase of ``text``: part key -> spans, by start, the shorter first."""
        if self._automaton is not None:
            return self._scan_automaton(text)
        self._scans += 1
        if self._scans == AUTOMATON_AFTER:
            with self._lock:
                if self._automaton is None:
                    self.build_automaton()
        if self._pending:
            for ch in self._pending.intersection(text):
                self._open(ch)
        hits: dict[str, list[tuple[int, int]]] = {}
        get, n = self.table.get, len(text)
        for start, ch in enumerate(text):
            keys = get(ch)
            end = start + 1
            while keys is not None:
                for key in keys:  # () for a prefix that is no phrase itself
                    if key in hits:
                        hits[key].append((start, end))
                    else:
                        hits[key] = [(start, end)]
                if end == n:
                    break
                end += 1
                keys = get(text[start:end])
        return hits


class LazyPattern:
    """A part's regex, built and compiled the first time it is needed.

    Most parts are answered by the phrase scan and never need their regex, so building
    them all up front would only slow start-up. ``pattern`` is the part as written (the
    key for caches and the scanner). A part the scan does not answer (one with a gap or a
    number, once its anchors are seen; a step's local phrases) needs its regex, and
    compiling one costs ~0.3 ms (a ``simulator run`` meets about twenty): a cache keeps
    such a part's compiled program with its source (``cache.compiled_program``), and a
    process that loads it skips the compiling.
    """

    __slots__ = ("pattern", "anchor", "scanned", "_build", "_program", "_compiled")

    def __init__(self, pattern: str, build: Callable[[], str], scanned: bool = False,
                 program: Program | None = None) -> None:
        self.pattern = pattern
        #: the scanner key of its anchors (words one of which every match holds), if any
        self.anchor = ANCHOR + pattern
        #: the catalogue's phrase scan answers this part (set by ``Lexicon.scanner``), so
        #: its regex is never run and a cache keeps no program for it
        self.scanned = scanned
        self._build = build
        self._program = program
        self._compiled: re.Pattern[str] | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        if self._compiled is None:
            source = self._build()
            compiled = from_program(source, self._program) if self._program else None
            self._compiled = compiled or re.compile(source)
        return self._compiled

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.regex.finditer(text)

    def __getstate__(self) -> tuple[str, str, bool, Program | None]:
        """For a cache (``simulator.cache``): the part and its regex source, built now,
        and unless the phrase scan answers it, its compiled program."""
        source = self._build()
        program = None if self.scanned else (self._program or compiled_program(source))
        return self.pattern, source, self.scanned, program

    def __setstate__(self, state: tuple[str, str, bool, Program | None]) -> None:
        pattern, source, scanned, program = state
        self.__init__(pattern, lambda: source, scanned, program)


class Lexicon:
    """Named synonym sets, referred to as ``@name`` inside phrases."""

    def __init__(self, sets: Mapping[str, Iterable[str]] | None = None) -> None:
        self.sets: dict[str, list[str]] = {k: [str(w) for w in v] for k, v in (sets or {}).items()}
        self._compiled: dict[str, LazyPattern] = {}
        #: regex source of each part that expands to a finite set of phrases -> the phrases
        self.phrases: dict[str, frozenset[str]] = {}

    def __getstate__(self) -> dict[str, Any]:
        """For a cache: the sets and compiled parts. The phrases are what a scanner is
        made of (``scanner``), and a cached catalogue keeps its scanner instead."""
        return {"sets": self.sets, "compiled": self._compiled}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.sets, self._compiled, self.phrases = state["sets"], state["compiled"], {}

    def regex(self, source: str, depth: int = 0) -> str:
        """Regex source for one part (``A|B|@set|保证…解决|还有什么(要|想)?说``).

        Plain phrases are merged into a prefix tree (``不(?:归(?:我们管)?|管)``): the
        regex engine then tries each character once instead of every phrase in turn.
        """
        if depth > 6:
            raise PatternError(f"同义词集合或括号嵌套过深：{source}")
        alternatives = [a.strip() for a in _split_top(str(source))]
        if not all(alternatives):
            raise PatternError(f"短语“{source}”中有空的备选项（多余的“|”）")
        literals: set[str] = set()
        others: set[str] = set()
        for alt in alternatives:
            if alt.startswith("@") and re.fullmatch(r"@[A-Za-z_][A-Za-z0-9_]*", alt):
                words = self.sets.get(alt[1:])
                if words is None:
                    raise PatternError(f"未定义的同义词集合 {alt}")
                if all(not _SPECIAL.search(w) for w in words):
                    literals.update(w.lower() for w in words)
                    continue
            if _SPECIAL.search(alt):
                others.add(self._sequence(alt, depth))
            else:
                literals.add(alt.lower())
        branches = sorted(others, key=lambda branch: (-len(branch), branch))  # a total order
        if literals:
            branches.append(_trie_regex(literals))
        return "|".join(branches)

    def _sequence(self, alt: str, depth: int) -> str:
        out: list[str] = []
        i = 0
        while i < len(alt):
            ch = alt[i]
            if ch == "(":
                close = _matching(alt, i)
                out.append(f"(?:{self.regex(alt[i + 1:close], depth + 1)})")
                i = close + 1
                if i < len(alt) and alt[i] == "?":
                    out.append("?")
                    i += 1
                continue
            if ch == ")":
                raise PatternError(f"短语“{alt}”中的括号不配对")
            if ch == "@":
                match = re.match(r"@([A-Za-z_][A-Za-z0-9_]*)", alt[i:])
                if match is None:
                    raise PatternError(f"短语“{alt}”中“@”后应为同义词集合名")
                name = match.group(1)
                if name not in self.sets:
                    raise PatternError(f"未定义的同义词集合 @{name}")
                out.append(f"(?:{self.regex('|'.join(self.sets[name]), depth + 1)})")
                i += match.end()
                continue
            if ch == "…":
                out.append(_GAP)
            elif ch == "#":
                out.append(r"\d+(?:\.\d+)?")
            elif ch == "?":
                raise PatternError(f"短语“{alt}”中的“?”应紧跟在一个字或括号之后")
            else:
                out.append(re.escape(ch.lower()))
                if alt[i + 1:i + 2] == "?":
                    out.append("?")
                    i += 1
            i += 1
        return "".join(out)

    def compile(self, part: str) -> LazyPattern:
        """Check ``part`` now (raising ``PatternError``); its regex is built on first use."""
        cached = self._compiled.get(part)
        if cached is None:
            self.check(part)
            phrases = self.expand(part)
            if phrases is not None:
                # Answers are matched in normalised form (十五日 is 15日 by then), so a
                # part's phrases are normalised the same way; where that changed one, the
                # regex is made from the normalised phrases instead of the part as written.
                folded = frozenset(normalise(phrase).text for phrase in phrases) - {""}
                if folded == {phrase.lower() for phrase in phrases}:
                    cached = LazyPattern(part, lambda: self.regex(part))
                else:
                    cached = LazyPattern(part, lambda: _trie_regex(set(folded)) or "(?!)")
                self.phrases[part] = folded
            else:
                cached = LazyPattern(part, lambda: self.regex(part))
                _check_normalised(self._literals(part), part)
                anchors = self._anchors(part)
                if anchors is not None:
                    self.phrases[ANCHOR + part] = anchors
            self._compiled[part] = cached
        return cached

    def _literals(self, source: str) -> set[str]:
        """The literal words of a part with gaps or numbers: its plain stretches, opened."""
        words: set[str] = set()
        for alt in _split_top(source):
            for stretch in _plain_stretches(alt.strip()):
                words |= self.expand(stretch) or set()
        return words

    def alternation(self, parts: list[str]) -> tuple[LazyPattern, ...]:
        """Any of ``parts`` (for exclusions): all plain phrases as one scanned part, and
        each alternative with a gap or a number as a part of its own (with its anchors)."""
        for part in parts:
            self.check(part)
        plain, rest = self.split_plain("|".join(parts))
        return tuple(self.compile(p) for p in ([plain] if plain else []) + rest)

    def split_plain(self, source: str) -> tuple[str, list[str]]:
        """``source``'s alternatives (synonym sets opened) as (the plain phrases joined,
        the alternatives with a gap or a number)."""
        plain: list[str] = []
        rest: list[str] = []
        for alt in (a.strip() for a in _split_top(source)):
            if re.fullmatch(r"@[A-Za-z_][A-Za-z0-9_]*", alt) and self.expand(alt) is None:
                more_plain, more_rest = self.split_plain("|".join(self.sets[alt[1:]]))
                plain += [more_plain] if more_plain else []
                rest += more_rest
            elif self.expand(alt) is not None:
                plain.append(alt)
            else:
                rest.append(alt)
        return "|".join(plain), rest

    def check(self, source: str) -> None:
        """Raise ``PatternError`` when ``source`` is not a well-formed part."""
        stray = _REGEX_MARKS.search(str(source))
        if stray:
            raise PatternError(f"短语“{source}”中的“{stray.group()}”不是词表符号"
                               "（词表只有 | @ ( ) ? … #，见 simulator/scoring/patterns.py 开头）")
        for alt in (a.strip() for a in _split_top(str(source))):
            if not alt:
                raise PatternError(f"短语“{source}”中有空的备选项（多余的“|”）")
            i = 0
            while i < len(alt):
                ch = alt[i]
                if ch == "(":
                    close = _matching(alt, i)
                    self.check(alt[i + 1:close])
                    i = close + 1
                    if alt[i:i + 1] == "?":
                        i += 1
                    continue
                if ch == ")":
                    raise PatternError(f"短语“{alt}”中的括号不配对")
                if ch == "?":
                    raise PatternError(f"短语“{alt}”中的“?”应紧跟在一个字或括号之后")
                if ch == "@":
                    match = re.match(r"@([A-Za-z_][A-Za-z0-9_]*)", alt[i:])
                    if match is None:
                        raise PatternError(f"短语“{alt}”中“@”后应为同义词集合名")
                    if match.group(1) not in self.sets:
                        raise PatternError(f"未定义的同义词集合 @{match.group(1)}")
                    for word in self.sets[match.group(1)]:
                        if _REGEX_MARKS.search(word):
                            raise PatternError(f"同义词集合 @{match.group(1)} 中的“{word}”含有"
                                               f"“{_REGEX_MARKS.search(word).group()}”，不是词表符号")
                    i += match.end()
                    continue
                i += 1
                if alt[i:i + 1] == "?" and ch not in "…#":
                    i += 1

    def _anchors(self, source: str) -> frozenset[str] | None:
        """Phrases one of which every match of ``source`` must contain, or None when some
        alternative has none. Per alternative: of its stretches of plain words between
        gaps and numbers, the one whose shortest phrase is longest (the most telling)."""
        out: set[str] = set()
        for alt in (a.strip() for a in _split_top(source)):
            if re.fullmatch(r"@[A-Za-z_][A-Za-z0-9_]*", alt):
                inner = self._anchors("|".join(self.sets[alt[1:]]))
                if inner is None:
                    return None
                out |= inner
                continue
            best: frozenset[str] | None = None
            for stretch in _plain_stretches(alt):
                words = self.expand(stretch)
                if words and "" not in words and (
                        best is None or min(map(len, words)) > min(map(len, best))):
                    best = words
            if best is None:
                return None
            out |= best
        return frozenset(out)

    def expand(self, source: str, depth: int = 0) -> frozenset[str] | None:
        """Every phrase ``source`` can match, or None when it has a gap or a number
        (or would expand past ``_EXPANSION_LIMIT`` phrases)."""
        out: set[str] = set()
        for alt in (a.strip() for a in _split_top(source)):
            words = self._expand_sequence(alt, depth)
            if words is None:
                return None
            out |= words
            if len(out) > _EXPANSION_LIMIT:
                return None
        return frozenset(out)

    def _expand_sequence(self, alt: str, depth: int) -> set[str] | None:
        if depth > 6:
            return None
        words = {""}
        i = 0
        while i < len(alt):
            ch = alt[i]
            if ch in "…#":
                return None
            if ch == "(":
                close = _matching(alt, i)
                options = self.expand(alt[i + 1:close], depth + 1)
                i = close + 1
                if options is not None and i < len(alt) and alt[i] == "?":
                    options = options | {""}
                    i += 1
            elif ch == "@":
                match = re.match(r"@([A-Za-z_][A-Za-z0-9_]*)", alt[i:])
                options = self.expand("|".join(self.sets[match.group(1)]), depth + 1)
                i += match.end()
            else:
                options = {ch.lower()}
                i += 1
                if alt[i:i + 1] == "?":
                    options = options | {""}
                    i += 1
            if options is None or len(words) * len(options) > _EXPANSION_LIMIT:
                return None
            words = {w + o for w in words for o in options}
        return words

    def scanner(self) -> PhraseScanner:
        """One pass over an answer that finds the phrases of every expandable part
        compiled so far (a step's local criteria, compiled later, match by regex)."""
        for key in self.phrases:
            if key in self._compiled:
                self._compiled[key].scanned = True
        return PhraseScanner(self.phrases)


class Rule(NamedTuple):
    """One rule of a detector: every part must match in one scope; exclusions drop it."""

    parts: tuple[LazyPattern, ...]
    scope: str = "clause"  # clause | sentence | answer
    exclude: tuple[LazyPattern, ...] = ()
    negatable: bool = True
    exclude_scope: str = "clause"  # where an exclusion is looked for

    def hits(self, ctx: Context) -> list[tuple[tuple[int, int], ...]]:
        """Each match: one span per part (normalised text)."""
        if len(self.parts) == 1:
            spans = ctx.find(self.parts[0])
            excluded = ctx.find_any(self.exclude) if spans and self.exclude else ()
            return [(span,) for span in spans if self._counts(ctx, span, excluded)]
        raw = [ctx.find(part) for part in self.parts]
        if not all(raw):  # a part is missing: no need to weigh the others
            return []
        excluded = ctx.find_any(self.exclude) if self.exclude else ()
        found = []
        for spans in raw:
            spans = [s for s in spans if self._counts(ctx, s, excluded)]
            if not spans:
                return []
            found.append(spans)
        # The first span of every other part, by scope (clause, sentence or answer).
        firsts = []
        for spans in found[1:]:
            by_scope: dict[object, tuple[int, int]] = {}
            for span in spans:
                by_scope.setdefault(self._scope_key(ctx, span[0]), span)
            firsts.append(by_scope)
        hits = []
        for span in found[0]:
            key = self._scope_key(ctx, span[0])
            others = [by_scope.get(key) for by_scope in firsts]
            if all(others):
                hits.append((span, *others))
        return hits

    def _scope_key(self, ctx: Context, pos: int) -> object:
        if self.scope == "answer":
            return 0
        if self.scope == "sentence":
            return ctx.segments.sentence_at(pos)
        return ctx.segments.clause_index(pos)

    def _counts(self, ctx: Context, span: tuple[int, int], excluded: list[tuple[int, int]]) -> bool:
        """Whether the words at ``span`` count: not near a match of the rule's exclusions
        (``excluded``), not negated (an odd number of negators), not a mention."""
        if excluded and _near(ctx, excluded, span[0], self.exclude_scope):
            return False
        if self.negatable and ctx.may_negate:
            found = ctx._negated.get(span)
            if found is None:
                found = ctx._negated[span] = negators(ctx, *span) % 2 == 1
            if found:
                return False
        if not ctx.may_mention:
            return True
        found = ctx._mentioned.get(span)
        if found is None:
            found = ctx._mentioned[span] = mentioned(ctx, *span)
        return not found


class Matcher(NamedTuple):
    """A criterion's compiled detector: any rule hitting makes it present."""

    rules: tuple[Rule, ...]
    exclude: tuple[LazyPattern, ...] = ()
    suppressed_by: tuple[str, ...] = ()
    exclude_scope: str = "clause"

    def find(self, ctx: Context, rules: Iterable[int] | None = None) -> list[tuple[int, int]]:
        """Spans (normalised) that show the criterion, or [] when it is absent.

        ``rules``: the numbers of the rules worth a look (the detector knows which ones
        the phrase scan left a chance); all of them when None.
        """
        spans: list[tuple[int, int]] = []
        excluded = None
        for rule in self.rules if rules is None else map(self.rules.__getitem__, rules):
            for hit in rule.hits(ctx):
                if self.exclude:
                    if excluded is None:
                        excluded = ctx.find_any(self.exclude)
                    if excluded and any(_near(ctx, excluded, s[0], self.exclude_scope) for s in hit):
                        continue
                spans.extend(hit)
        return sorted(set(spans)) if len(spans) > 1 else spans


def _near(ctx: Context, found: list[tuple[int, int]], pos: int, scope: str) -> bool:
    """Whether one of ``found`` (an exclusion's matches) lies in the clause or sentence of
    ``pos``, or anywhere in the answer."""
    if scope == "answer":
        return True
    start, end = ctx.segments.sentence_at(pos) if scope == "sentence" else ctx.clause(pos)
    return any(start <= a and b <= end for a, b in found)


def _scope(spec: dict, key: str, where: str) -> str:
    value = spec.get(key, "clause")
    if value not in ("clause", "sentence", "answer"):
        raise PatternError(f"{key} 应为 clause、sentence 或 answer", f"{where}.{key}")
    return value


def _parts(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise PatternError("应为短语字符串或短语列表", where)


def compile_matcher(spec: Any, lexicon: Lexicon, where: str = "detect") -> Matcher:
    """Compile a ``detect`` block (see the module docstring) into a ``Matcher``."""
    if isinstance(spec, (str, list)):
        spec = {"any": spec if isinstance(spec, list) else [spec]}
    if not isinstance(spec, dict):
        raise PatternError("detect 应为映射（含 any）、短语或规则列表", where)
    unknown = set(spec) - {"any", "not", "not_scope", "suppressed_by"}
    if unknown:
        raise PatternError(f"detect 中有未知的键：{', '.join(sorted(unknown))}", where)
    rules_spec = spec.get("any")
    if not isinstance(rules_spec, list) or not rules_spec:
        raise PatternError("detect.any 应为非空的规则列表", where)
    rules = tuple(rule for i, r in enumerate(rules_spec)
                  for rule in _rule(r, lexicon, f"{where}.any[{i}]"))
    exclude = _alternation(spec.get("not"), lexicon, f"{where}.not")
    suppressed = spec.get("suppressed_by") or []
    if not isinstance(suppressed, list) or not all(isinstance(s, str) for s in suppressed):
        raise PatternError("suppressed_by 应为评分标准编号列表", f"{where}.suppressed_by")
    return Matcher(rules, exclude, tuple(suppressed), _scope(spec, "not_scope", where))


def _alternation(value: Any, lexicon: Lexicon, where: str) -> tuple[LazyPattern, ...]:
    if value is None:
        return ()
    try:
        return lexicon.alternation(_parts(value, where))
    except PatternError as exc:
        raise PatternError(str(exc), where) from None


def _fast_parts(source: str, lexicon: Lexicon) -> list[str]:
    """``source`` as one part, or as two when it mixes plain phrases with gap or number
    alternatives: the phrases then stay on the one-pass scan instead of a regex run."""
    plain, rest = lexicon.split_plain(source)
    if not plain or not rest:
        return [source]
    return [plain, "|".join(rest)]


def _rule(spec: Any, lexicon: Lexicon, where: str) -> list[Rule]:
    """The rule(s) for one ``any`` entry: a part mixing phrases with gaps or numbers is
    split (see ``_fast_parts``), giving one rule per combination; together they match
    exactly what the entry matches."""
    try:
        if isinstance(spec, str):
            spec = {"all": [spec]}
        if not isinstance(spec, dict):
            raise PatternError("规则应为短语字符串或映射（all / not / scope / negatable）", where)
        unknown = set(spec) - {"all", "not", "not_scope", "scope", "negatable"}
        if unknown:
            raise PatternError(f"规则中有未知的键：{', '.join(sorted(unknown))}", where)
        sources = _parts(spec.get("all"), f"{where}.all")
        for source in sources:
            lexicon.check(source)
        scope = _scope(spec, "scope", where)
        negatable = spec.get("negatable", True)
        if not isinstance(negatable, bool):
            raise PatternError("negatable 应为 true 或 false", f"{where}.negatable")
        exclude = _alternation(spec.get("not"), lexicon, f"{where}.not")
        not_scope = _scope(spec, "not_scope", where)
        return [Rule(tuple(lexicon.compile(p) for p in parts), scope, exclude, negatable, not_scope)
                for parts in itertools.product(*(_fast_parts(s, lexicon) for s in sources))]
    except PatternError as exc:
        raise PatternError(str(exc), exc.where or where) from None
    except re.error as exc:
        raise PatternError(f"正则编译失败：{exc}", where) from None
