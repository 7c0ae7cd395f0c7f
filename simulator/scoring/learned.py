"""The learned check: a second opinion on the rules from the labelled answers.

The rules (``patterns``) say what an answer shows and where. They are precise, but a
trainee finds wordings no rule was written for. The learned check is one logistic
regression per criterion over which character 1-3-grams the normalised answer holds,
and which of them stand within four characters after a negator (不没别未无) in the same
clause (marked ``¬``). It is trained on the tuning sets (``tests/data/dev_tune*.jsonl``,
never the held-out part) by ``tools/train_learned.py`` with an L1 penalty, which keeps
about 4,000 n-grams, and kept in ``rubrics/learned.tsv``. The detector uses it in two
ways only:

* a rule hit stands unless the check finds the criterion all but impossible
  (p < 0.0001): a rule that fired on words used in another sense;
* a criterion no rule found is added when the check is confident (p >= 0.8) and the
  n-gram that weighed most for it stands plainly in the answer (no negator bears on it,
  it is not quoted or reported to be rejected: the rules' own tests of meaning), with
  the n-grams that weighed most as evidence.

On nine answer sets by annotators neither the rules nor the model had seen, this raised
the pooled kappa by 0.03-0.08, from a mean of 0.787 to 0.838 (tools/train_learned.py
says how it was measured).

The file: a JSON header line (criteria, biases, the two thresholds, the training files
and their checksums), then one line per n-gram, ``GRAM<TAB>k:w k:w …`` (criterion number,
weight), sorted. A trainer can read which words push a criterion up or down.
"""

from __future__ import annotations

import array
import json
import math
import re
from collections.abc import Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from simulator.scoring.patterns import AUTOMATON_AFTER
from simulator.scoring.text import Segments

#: Characters that mark the n-grams shortly after them as negated features.
NEGATORS = frozenset("不没别未无")
_NEGATOR = re.compile("[不没别未无]")
#: How many characters after a negator its negated n-grams may start.
NEGATION_REACH = 4
#: The mark of a negated n-gram.
NEGATED = "¬"
_SKIPPED_UNIGRAMS = frozenset(" ,.")
_SECOND = itemgetter(1)
_NOT_WORD = re.compile(r"\W")
#: Weights and scores are kept as whole numbers of 1/10,000 (the file's precision).
UNIT = 10_000
#: Bound of a weight in ``UNIT`` (|w| < 100), and the offset that keeps packed fields positive.
_OFFSET = 1 << 20
#: A table of whole numbers: a list, or machine words (``array('i')``, or its bytes).
Table = list[int] | array.array | bytes | memoryview


def features(text: str, segments: Segments) -> set[str]:
    """The features of a normalised answer: its 1-3-grams (not a lone space, comma or
    full stop), and ``¬``-marked those starting within ``NEGATION_REACH`` characters
    after a negator and ending inside the negator's clause."""
    found = set(text) - _SKIPPED_UNIGRAMS
    found.update(map(str.__add__, text, text[1:]))
    found.update(map("".join, zip(text, text[1:], text[2:], strict=False)))  # stops at the shortest
    return found | negated_features(text, segments)


def negated_features(text: str, segments: Segments) -> set[str]:
    """The ``¬``-marked features of ``features``."""
    found: set[str] = set()
    if NEGATORS.isdisjoint(text):
        return found
    clauses, n = segments.clauses, len(text)
    for match in _NEGATOR.finditer(text):
        i = match.start()
        index = segments.clause_index(i)
        end = clauses[index][1] if index >= 0 and clauses[index][1] > i else n
        for start in range(i + 1, min(i + 1 + NEGATION_REACH, end)):
            for size in (1, 2, 3):
                if start + size <= end:
                    found.add(NEGATED + text[start:start + size])
    return found


class LearnedCheck:
    """The trained model (see the module). Weights are whole numbers of ``UNIT``, so a
    score is the same whatever order an answer's n-grams are summed in."""

    def __init__(self, criteria: Sequence[str], bias: Sequence[int], veto: float, add: float,
                 grams: str, starts: Table, ks: Table, ws: Table,
                 trained_on: dict[str, str]) -> None:
        self.criteria = list(criteria)
        self.bias = list(bias)
        #: score thresholds (log-odds in ``UNIT``): a rule hit below ``veto`` is dropped,
        #: a criterion at or above ``add`` is added
        self.veto, self.add = veto, add
        #: the tuning files it was trained on: name -> checksum (``simulator.cache``)
        self.trained_on = dict(trained_on)
        #: the n-grams (tab-separated); the i-th has the weights ``ws[starts[i]:starts[i+1]]``
        #: for the criteria numbered ``ks[starts[i]:starts[i+1]]``
        starts, ks, ws = _numbers(starts), _numbers(ks), _numbers(ws)
        self._grams, self._starts, self._ks, self._ws = grams, starts, ks, ws
        names = grams.split("\t") if grams else []
        if len(starts) != len(names) + 1 or len(ks) != len(ws) or starts[-1] != len(ks):
            raise ValueError("a learned table that does not add up")
        self._index = dict(zip(names, range(len(names)), strict=True))
        #: the same names as a set: an answer's features meet it twice as fast as the keys
        self._names = frozenset(names)
        if ws and (min(ws) <= -_OFFSET or max(ws) >= _OFFSET or min(ks) < 0 or max(ks) >= len(bias)):
            raise ValueError("a learned weight out of range")
        #: ``scores``: bits per criterion, every field at its offset, each n-gram packed
        self._field = (2 * _OFFSET * max(len(names), 1)).bit_length()
        self._mask = (1 << self._field) - 1
        self._base = sum(_OFFSET << (self._field * k) for k in range(len(self.bias)))
        self._packed: dict[str, int] = {}
        self._answers = 0
        self._automaton: Any = None

    @classmethod
    def read(cls, path: Path) -> LearnedCheck:
        """Load ``learned.tsv`` (raises ``ValueError``, ``KeyError`` or ``OSError``)."""
        lines = path.read_text(encoding="utf-8").split("\n")
        head = json.loads(lines[0])
        names, starts, ks, ws = [], [0], [], []
        for line in filter(None, lines[1:]):
            gram, _, weights = line.partition("\t")
            for pair in weights.split():
                k, w = pair.split(":")
                ks.append(int(k))
                ws.append(round(float(w) * UNIT))
            names.append(gram)
            starts.append(len(ks))
        bias = [round(b * UNIT) for b in head["bias"]]
        return cls(head["criteria"], bias, _logit(head["veto"]) * UNIT, _logit(head["add"]) * UNIT,
                   "\t".join(names), starts, ks, ws, head["trained_on"])

    def __getstate__(self) -> dict[str, Any]:
        """For a cache: the tables as raw bytes (blobs, no JSON numbers to parse)."""
        return {"criteria": self.criteria, "bias": self.bias, "veto": self.veto, "add": self.add,
                "grams": self._grams, "starts": self._starts.tobytes(), "ks": self._ks.tobytes(),
                "ws": self._ws.tobytes(), "trained_on": self.trained_on}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["criteria"], state["bias"], state["veto"], state["add"],
                      state["grams"], state["starts"], state["ks"], state["ws"],
                      state["trained_on"])

    def present(self, text: str, segments: Segments) -> set[str]:
        """The model's n-grams among the features of a normalised answer.

        After ``AUTOMATON_AFTER`` answers the plain n-grams are found by an Aho-Corasick
        automaton in C (pyahocorasick, as the phrase scan does) instead of listing every
        n-gram of the answer; both give the same set (a test holds them to it)."""
        if self._automaton is None:
            self._answers += 1
            if self._answers == AUTOMATON_AFTER:
                self._build_automaton()
            return features(text, segments) & self._names
        found = set(map(_SECOND, self._automaton.iter(text)))  # (end, gram) pairs
        if not NEGATORS.isdisjoint(text):
            found |= negated_features(text, segments) & self._names
        return found

    def _build_automaton(self) -> None:
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for gram in self._names:
            if gram[0] != NEGATED:
                automaton.add_word(gram, gram)
        if len(automaton):
            automaton.make_automaton()
            self._automaton = automaton
        for gram in self._index.keys() - self._packed.keys():  # a long run: all at once
            self._packed[gram] = self._pack(gram)

    def scores(self, hits: set[str]) -> list[int]:
        """Each criterion's score (log-odds, in ``UNIT``) for an answer holding these of
        the model's n-grams (``present``).

        Summed in C: each n-gram's weights are packed into one integer, a field of
        ``_field`` bits per criterion holding ``_OFFSET + weight`` (never negative), wide
        enough that the fields of all the model's n-grams together cannot overflow. The
        sum of the packed integers is the packed sum; each field, less the offsets, is
        that criterion's total."""
        packed = self._packed
        if len(packed) < len(self._index):  # each n-gram is packed when first met
            for gram in [gram for gram in hits if gram not in packed]:
                packed[gram] = self._pack(gram)
        total = sum(map(packed.__getitem__, hits))
        offset, field, mask = len(hits) * _OFFSET, self._field, self._mask
        return [b + ((total >> (field * k)) & mask) - offset for k, b in enumerate(self.bias)]

    def _pack(self, gram: str) -> int:
        i = self._index[gram]
        packed = self._base
        for j in range(self._starts[i], self._starts[i + 1]):
            packed += self._ws[j] << (self._field * self._ks[j])
        return packed

    def evidence(self, text: str, hits: set[str], k: int, limit: int = 2) -> list[tuple[int, int]]:
        """Spans (normalised) of the n-grams of words (no punctuation or space) that weighed
        most for criterion ``k``, the heaviest first."""
        shift, mask = self._field * k, self._mask
        packed = self._packed
        weighed = [(((packed.get(gram) or self._pack(gram)) >> shift & mask) - _OFFSET, gram)
                   for gram in hits if gram[0] != NEGATED and not _NOT_WORD.search(gram)]
        spans = []
        for weight, gram in sorted(weighed, reverse=True)[:limit]:
            if weight > 0:
                at = text.find(gram)
                spans.append((at, at + len(gram)))
        return spans


def _numbers(table: Table) -> array.array:
    if isinstance(table, (bytes, memoryview)):
        numbers = array.array("i")
        numbers.frombytes(table)
        return numbers
    return table if isinstance(table, array.array) else array.array("i", table)


def _logit(p: float) -> float:
    return math.log(p / (1 - p))
