"""The learned check: a second opinion on the rules from the labelled answers.

The rules (``patterns``) say what an answer shows and where. They are precise, but a
trainee finds wordings no rule was written for. The learned check is one logistic
regression per criterion over which character 1-3-grams the normalised answer holds,
and which of them stand within four characters after a negator (不没别未无) in the same
clause (marked ``¬``). It is trained on the tuning sets (``tests/data/dev_tune*.jsonl``,
never the held-out part) and on the built-in scenarios' answer examples (each for the
criteria it names) by ``tools/train_learned.py`` with an L1 penalty, which keeps about
6,300 n-grams, and kept in ``rubrics/learned.tsv``. The detector uses it in two
ways only:

* a rule hit stands unless the check finds the criterion all but impossible
  (p < 0.005): a rule that fired on words used in another sense;
* a criterion no rule found is added when the check is confident (p >= 0.8) and the
  n-gram that weighed most for it stands plainly in the answer (no negator bears on it,
  it is not quoted or reported to be rejected: the rules' own tests of meaning), with
  the n-grams that weighed most as evidence.

On 24 answer sets by annotators neither the rules nor the model had seen, this raised the
pooled kappa by 0.02-0.08: on the last twelve from a mean of 0.802 to 0.862
(tools/train_learned.py says how it was measured).

The file: a JSON header line (criteria, biases, the two thresholds, the training files
and their checksums), then one line per n-gram, ``GRAM<TAB>k:w k:w …`` (criterion number,
weight), sorted. A trainer can read which words push a criterion up or down.
"""

from __future__ import annotations

import array
import json
import math
import re
import struct
from collections import Counter
from collections.abc import Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from simulator.scoring.patterns import AUTOMATON_AFTER
from simulator.scoring.text import Segments

#: The characters that mark the n-grams shortly after them as negated features.
_NEGATOR = re.compile("[不没别未无]")
#: How many characters after a negator its negated n-grams may start.
NEGATION_REACH = 4
#: The mark of a negated n-gram.
NEGATED = "¬"
_SKIPPED_UNIGRAMS = frozenset(" ,.")
_SECOND = itemgetter(1)
#: Weights and scores are kept as whole numbers of 1/10,000 (the file's precision).
UNIT = 10_000
#: A table of whole numbers: a list, or machine words (``array('i')``, or its bytes).
Table = list[int] | array.array | bytes | memoryview


def features(text: str, segments: Segments) -> set[str]:
    """The features of a normalised answer: its 1-3-grams (not a lone space, comma or
    full stop), and ``¬``-marked those starting within ``NEGATION_REACH`` characters
    after a negator and ending inside the negator's clause."""
    return plain_features(text) | {NEGATED + gram for gram in negated_grams(text, segments)}


def plain_features(text: str) -> set[str]:
    """The unmarked features of ``features``: every 1-3-gram but a lone space, comma or stop."""
    found = set(text) - _SKIPPED_UNIGRAMS
    found.update(map(str.__add__, text, text[1:]))
    found.update(map("".join, zip(text, text[1:], text[2:], strict=False)))  # stops at the shortest
    return found


def negated_grams(text: str, segments: Segments) -> set[str]:
    """The n-grams of ``features`` that it marks ``¬`` (without the mark)."""
    found: set[str] = set()
    if _NEGATOR.search(text) is None:
        return found
    clauses, n = segments.clauses, len(text)
    for match in _NEGATOR.finditer(text):
        i = match.start()
        index = segments.clause_index(i)
        end = clauses[index][1] if index >= 0 and clauses[index][1] > i else n
        window = text[i + 1:min(i + 1 + NEGATION_REACH + 2, end)]
        found.update(map(window.__getitem__, _WINDOW_SLICES[len(window)]))
    return found


#: The n-grams of a window after a negator that ``negated_grams`` takes, by its length:
#: those starting within ``NEGATION_REACH`` characters and ending inside the window.
_WINDOW_SLICES = [[slice(a, a + size) for a in range(min(NEGATION_REACH, m)) for size in (1, 2, 3)
                   if a + size <= m] for m in range(NEGATION_REACH + 3)]


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
        if ks and (min(ks) < 0 or max(ks) >= len(self.bias)):
            raise ValueError("a learned weight for a criterion it does not know")
        self._names = names
        self._index = dict(zip(names, range(len(names)), strict=True))
        #: the unmarked n-grams, and the marked ones by their words (see ``scores``)
        self._plain = frozenset(name for name in names if name[:1] != NEGATED)
        self._negated = {name[1:]: i for name, i in self._index.items() if name[:1] == NEGATED}
        # The packing of ``scores``: an n-gram's weights, each in its field of ``_field``
        # bits at an offset above any weight, so that no field is ever negative.
        self._offset = 1 << max(max(ws, default=0), -min(ws, default=0), *map(abs, self.bias), 1).bit_length()
        most = 2 * self._offset * (len(names) + 1)  # every n-gram and the bias at once
        self._field = 32 if most < 1 << 32 else 64 if most < 1 << 64 else 0
        if not self._field:
            raise ValueError("a learned weight out of range")
        self._fields = struct.Struct(f"<{len(self.bias)}{'I' if self._field == 32 else 'Q'}")
        #: every field at its offset: an n-gram without weights; with the bias, the sum's start
        self._offsets = sum(self._offset << (self._field * k) for k in range(len(self.bias)))
        self._bias = self._offsets + sum(b << (self._field * k) for k, b in enumerate(self.bias))
        #: n-gram number -> its packed weights (0 until it is first met)
        self._packed = [0] * len(names)
        self._answers = 0
        #: after ``AUTOMATON_AFTER`` answers: finds the unmarked n-grams' numbers
        self._automaton: Any = None
        #: ``_words_pushing`` (for ``evidence``), once first asked
        self._pushing: list[dict[int, int]] | None = None

    @classmethod
    def read(cls, path: Path) -> LearnedCheck:
        """Load ``learned.tsv`` (raises ``ValueError``, ``KeyError`` or ``OSError``)."""
        lines = path.read_text(encoding="utf-8").split("\n")
        head = json.loads(lines[0])
        rows = [line.partition("\t")[::2] for line in filter(None, lines[1:])]
        # Kept in the order the automaton is filled in (``_build_automaton``), as the
        # phrase scan's is (``PhraseScanner``): the characters most n-grams start or go
        # on with first, since pyahocorasick looks through a node's children one by one.
        count = Counter(gram[:i] for gram, _ in rows for i in (1, 2))
        rows.sort(key=lambda row: (-count[row[0][:1]], row[0][:1], -count[row[0][:2]], row[0]))
        names, starts, ks, ws = [], [0], [], []
        for gram, weights in rows:
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

    def scores(self, text: str, segments: Segments) -> tuple[list[int], set[int]]:
        """Each criterion's score (log-odds, in ``UNIT``) for a normalised answer, and the
        numbers of the model's n-grams it holds (for ``evidence``).

        Summed in C: each n-gram's weights are packed into one integer, a field per
        criterion (``_pack``), so the sum of the n-grams the answer holds is one ``sum``
        whose fields are read back as machine words. After ``AUTOMATON_AFTER`` answers
        the unmarked n-grams are found by an Aho-Corasick automaton in C (pyahocorasick,
        as the phrase scan does) instead of listing every n-gram of the answer; both give
        the same scores (a test holds them to it)."""
        packed, negated = self._packed, self._negated
        walking = self._automaton is None
        if walking:
            self._answers += 1
            if self._answers == AUTOMATON_AFTER:
                self._build_automaton()
            found = set(map(self._index.__getitem__, plain_features(text) & self._plain))
        else:
            found = set(map(_SECOND, self._automaton.iter(text)))  # (end, number) pairs
        if _NEGATOR.search(text):
            found.update(map(negated.__getitem__, negated_grams(text, segments) & negated.keys()))
        if walking:  # each n-gram packed when first met (the automaton packs them all)
            for i in [i for i in found if not packed[i]]:
                packed[i] = self._pack(i)
        total = sum(map(packed.__getitem__, found), self._bias)
        offset = (len(found) + 1) * self._offset  # the bias's and each n-gram's
        return [field - offset for field in self._fields.unpack(
            total.to_bytes(self._fields.size, "little"))], found

    def _pack(self, i: int) -> int:
        field, packed = self._field, self._offsets
        for j in range(self._starts[i], self._starts[i + 1]):
            packed += self._ws[j] << (field * self._ks[j])
        return packed

    def _build_automaton(self) -> None:
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for i, gram in enumerate(self._names):  # in the order ``read`` gave them
            if gram[:1] != NEGATED:
                automaton.add_word(gram, i)
        if len(automaton):
            automaton.make_automaton()
            self._automaton = automaton
        packed = self._packed
        for i, value in enumerate(packed):  # a long run: all at once
            if not value:
                packed[i] = self._pack(i)

    def evidence(self, text: str, found: set[int], k: int, limit: int = 2) -> list[tuple[int, int]]:
        """Spans (normalised) of the n-grams of words (no punctuation or space) that weighed
        most for criterion ``k``, the heaviest first, among those ``scores`` found."""
        if self._pushing is None:
            self._pushing = self._words_pushing()
        pushing, names = self._pushing[k], self._names
        weighed = sorted([(pushing[i], names[i]) for i in found & pushing.keys()], reverse=True)
        spans = []
        for _, gram in weighed[:limit]:
            at = text.find(gram)
            spans.append((at, at + len(gram)))
        return spans

    def _words_pushing(self) -> list[dict[int, int]]:
        """For each criterion, the n-grams of words (as ``\\w`` has them: no punctuation,
        no ``¬``) that weigh for it: n-gram number -> its positive weight."""
        starts, ks, ws = self._starts, self._ks, self._ws
        pushing: list[dict[int, int]] = [{} for _ in self.bias]
        for i, name in enumerate(self._names):
            if name.replace("_", "a").isalnum():
                for j in range(starts[i], starts[i + 1]):
                    if ws[j] > 0:
                        pushing[ks[j]][i] = ws[j]
        return pushing


def _numbers(table: Table) -> array.array:
    if isinstance(table, (bytes, memoryview)):
        numbers = array.array("i")
        numbers.frombytes(table)
        return numbers
    return table if isinstance(table, array.array) else array.array("i", table)


def _logit(p: float) -> float:
    return math.log(p / (1 - p))
