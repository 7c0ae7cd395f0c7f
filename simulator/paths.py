"""Paths through a scenario: the static path analysis and the seeded random playthroughs.

Path analysis (``analyse``) explores the step graph without a trainee. At each step the
answer is abstracted to a few representative outcomes: the best (every expected good
criterion, no bad one), each example's ``present`` list, the worst (no good criterion,
every bad one), and for a choice step each option. Meters, ``shown``, ``seen``, branches
and endings then follow the engine's own rules (``Session``'s effect, condition and
branch code), and step and attempt scores the rubric's, so an analysed path and a real
visit with the same answers cannot disagree.

Paths that meet in the same state (step, meters and whatever the conditions can read) are
explored once from there, so far more paths are covered than steps computed. Rounds allow
0, 1, 2 … answers other than the best on a path, until every path is covered or the work
budget (steps computed) is spent; each step is visited at most twice on a path, so loops
end. Every finding is a real path: when the budget runs out, the score ranges are those of
the paths covered. ``path_warnings`` turns an analysis into ``simulator validate``'s two
warnings (a warned-against answer that still reaches the best ending; a good ending whose
score range overlaps a bad one), ``describe`` into the ``--paths`` report.

Cost: ``simulator validate`` shares ``VALIDATE_TOTAL`` steps out over the files of a run
(``validate_budget``) and skips a scenario whose share cannot try each of its answers once
(``answer_count``), so the extra time of a run is bounded whatever the library's size;
conditions are compiled once per shape (constants lifted out), not once per scenario.

``random_playthroughs`` is ``simulator test --random``: seeded random visits through the
real engine and detector (each step's example answers and choice options), with the steps
and endings they never reached.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from simulator.engine import Session
from simulator.loader import Problem, Where
from simulator.model import Detection, Ending, Scenario, Step, Verdict
from simulator.scoring import attempt_score, step_score

#: Steps computed by one ``simulator validate`` run, shared out among its scenarios (at most
#: ``DEEP_BUDGET`` each): the built-in library is analysed in full, and a library so large
#: that a scenario's share cannot try each of its answers once is not analysed at all.
VALIDATE_TOTAL = 25_000
#: Steps computed for one scenario on its own (``graph``, ``validate --paths``).
DEEP_BUDGET = 5_000
#: How often one step may come up on one path (loops end here).
MAX_VISITS = 2
#: Longer paths are not followed.
MAX_DEPTH = 300
#: Rounds of the exploration cost at most this many times the budget in bookkeeping.
WORK_PER_STEP = 40

#: The label of the best answer to a free step.
BEST = "最佳回答"
_OUTCOME = {"good": "好结局", "neutral": "一般结局", "bad": "坏结局"}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One representative answer to a step: what it shows and what it scores."""

    label: str
    shown: frozenset[str]
    score: float
    choice: int | None = None
    #: Where the answer is written (for messages): the option, the example, good or bad.
    where: Where = ()
    #: The warned-against criteria it shows.
    bad: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EndingRange:
    """The attempt scores with which the paths covered reach one ending."""

    ending: Ending
    index: int
    low: float
    high: float
    #: The paths that score ``low`` and ``high``: (step id, outcome label) pairs.
    low_path: tuple[tuple[str, str], ...]
    high_path: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Witness:
    """A path that shows a warned-against criterion at ``step`` and reaches a best ending."""

    step: int
    outcome: Outcome
    ending: Ending
    path: tuple[tuple[str, str], ...]


@dataclass(slots=True)
class Analysis:
    """What the paths covered reach: score range per ending, bad paths to the best ending."""

    scenario: Scenario
    ranges: dict[str, EndingRange] = field(default_factory=dict)
    witnesses: list[Witness] = field(default_factory=list)
    #: Complete paths covered (paths that meet count once per way of getting there).
    paths: int = 0
    #: Every path of the abstracted answers was covered (nothing left to the budget).
    complete: bool = False
    steps_computed: int = 0
    #: Paths given up because a step came up more than ``MAX_VISITS`` times.
    loops_cut: int = 0
    best: tuple[str, ...] = ()


def outcomes(step: Step, index: int, criteria: dict[str, Any]) -> tuple[Outcome, ...]:
    """The representative answers of a step, the best first (see ``_Answers``)."""
    answers = _Answers(step, index, criteria)
    return tuple(answers[k] for k in range(len(answers)))


class _Answers:
    """A step's representative answers, the best first, each scored when first asked for.

    A free step: the best answer, each example, the worst answer (the same criteria shown
    counted once); a choice step: each option, the best-scoring first.
    """

    def __init__(self, step: Step, index: int, criteria: dict[str, Any]) -> None:
        at: Where = ("steps", index)
        self.step, self.criteria = step, criteria
        raw: list[tuple[str, frozenset[str], int | None, Where]] = []
        if step.answer == "choice":
            raw += [(f"选项 {k}", frozenset(o.shows), k, (*at, "options", k - 1))
                    for k, o in enumerate(step.options, 1)]
        else:
            raw.append((BEST, frozenset(step.good), None, (*at, "good")))
            raw += [(f"示例 {k}", frozenset(e.present), None, (*at, "examples", k - 1))
                    for k, e in enumerate(step.examples, 1)]
            raw.append(("最差回答", frozenset(step.bad), None, (*at, "bad") if step.bad else at))
            unique: dict[frozenset[str], tuple[str, frozenset[str], int | None, Where]] = {}
            for item in raw:
                unique.setdefault(item[1], item)
            raw = list(unique.values())
        self.raw = raw
        self.done: list[Outcome | None] = [None] * len(raw)
        if step.answer == "choice":
            scored = sorted((self._score(k) for k in range(len(raw))), key=lambda o: -o.score)
            self.raw = [raw[o.choice - 1] for o in scored if o.choice is not None]
            self.done = list(scored)

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, k: int) -> Outcome:
        found = self.done[k]
        if found is None:
            found = self.done[k] = self._score(k)
        return found

    def _score(self, k: int) -> Outcome:
        label, shown, choice, where = self.raw[k]
        local, criteria = self.step.local, self.criteria
        known = [c for c in (local.get(cid) or criteria.get(cid) for cid in sorted(shown)) if c]
        verdicts = [Verdict(c.id, c.kind, False, True) for c in known]
        return Outcome(label, shown, step_score(self.step, verdicts, self.criteria), choice, where,
                       tuple(c.id for c in known if c.kind == "bad"))


def best_endings(scenario: Scenario) -> tuple[int, ...]:
    """Indexes of the best endings: outcome good and, among those, the highest score cap."""
    good = [(i, e) for i, e in enumerate(scenario.endings) if e.outcome == "good"]
    if not good:
        return ()
    top = max(_cap(e) for _, e in good)
    return tuple(i for i, e in good if _cap(e) == top)


def _cap(ending: Ending) -> float:
    return 101.0 if ending.score_cap is None else float(ending.score_cap)


# ------------------------------------------------------------------ the analysis


class _Catalogued:
    """Stands in for the detector: the probe answers from known criteria, never detects."""

    def __init__(self, catalogue: Any) -> None:
        self.catalogue = catalogue


class _Probe(Session):
    """The engine's effect, condition and branch rules, one answer at a time from any state."""

    def __init__(self, scenario: Scenario, catalogue: Any) -> None:
        super().__init__(scenario, _Catalogued(catalogue))
        self._ids = tuple(m.id for m in scenario.meters)
        dynamic = {*self._ids, "shown", "seen", "score", "choice"}
        #: condition -> the names whose values decide it (None: not remembered)
        self._deciding: dict[str, tuple[str, ...] | None] = {}
        for source in _conditions(scenario):
            lifted = _lifted(source)
            self._deciding[source] = (None if lifted is None or "steps" in lifted[2]
                                      else tuple(sorted(lifted[2] & dynamic)))
        self._lift = not any(str(name).startswith(_LIFTED) for name in scenario.vars)
        self._held: dict[tuple[Any, ...], bool] = {}

    def move(self, step: Step, outcome: Outcome, meters: tuple[int, ...], seen: frozenset[str],
             history: tuple[tuple[str, float, frozenset[str]], ...]) -> tuple[tuple[int, ...], str]:
        """Answer ``step`` with ``outcome`` from this state: (meters after, step or ending id)."""
        self.meters = dict(zip(self._ids, meters, strict=True))
        self._seen = set(seen)
        self._history = {sid: {"score": score, "shown": shown} for sid, score, shown in history}
        self.current, self.finished, self.ending = step, False, None
        # As ``Session.answer`` does after detecting.
        self._apply_effects(step, outcome.shown, self.detector.catalogue.criteria)
        self._seen |= outcome.shown
        self._history[step.id] = {"score": outcome.score, "shown": outcome.shown}
        goto = self._advance(step, self._names(outcome.shown, outcome.score, outcome.choice))
        return tuple(self.meters[m] for m in self._ids), goto

    def _holds(self, condition: str | None, names: dict[str, Any]) -> bool:
        """``Session._holds``, remembered by the values that decide the condition."""
        if condition is None:
            return True
        deciding = self._deciding.get(condition)
        key = None if deciding is None else (condition, *(names.get(n) for n in deciding))
        held = self._held.get(key) if key is not None else None
        if held is None:
            held = _holds(condition, names) if self._lift else Session._holds(condition, names)
            if key is not None:
                self._held[key] = held
        return held


# Conditions are evaluated as the engine evaluates them (a jinja2 expression in the sandbox),
# but compiled once per *shape*: the constants are lifted out into variables, so that
# ``mood >= 95`` and ``mood >= 90`` share one compiled expression. Compiling is what costs
# (over half a millisecond a condition); a library whose conditions differ only in their
# thresholds would otherwise pay it for every one.
_LIFTED = "__K"
_SHAPES: dict[tuple[Any, ...], Any] = {}


def _conditions(scenario: Scenario) -> list[str]:
    found = [b.when for st in scenario.steps for b in st.next if b.when]
    return found + [e.when for e in scenario.endings if e.when]


@lru_cache(maxsize=4096)
def _lifted(source: str) -> tuple[tuple[Any, ...], dict[str, Any], frozenset[str]] | None:
    """(shape, lifted constants by variable name, names read) of a condition; None when it
    does not parse. The shape is the expression tree in prefix order, constants left out."""
    from jinja2 import nodes

    from simulator.validate import parse_condition

    expr, _ = parse_condition(source)
    if expr is None:
        return None
    shape: list[Any] = []
    constants: dict[str, Any] = {}
    names: set[str] = set()
    todo = [expr]
    while todo:
        node = todo.pop()
        if not isinstance(node, nodes.Node):
            shape.append(node)
        elif isinstance(node, nodes.Const):
            shape.append(_LIFTED)
            constants[f"{_LIFTED}{len(constants)}"] = node.value
        else:
            shape.append(type(node).__name__)
            if isinstance(node, nodes.Name) and node.ctx == "load":
                names.add(node.name)
            for value in reversed([getattr(node, f, None) for f in node.fields]):
                if isinstance(value, list):
                    todo += reversed(value)
                    todo.append(len(value))
                else:
                    todo.append(value)
    return tuple(shape), constants, frozenset(names)


@lru_cache(maxsize=4096)
def _asked_of_seen(source: str) -> frozenset[str] | None:
    """The criteria a condition asks ``seen`` about, when that is all it asks (``'x' in seen``,
    ``'x' not in seen``, ``seen.isdisjoint([...])``, ``seen.issuperset([...])``,
    ``seen.intersection([...])`` with literal ids); None when it may read more of ``seen``.
    Paths whose ``seen`` differ only elsewhere then meet in one state."""
    from jinja2 import nodes

    from simulator.validate import parse_condition

    expr, _ = parse_condition(source)
    if expr is None:
        return None
    every = [expr, *expr.find_all(nodes.Node)]
    asked: set[str] = set()
    answered: set[int] = set()
    for node in every:
        if (isinstance(node, nodes.Compare) and isinstance(node.expr, nodes.Const)
                and isinstance(node.expr.value, str) and len(node.ops) == 1
                and node.ops[0].op in ("in", "notin") and isinstance(node.ops[0].expr, nodes.Name)):
            asked.add(node.expr.value)
            answered.add(id(node.ops[0].expr))
        elif (isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr)
              and isinstance(node.node.node, nodes.Name)
              and node.node.attr in ("isdisjoint", "issuperset", "intersection")
              and len(node.args) == 1 and not node.kwargs and node.dyn_args is None
              and node.dyn_kwargs is None and isinstance(node.args[0], (nodes.List, nodes.Tuple))
              and all(isinstance(item, nodes.Const) for item in node.args[0].items)):
            asked.update(str(item.value) for item in node.args[0].items)
            answered.add(id(node.node.node))
    for node in every:
        if isinstance(node, nodes.Name) and node.name == "seen" and id(node) not in answered:
            return None
    return frozenset(asked)


def _holds(source: str, names: dict[str, Any]) -> bool:
    """Whether a condition holds: ``Session._holds`` with the shape's compiled expression."""
    lifted = _lifted(source)
    if lifted is None:
        return Session._holds(source, names)
    shape, constants, _ = lifted
    compiled = _SHAPES.get(shape)
    if compiled is None:
        if len(_SHAPES) >= 1024:
            _SHAPES.clear()
        compiled = _SHAPES[shape] = _compile_shape(source)
    try:
        return bool(compiled(**names, **constants))
    except Exception:  # noqa: BLE001 - as in the engine: a condition that fails does not hold
        return False


def _compile_shape(source: str) -> Any:
    """``compile_expression`` of the condition with its constants turned into variables."""
    from jinja2 import nodes
    from jinja2.environment import TemplateExpression

    from simulator.engine import sandbox
    from simulator.validate import parse_condition

    count = 0

    def lift(node: Any) -> Any:
        nonlocal count
        if isinstance(node, list):
            return [lift(item) for item in node]
        if not isinstance(node, nodes.Node):
            return node
        if isinstance(node, nodes.Const):
            count += 1
            return nodes.Name(f"{_LIFTED}{count - 1}", "load", lineno=node.lineno)
        copy = object.__new__(type(node))
        for name in node.fields:
            setattr(copy, name, lift(getattr(node, name, None)))
        for name in node.attributes:
            setattr(copy, name, getattr(node, name, None))
        return copy

    env = sandbox()
    expr = lift(parse_condition(source)[0])
    expr.set_environment(env)
    body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
    return TemplateExpression(env.from_string(nodes.Template(body, lineno=1)), True)


class _Summary:
    """What the paths from one state reach (paths are cons cells ``(step, outcome, rest)``,
    the last ``rest`` being the ending's index)."""

    __slots__ = ("ends", "best", "witness", "paths")

    def __init__(self) -> None:
        #: (ending, total step weight) -> [low sum, its path, high sum, its path]
        self.ends: dict[tuple[int, float], list[Any]] = {}
        self.best: Any = None
        #: step where a bad answer was given -> (its outcome, a path from here to a best ending)
        self.witness: dict[int, tuple[int, Any]] = {}
        self.paths = 0

    def put(self, key: tuple[int, float], low: float, low_path: Any, high: float,
            high_path: Any) -> None:
        entry = self.ends.get(key)
        if entry is None:
            self.ends[key] = [low, low_path, high, high_path]
            return
        if low < entry[0]:
            entry[0], entry[1] = low, low_path
        if high > entry[2]:
            entry[2], entry[3] = high, high_path


State = tuple[Any, ...]  # (step index, meters, seen or None, history or None, visits)


class _Explorer:
    def __init__(self, scenario: Scenario, catalogue: Any, budget: int) -> None:
        self.s = scenario
        self.criteria = catalogue.criteria
        self.budget = budget
        self.work = budget * WORK_PER_STEP
        self.spent = 0
        self.index = {step.id: i for i, step in enumerate(scenario.steps)}
        self.ending_index = {id(e): i for i, e in enumerate(scenario.endings)}
        self.best = set(best_endings(scenario))
        read: set[str] = set()
        #: The criteria whose presence in ``seen`` the conditions can tell (None: all of them).
        self.keep: frozenset[str] | None = frozenset()
        for source in _conditions(scenario):
            lifted = _lifted(source)
            read |= lifted[2] if lifted is not None else {"seen", "steps"}
            if "seen" in read and self.keep is not None:
                asked = _asked_of_seen(source)
                self.keep = None if asked is None else self.keep | asked
        self.uses_seen = "seen" in read
        self.uses_steps = "steps" in read
        self.probe = _Probe(scenario, catalogue)
        self.cyclic = {i: n for n, i in enumerate(_cyclic_steps(scenario, self.index))}
        self.outcomes: dict[int, _Answers] = {}
        self.moves: dict[tuple[State, int], tuple[Any, ...]] = {}
        self.memo: dict[tuple[State, int], _Summary] = {}
        self.out_of_budget = self.hit_limit = False
        self.loops_cut = 0

    def start(self) -> State:
        meters = tuple(max(m.min, min(m.max, m.start)) for m in self.s.meters)
        visits = tuple(1 if i == 0 else 0 for i in sorted(self.cyclic, key=self.cyclic.get))
        return (0, meters, frozenset() if self.uses_seen else None,
                () if self.uses_steps else None, visits)

    def outcomes_of(self, i: int) -> _Answers:
        found = self.outcomes.get(i)
        if found is None:
            found = self.outcomes[i] = _Answers(self.s.steps[i], i, self.criteria)
        return found

    def move(self, state: State, k: int) -> tuple[Any, ...] | None:
        """("end", ending index) | ("step", state) | ("cut",); None when out of budget."""
        key = (state, k)
        found = self.moves.get(key)
        if found is not None:
            return found
        if self.spent >= self.budget:
            self.out_of_budget = True
            return None
        self.spent += 1
        i, meters, seen, history, visits = state
        step, outcome = self.s.steps[i], self.outcomes_of(i)[k]
        after, goto = self.probe.move(step, outcome, meters, seen or frozenset(), history or ())
        if self.probe.finished:
            ending = self.probe.ending
            found = ("end", self.ending_index[id(ending)]) if ending is not None else ("cut",)
        else:
            j = self.index[goto]
            if j in self.cyclic:
                counts = list(visits)
                counts[self.cyclic[j]] += 1
                visits = tuple(counts)
            if j in self.cyclic and visits[self.cyclic[j]] > MAX_VISITS:
                found = ("cut",)
            else:
                if seen is not None:
                    seen = seen | (outcome.shown if self.keep is None else outcome.shown & self.keep)
                if history is not None:
                    rest = tuple(h for h in history if h[0] != step.id)
                    history = tuple(sorted((*rest, (step.id, outcome.score, outcome.shown)),
                                           key=lambda h: h[0]))
                found = ("step", (j, after, seen, history, visits))
        self.moves[key] = found
        return found

    def summary(self, state: State, deviations: int, depth: int) -> _Summary:
        """The paths from ``state`` with at most ``deviations`` answers other than the best."""
        key = (state, deviations)
        done = self.memo.get(key)
        if done is not None:
            return done
        result = _Summary()
        i = state[0]
        step = self.s.steps[i]
        weight = step.weight
        answers = self.outcomes_of(i)
        for k in range(len(answers)):
            left = deviations - (k > 0)
            if left < 0 or self.work <= 0:
                self.hit_limit = True
                break
            moved = self.move(state, k)
            if moved is None:
                continue
            if moved[0] == "cut":
                self.loops_cut += 1
                continue
            outcome = answers[k]
            gained = outcome.score * weight
            if moved[0] == "end":
                self.work -= 1
                e = moved[1]
                path = (i, k, e)
                result.put((e, weight), gained, path, gained, path)
                result.paths += 1
                if e in self.best:
                    result.best = result.best or path
                    if outcome.bad:
                        result.witness.setdefault(i, (k, path))
                continue
            if depth >= MAX_DEPTH:
                self.hit_limit = True
                continue
            child = self.summary(moved[1], left, depth + 1)
            self.work -= len(child.ends) + len(child.witness) + 1
            for (e, total), (low, low_path, high, high_path) in child.ends.items():
                result.put((e, total + weight), low + gained, (i, k, low_path),
                           high + gained, (i, k, high_path))
            result.paths += child.paths
            if child.best is not None:
                result.best = result.best or (i, k, child.best)
                if outcome.bad:
                    result.witness.setdefault(i, (k, (i, k, child.best)))
            for j, (bad_k, path) in child.witness.items():
                result.witness.setdefault(j, (bad_k, (i, k, path)))
        self.memo[key] = result
        return result

    def run(self) -> Analysis:
        analysis = Analysis(self.s, best=tuple(self.s.endings[i].id for i in sorted(self.best)))
        if not self.s.steps or not self.s.endings:
            return analysis
        start = self.start()
        found = _Summary()
        for deviations in range(MAX_DEPTH):
            self.memo.clear()
            self.hit_limit = False
            self.loops_cut = 0
            root = self.summary(start, deviations, 0)
            # A later round covers the earlier ones' paths (their steps are remembered), but
            # one cut short by the work limit may not: keep the union.
            for key, (low, low_path, high, high_path) in root.ends.items():
                found.put(key, low, low_path, high, high_path)
            for i, witness in root.witness.items():
                found.witness.setdefault(i, witness)
            found.paths = max(found.paths, root.paths)
            if not self.hit_limit and not self.out_of_budget:
                analysis.complete = True
                break
            if self.spent >= self.budget or self.work <= 0:
                break  # nothing new can be computed
        analysis.steps_computed = self.spent
        analysis.loops_cut = self.loops_cut
        analysis.paths = found.paths
        self._report(analysis, found)
        return analysis

    def _report(self, analysis: Analysis, found: _Summary) -> None:
        """Attempt scores and readable paths for what the rounds found."""
        weights = {st.id: st.weight for st in self.s.steps}
        best: dict[int, list[Any]] = {}
        for (e, _), (_, low_path, _, high_path) in found.ends.items():
            ending = self.s.endings[e]
            low, high = self._score(low_path, weights, ending), self._score(high_path, weights, ending)
            entry = best.setdefault(e, [low, low_path, high, high_path])
            if low < entry[0]:
                entry[0], entry[1] = low, low_path
            if high > entry[2]:
                entry[2], entry[3] = high, high_path
        for e, (low, low_path, high, high_path) in sorted(best.items()):
            ending = self.s.endings[e]
            analysis.ranges[ending.id] = EndingRange(
                ending, e, low, high, self._labels(self._walk(low_path)[0]),
                self._labels(self._walk(high_path)[0]))
        for i, (k, path) in sorted(found.witness.items()):
            steps, e = self._walk(path)
            analysis.witnesses.append(Witness(i, self.outcomes_of(i)[k], self.s.endings[e],
                                              self._labels(steps)))

    def _walk(self, path: Any) -> tuple[list[tuple[int, int]], int]:
        steps = []
        while isinstance(path, tuple):
            steps.append((path[0], path[1]))
            path = path[2]
        return steps, path

    def _labels(self, steps: list[tuple[int, int]]) -> tuple[tuple[str, str], ...]:
        return tuple((self.s.steps[i].id, self.outcomes_of(i)[k].label) for i, k in steps)

    def _score(self, path: Any, weights: dict[str, float], ending: Ending) -> float:
        """The attempt score of a path, by the rubric's own rule."""
        steps, _ = self._walk(path)
        answered = [_Answered(self.s.steps[i].id, self.outcomes_of(i)[k].score) for i, k in steps]
        return attempt_score(answered, weights, ending)


class _Answered(NamedTuple):
    """The two fields of a ``StepResult`` that ``attempt_score`` reads."""

    step: str
    score: float


def _cyclic_steps(scenario: Scenario, index: dict[str, int]) -> list[int]:
    """Indexes of the steps on a loop (in a strongly connected part, or going to themselves)."""
    edges = [[index[b.goto] for b in st.next if b.goto in index] for st in scenario.steps]
    if all(j > i for i, targets in enumerate(edges) for j in targets):
        return []  # every branch goes forward: no loop
    n = len(edges)
    order: list[int] = []
    visited = [False] * n
    for root in range(n):  # Kosaraju, both passes without recursion
        if visited[root]:
            continue
        visited[root] = True
        stack = [(root, iter(edges[root]))]
        while stack:
            node, children = stack[-1]
            nxt = next((c for c in children if not visited[c]), None)
            if nxt is None:
                order.append(node)
                stack.pop()
            else:
                visited[nxt] = True
                stack.append((nxt, iter(edges[nxt])))
    reverse: list[list[int]] = [[] for _ in range(n)]
    for a, targets in enumerate(edges):
        for b in targets:
            reverse[b].append(a)
    component = [-1] * n
    sizes: list[int] = []
    for root in reversed(order):
        if component[root] >= 0:
            continue
        component[root] = len(sizes)
        todo, size = [root], 0
        while todo:
            node = todo.pop()
            size += 1
            for b in reverse[node]:
                if component[b] < 0:
                    component[b] = component[root]
                    todo.append(b)
        sizes.append(size)
    return [i for i in range(n) if sizes[component[i]] > 1 or i in edges[i]]


def analyse(scenario: Scenario, catalogue: Any, budget: int = DEEP_BUDGET) -> Analysis:
    """The path analysis of a scenario that loaded; ``budget``: steps computed at most."""
    return _Explorer(scenario, catalogue, budget).run()


def answer_count(scenario: Scenario) -> int:
    """How many representative answers the steps have, at most (before merging equal ones)."""
    return sum(len(st.options) if st.answer == "choice" else len(st.examples) + 2
               for st in scenario.steps)


def validate_budget(scenarios: int) -> int:
    """Steps computed per scenario when ``simulator validate`` checks ``scenarios`` at once."""
    return min(DEEP_BUDGET, VALIDATE_TOTAL // max(1, scenarios))


# ------------------------------------------------------------------ reporting


def _path_text(path: tuple[tuple[str, str], ...], ending: Ending) -> str:
    """``a（最佳回答） → b（选项 2） → 结局``, three or more best answers in a row run together."""
    parts: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 3:
            parts.append(f"{run[0]} … {run[-1]}（均为最佳回答）")
        else:
            parts.extend(f"{sid}（{BEST}）" for sid in run)
        run.clear()

    for sid, label in path:
        if label == BEST:
            run.append(sid)
            continue
        flush()
        parts.append(f"{sid}（{label}）")
    flush()
    return " → ".join([*parts, ending.id])


def _locate(scenario: Scenario, where: Where) -> tuple[int, int]:
    marks = scenario.marks
    while where and where not in marks:
        where = where[:-1]
    return marks.get(where, (1, 1))


def path_warnings(scenario: Scenario, catalogue: Any, budget: int = DEEP_BUDGET) -> list[Problem]:
    """``simulator validate``'s two path warnings, at the lines that cause them.

    Nothing when ``budget`` is below ``answer_count`` (a large library, see ``validate_budget``).
    A warned-against answer that still reaches a best ending: one warning per such ending,
    at the first step (in file order) where that happens, naming the other steps. A good
    ending whose lowest score is below a bad ending's highest: one warning per good ending,
    at the ending, against the bad ending that scores highest.
    """
    if budget < answer_count(scenario):
        return []  # too little to try each answer once: the analysis could only cost time
    analysis = analyse(scenario, catalogue, budget)
    out: list[Problem] = []
    by_ending: dict[str, list[Witness]] = {}
    for w in sorted(analysis.witnesses, key=lambda w: w.step):
        by_ending.setdefault(w.ending.id, []).append(w)
    for found in by_ending.values():
        w, others = found[0], found[1:]
        also = ("；另有步骤 " + "、".join(scenario.steps[o.step].id for o in others)
                + " 的应避免回答同样能走到这个结局") if others else ""
        out.append(Problem(
            scenario.path, *_locate(scenario, w.outcome.where), "warning",
            f"步骤 {scenario.steps[w.step].id} 的{w.outcome.label}出现了应避免的 "
            f"{'、'.join(w.outcome.bad)}，却仍能走到最好的结局 {w.ending.id}（{w.ending.title}）："
            f"{_path_text(w.path, w.ending)}{also}。可在这个结局的 when 中排除"
            "（如 seen.isdisjoint([...])），或让这一步分支到更差的结局"))
    overlaps: dict[str, list[tuple[EndingRange, EndingRange]]] = {}
    for good, bad in _overlaps(analysis):
        overlaps.setdefault(good.ending.id, []).append((good, bad))
    for pairs in overlaps.values():
        good, bad = max(pairs, key=lambda pair: pair[1].high)
        out.append(Problem(
            scenario.path, *_locate(scenario, ("endings", good.index)), "warning",
            f"好结局 {good.ending.id} 的得分范围 {good.low:g}–{good.high:g} 与坏结局 "
            f"{bad.ending.id} 的 {bad.low:g}–{bad.high:g} 重叠：{_path_text(good.low_path, good.ending)}"
            f" 只得 {good.low:g} 分，{_path_text(bad.high_path, bad.ending)} 却得 {bad.high:g} 分。"
            "可提高好结局 when 中的门槛，或给坏结局设 score_cap"))
    return out


def _overlaps(analysis: Analysis) -> list[tuple[EndingRange, EndingRange]]:
    """(good ending, bad ending) pairs where a good-ending path scores below a bad-ending one."""
    ranges = sorted(analysis.ranges.values(), key=lambda r: r.index)
    return [(g, b) for g in ranges if g.ending.outcome == "good"
            for b in ranges if b.ending.outcome == "bad" and g.low < b.high]


def describe(analysis: Analysis) -> list[str]:
    """The ``--paths`` report: coverage, then each ending's score range and its two paths."""
    s = analysis.scenario
    how = "已穷尽所有路径" if analysis.complete else "未穷尽，范围只含已覆盖的路径"
    lines = [f"{s.path or s.id}：路径分析（{how}）：覆盖 {analysis.paths} 条路径，"
             f"推演 {analysis.steps_computed} 步"
             + (f"，{analysis.loops_cut} 条路径因循环截断" if analysis.loops_cut else "")]
    for ending in s.endings:
        found = analysis.ranges.get(ending.id)
        kind = _OUTCOME[ending.outcome] + ("，最好" if ending.id in analysis.best else "")
        if found is None:
            lines.append(f"  结局 {ending.id}（{ending.title}，{kind}）：没有路径走到")
            continue
        score = f"{found.low:g}" if found.low == found.high else f"{found.low:g}–{found.high:g}"
        lines.append(f"  结局 {ending.id}（{ending.title}，{kind}）：得分 {score}")
        lines.append(f"    最低：{_path_text(found.low_path, ending)}")
        if found.high_path != found.low_path:
            lines.append(f"    最高：{_path_text(found.high_path, ending)}")
    return lines


# ------------------------------------------------------------------ random playthroughs


class _RememberingDetector:
    """The real detector, each (answer, step) detected once."""

    def __init__(self, detector: Any) -> None:
        self.detector = detector
        self.catalogue = detector.catalogue
        self._found: dict[tuple[str, int], Detection] = {}

    def detect(self, text: str, extra: Any = None) -> Detection:
        key = (text, id(extra))
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self.detector.detect(text, extra=extra)
        return found


@dataclass(slots=True)
class Coverage:
    """What ``runs`` seeded random visits of a scenario reached."""

    scenario: Scenario
    runs: int
    steps: dict[str, int]
    endings: dict[str, int]
    #: Visits that had not ended after ``max_steps`` answers (a loop).
    unfinished: int = 0
    #: Each visit: the steps answered, then the ending ("" when it had not ended).
    visits: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def missed_steps(self) -> list[Step]:
        return [st for st in self.scenario.steps if not self.steps.get(st.id)]

    @property
    def missed_endings(self) -> list[Ending]:
        return [e for e in self.scenario.endings if not self.endings.get(e.id)]


def random_playthroughs(scenario: Scenario, detector: Any, runs: int, seed: int) -> Coverage:
    """``runs`` random visits: each step answered with one of its examples (free text,
    through the detector; the model answer when a step has none) or options, picked by a
    generator seeded with ``seed`` and the scenario id, so a seed always gives the same visits."""
    rng = random.Random(f"{seed}:{scenario.id}")
    remembering = _RememberingDetector(detector)
    reached = {st.id: 0 for st in scenario.steps}
    endings = {e.id: 0 for e in scenario.endings}
    unfinished = 0
    visits = []
    max_steps = MAX_VISITS * len(scenario.steps) + 1
    for _ in range(runs):
        session = Session(scenario, remembering)
        for _ in range(max_steps):
            step = session.current
            if step is None or session.finished:
                break
            reached[step.id] = reached.get(step.id, 0) + 1
            session.answer(rng.choice(_answers(session, step)))
        if session.ending is not None:
            endings[session.ending.id] = endings.get(session.ending.id, 0) + 1
        elif not session.finished:
            unfinished += 1
        ending = session.ending.id if session.ending is not None else ""
        visits.append((*(r.step for r in session.results), ending))
    return Coverage(scenario, runs, reached, endings, unfinished, visits)


def _answers(session: Session, step: Step) -> list[str]:
    if step.answer == "choice":
        return [str(k) for k in range(1, len(step.options) + 1)]
    answers = [e.answer for e in step.examples]
    return answers or [session.render(step.model_answer) or "好的。"]
