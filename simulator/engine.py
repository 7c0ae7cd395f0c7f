"""The headless engine: a ``Session`` plays one scenario, step by step, without any UI.

One answer at a time: the detector (or the chosen option's tags) says which criteria the
answer shows, the step rubric scores it, the step's meter effects apply (good effects
scaled by the weighted share of the step's good criteria shown, bad effects once when a
warned-against criterion was shown; meters clamped to their bounds), then the first
branch whose ``when`` holds picks the next step or ending; with no branch, the first
ending whose ``when`` holds (one without ``when`` is the default; failing all, the last
ending). ``StepResult``s are the transcript; ``attempt()`` scores it.

Templates and conditions are jinja2 in an immutable sandbox, compiled once per source
text. The shapes every built-in scenario uses (text with ``{{ name }}`` and
``{{ name.key }}`` placeholders; comparisons of a name with a whole number,
``'id' in name`` and ``name.isdisjoint(['id', …])`` tests joined by ``and`` / ``or``) are
computed directly, to the same value the sandbox gives, so a plain visit never imports
jinja2; anything else, or a name that is not set, goes to the sandbox.

``load_playable`` is ``simulator.loader.load_scenario`` for a visit: a built-in scenario
that loads cleanly is kept in the user cache (``simulator.cache``), so a visit to it
needs no YAML either.

Everything is deterministic: the same scenario and answers give the same session,
which is what ``Session.replay`` (resuming a stored attempt) relies on.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from simulator import cache, model
from simulator.cache import Regexes
from simulator.data import SCENARIO_ID, builtin_dir
from simulator.model import (
    Attempt,
    Criterion,
    Detection,
    Ending,
    Scenario,
    Step,
    StepResult,
    level_for,
)
from simulator.scoring import (
    attempt_score,
    default_detector,
    detector,
    judge_step,
    patterns,
    section_profile,
)

#: Names a condition may use besides the meter ids and the scenario's vars.
CONDITION_NAMES = ("shown", "seen", "score", "steps", "choice")


@lru_cache(maxsize=1)
def sandbox() -> Any:
    """The jinja2 environment for scenario text and conditions (immutable sandbox)."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(autoescape=False)


@lru_cache(maxsize=4096)
def compiled_template(source: str) -> Any:
    return sandbox().from_string(source)


@lru_cache(maxsize=4096)
def compiled_condition(source: str) -> Callable[..., Any]:
    """A condition as a function of its names, with the sandbox's value for it."""
    simple = _simple_condition(source)
    return simple if simple is not None else _jinja_condition(source)


@lru_cache(maxsize=4096)
def _jinja_condition(source: str) -> Any:
    return sandbox().compile_expression(source)


# -- the jinja-free shapes (see the module docstring) ----------------------------------------

#: Words jinja reads as operators or constants, or as something other than the caller's
#: variable (the template itself, the expression's own result, loop and macro names).
_JINJA_WORDS = frozenset({
    "and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False",
    "None", "self", "result", "loop", "caller", "varargs", "kwargs", "super",
})
#: This module's fixed regexes, compiled once and kept (``simulator.cache.Regexes``).
_REGEXES = Regexes("engine")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PLACEHOLDER = _REGEXES.compile(rf"\{{\{{\s*({_NAME}(?:\.{_NAME})?)\s*\}}\}}")
_TEXT = r"""'[^'\\\r\n{}]*'|"[^"\\\r\n{}]*\""""  # a string without escapes, line breaks, braces
#: One test of a condition and what joins it to the next: ``name OP number``,
#: ``'text' [not] in name`` or ``name.isdisjoint(['text', …])``.
_ATOM = _REGEXES.compile(
    rf"\s*(?:(?P<name>{_NAME})\s*(?P<op>==|!=|>=|<=|>|<)\s*(?P<number>0|[1-9][0-9]*)"
    rf"|(?P<text>{_TEXT})\s+(?P<negated>not\s+)?in\s+(?P<container>{_NAME})"
    rf"|(?P<set>{_NAME})\.isdisjoint\(\s*\[(?P<items>\s*(?:{_TEXT})(?:\s*,\s*(?:{_TEXT}))*\s*,?)\s*\]\s*\))"
    r"\s*(?:(?P<joint>and|or)(?=\s)|\Z)"
)
_ITEM = _REGEXES.compile(_TEXT)
_REGEXES.keep()  # the last of this module's fixed regexes is above
_COMPARE = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, "<=": operator.le,
            ">": operator.gt, "<": operator.lt}


def _contains(container: Any, text: str) -> bool:
    return text in container


def _lacks(container: Any, text: str) -> bool:
    return text not in container


def _disjoint(value: Any, items: list[str]) -> bool:
    return value.isdisjoint(items)


class _SimpleCondition:
    """A condition of the jinja-free shape: ``or`` over ``and`` over tests, evaluated in
    Python's (and jinja's) order, to the same value. Jinja answers instead when a name is
    not set or an ``isdisjoint`` is asked of anything but a set (the sandbox decides then)."""

    __slots__ = ("source", "alternatives", "needs", "sets")

    def __init__(self, source: str, alternatives: list[list[tuple[Any, str, Any]]]) -> None:
        self.source = source
        self.alternatives = alternatives
        self.needs = frozenset(name for tests in alternatives for _, name, _ in tests)
        self.sets = frozenset(name for tests in alternatives for test, name, _ in tests
                              if test is _disjoint)

    def __call__(self, **names: Any) -> Any:
        if not self.needs <= names.keys() or any(
                type(names[name]) not in (set, frozenset) for name in self.sets):
            return _jinja_condition(self.source)(**names)
        value: Any = False
        for tests in self.alternatives:
            for test, name, constant in tests:
                value = test(names[name], constant)
                if not value:
                    break
            if value:
                return value
        return value


def _simple_condition(source: str) -> _SimpleCondition | None:
    alternatives: list[list[tuple[Any, str, Any]]] = [[]]
    pos = 0
    while True:
        match = _ATOM.match(source, pos)
        if match is None:
            return None
        if match["name"] is not None:
            test = (_COMPARE[match["op"]], match["name"], int(match["number"]))
        elif match["container"] is not None:
            test = (_lacks if match["negated"] else _contains, match["container"],
                    match["text"][1:-1])
        else:
            test = (_disjoint, match["set"], [t[1:-1] for t in _ITEM.findall(match["items"])])
        if test[1] in _JINJA_WORDS:
            return None
        alternatives[-1].append(test)
        if match["joint"] is None:
            return _SimpleCondition(source, alternatives)
        if match["joint"] == "or":
            alternatives.append([])
        pos = match.end()


@lru_cache(maxsize=4096)
def _placeholders(source: str) -> tuple[str, ...] | None:
    """A template of text and ``{{ name }}`` / ``{{ name.key }}`` placeholders only, as
    pieces (the names at odd indexes) the way jinja reads it (one trailing line break
    dropped); else None."""
    pieces = _PLACEHOLDER.split(source)
    if "\r" in source or any("{" in text or "}" in text for text in pieces[::2]):
        return None
    if any(word in _JINJA_WORDS for name in pieces[1::2] for word in name.split(".")):
        return None
    pieces[-1] = pieces[-1].removesuffix("\n")
    return tuple(pieces)


def _fill(pieces: tuple[str, ...], values: dict[str, Any]) -> str | None:
    """The placeholders filled as the sandbox fills them (``str`` of the value; ``name.key``
    is the key of a plain dict that has no attribute of that name); None when a name or key
    is not set or the value is not a plain string or number."""
    out = list(pieces)
    for i in range(1, len(out), 2):
        name, _, key = out[i].partition(".")
        value = values.get(name)
        if key:
            if type(value) is not dict or hasattr(dict, key):
                return None
            value = value.get(key)
        if not isinstance(value, (str, int, float)):
            return None
        out[i] = str(value)
    return "".join(out)


def resolve_scenario(arg: str) -> Path | None:
    """A scenario file from a path, or from a built-in scenario id; None when neither."""
    path = Path(arg)
    if path.is_file():
        return path
    if SCENARIO_ID.match(arg):
        for suffix in (".yaml", ".yml"):
            candidate = builtin_dir("scenarios") / f"{arg}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def load_playable(path: Path) -> tuple[Scenario | None, list[Any]]:
    """``load_scenario(path)``; a built-in scenario that loads without a problem comes
    from the cache while its file, the catalogue and the code are unchanged."""
    if path.resolve().parent != builtin_dir("scenarios").resolve():
        from simulator.loader import load_scenario

        return load_scenario(path)
    rubrics = builtin_dir("rubrics")
    key = cache.key(path, rubrics / "guidance.yaml", rubrics / "criteria.yaml", *_LOADING_CODE)
    name = f"scenario-{path.stem}"
    if key is not None:
        key += f" {path}"  # the model keeps the path it was loaded as
    scenario = cache.fetch(name, key, _SCENARIO_CODEC, Scenario)
    if scenario is not None:
        return scenario, []
    from simulator.loader import load_scenario

    scenario, problems = load_scenario(path)
    if scenario is not None and not problems:
        cache.keep(name, key, _SCENARIO_CODEC, scenario)
    return scenario, problems


#: The code that turns a scenario file into the model (local criteria compiled against
#: the catalogue's lexicon): a change to it is a new key.
_LOADING_CODE = (*detector.CODE, Path(__file__).with_name("loader.py"),
                 Path(__file__).with_name("data.py"))
_SCENARIO_CODEC = cache.Codec(*cache.classes_of(model, patterns))


def render_text(scenario: Scenario, template: str, meters: dict[str, int]) -> str:
    """A scenario text with its variables and these meter values filled in, sandboxed;
    a broken template shows as written (it never stops a visit)."""
    if "{" not in template:
        return template
    values = {**scenario.vars, **meters}
    pieces = _placeholders(template)
    filled = _fill(pieces, values) if pieces is not None else None
    if filled is not None:
        return filled
    try:
        return compiled_template(template).render(values)
    except Exception:  # noqa: BLE001
        return template


def start_meters(scenario: Scenario) -> dict[str, int]:
    return {m.id: max(m.min, min(m.max, m.start)) for m in scenario.meters}


def said_texts(scenario: Scenario, answers: list[Any]) -> list[str]:
    """What the trainee said at each stored answer (``.step``, ``.answer``, ``.choice``,
    ``.meters`` after it): a choice as "N. option text" rendered as it was shown, else
    the typed text."""
    said, meters = [], start_meters(scenario)
    for answer in answers:
        step = scenario.step(answer.step)
        if answer.choice is not None and step is not None and 1 <= answer.choice <= len(step.options):
            text = render_text(scenario, step.options[answer.choice - 1].text, meters)
            said.append(f"{answer.choice}. {text}")
        else:
            said.append(answer.answer)
        meters = answer.meters
    return said


def _round(value: float) -> int:
    """Round half away from zero (a meter moves by -3 for -2.5, not by -2)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


class Session:
    """One playthrough of a scenario: current step, meters, transcript, ending."""

    def __init__(self, scenario: Scenario, detector: Any = None) -> None:
        self.scenario = scenario
        self.detector = detector if detector is not None else default_detector()
        self._bounds = {m.id: (m.min, m.max) for m in scenario.meters}
        self.meters: dict[str, int] = start_meters(scenario)
        self.results: list[StepResult] = []
        self.current: Step | None = scenario.steps[0] if scenario.steps else None
        self.finished = self.current is None
        self.ending: Ending | None = None
        self._steps = {s.id: s for s in scenario.steps}
        self._endings = {e.id: e for e in scenario.endings}
        self._seen: set[str] = set()
        self._history: dict[str, dict[str, Any]] = {}

    # -- what the visitor says ---------------------------------------------------------

    def render(self, template: str) -> str:
        """A scenario text with its variables (and the current meters) filled in."""
        return render_text(self.scenario, template, self.meters)

    def visitor_line(self) -> str:
        return self.render(self.current.visitor) if self.current is not None else ""

    def visitor_name(self) -> str:
        return self.render(self.scenario.visitor_name)

    def options(self) -> list[str]:
        """The numbered actions of the current choice step (rendered), else []."""
        if self.current is None or self.current.answer != "choice":
            return []
        return [self.render(o.text) for o in self.current.options]

    # -- answering -----------------------------------------------------------------------

    def answer(self, text: str) -> StepResult:
        """Score one answer to the current step and move on (for a choice step: "1".."9")."""
        step = self.current
        if step is None or self.finished:
            raise ValueError("接待已经结束，不能再作答")
        criteria = self.detector.catalogue.criteria
        choice = None
        if step.answer == "choice":
            choice = self._choice(step, text)
            option = step.options[choice - 1]
            detection = Detection(self.render(option.text), {cid: () for cid in option.shows})
            text = str(choice)
        else:
            detection = self.detector.detect(text, extra=step.local or None)
        verdicts, score = judge_step(step, detection, criteria)
        shown = frozenset(detection.spans)
        self._apply_effects(step, shown, criteria)
        self._seen |= shown
        self._history[step.id] = {"score": score, "shown": shown}
        goto = self._advance(step, self._names(shown, score, choice))
        result = StepResult(step.id, text, verdicts, score, level_for(score), dict(self.meters),
                            goto, choice)
        self.results.append(result)
        return result

    def close(self) -> Attempt:
        """Finish now (time is up or the trainee leaves): score what was answered, no ending."""
        self.finished = True
        self.current = None
        return self.attempt()

    def attempt(self) -> Attempt:
        """The attempt so far (``ending`` is None while unfinished or after ``close``)."""
        criteria = self.detector.catalogue.criteria
        weights = {s.id: s.weight for s in self.scenario.steps}
        score = attempt_score(self.results, weights, self.ending)
        answered = [(self._steps[r.step], r) for r in self.results]
        return Attempt(
            scenario=self.scenario.id,
            steps=tuple(self.results),
            ending=self.ending.id if self.ending is not None else None,
            score=score,
            level=level_for(score),
            sections=section_profile(answered, criteria),
            meters=dict(self.meters),
        )

    @classmethod
    def replay(cls, scenario: Scenario, answers: Any, detector: Any = None) -> Session:
        """A session with ``answers`` applied in order (resuming); answers past the ending are ignored."""
        session = cls(scenario, detector)
        for text in answers:
            if session.finished:
                break
            session.answer(text)
        return session

    # -- inside a step -------------------------------------------------------------------

    @staticmethod
    def _choice(step: Step, text: str) -> int:
        count = len(step.options)
        if not count:
            raise ValueError("这一步没有可选的选项")
        try:
            number = int(text.strip())
        except ValueError:
            number = 0
        if not 1 <= number <= count:
            raise ValueError(f"请输入 1 到 {count} 之间的选项编号（收到“{text.strip()}”）")
        return number

    def _apply_effects(self, step: Step, shown: frozenset[str], criteria: dict[str, Criterion]) -> None:
        total = earned = 0.0
        for cid in step.good:
            criterion = step.local.get(cid) or criteria.get(cid)
            if criterion is not None:
                weight = float(step.weights.get(cid, criterion.weight))
                total += weight
                earned += weight if cid in shown else 0.0
        share = earned / total if total else 1.0
        for meter, delta in step.effects.get("good", {}).items():
            self._move(meter, delta * share)
        if any(cid in shown for cid in step.bad):
            for meter, delta in step.effects.get("bad", {}).items():
                self._move(meter, delta)

    def _move(self, meter: str, delta: float) -> None:
        if meter in self.meters:
            low, high = self._bounds[meter]
            self.meters[meter] = max(low, min(high, self.meters[meter] + _round(delta)))

    def _names(self, shown: frozenset[str], score: float, choice: int | None) -> dict[str, Any]:
        """What a condition can see (see ``CONDITION_NAMES``)."""
        return {
            **self.scenario.vars,
            **self.meters,
            "shown": shown,
            "seen": frozenset(self._seen),
            "score": score,
            "steps": {k: dict(v) for k, v in self._history.items()},
            "choice": choice,
        }

    @staticmethod
    def _holds(condition: str | None, names: dict[str, Any]) -> bool:
        if condition is None:
            return True
        try:
            return bool(compiled_condition(condition)(**names))
        except Exception:  # noqa: BLE001 - a condition that fails at run time does not hold
            return False

    def _advance(self, step: Step, names: dict[str, Any]) -> str:
        """Move to the next step or an ending; returns its id."""
        for branch in step.next:
            if self._holds(branch.when, names):
                if branch.goto in self._steps:
                    self.current = self._steps[branch.goto]
                    return branch.goto
                if branch.goto in self._endings:
                    return self._finish(self._endings[branch.goto])
                break  # a missing target (``simulator validate`` reports it): go to the endings
        endings = self.scenario.endings
        chosen = next((e for e in endings if self._holds(e.when, names)), endings[-1] if endings else None)
        return self._finish(chosen)

    def _finish(self, ending: Ending | None) -> str:
        self.finished = True
        self.current = None
        self.ending = ending
        return ending.id if ending is not None else ""
