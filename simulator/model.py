"""Plain data: the typed models every other module passes around.

No I/O and no Textual here. The loader builds these from YAML, the engine plays
them, the store saves them and the TUI and reports show them. YAML keys map one to
one onto the field names below (see ``simulator/schema/scenario.schema.json``).

The models are ``NamedTuple``s: immutable, and cheap to define and to build. Every
``simulator run`` and ``simulator detect`` defines them afresh; as frozen dataclasses
they cost about 15 ms more per process (``bench/run_speed.py``). A mapping field's
default is shared, so nothing may change a model's dict in place; ``_replace`` makes
a changed copy. The annotations are evaluated as written (no postponed annotations):
``typing.NamedTuple`` would otherwise compile every one of them as a forward reference.
"""

from typing import Any, Literal, NamedTuple

Kind = Literal["good", "bad"]

#: Step and attempt levels, from the design note: (lowest score, label).
LEVELS: tuple[tuple[int, str], ...] = ((90, "优秀"), (75, "良好"), (60, "合格"), (0, "需改进"))

#: The regulation's three kinds of visit.
CATEGORIES: tuple[str, ...] = ("建议意见", "检举控告", "申诉求决")


def level_for(score: float) -> str:
    """The level label for a 0–100 score."""
    for floor, label in LEVELS:
        if score >= floor:
            return label
    return LEVELS[-1][1]


class Section(NamedTuple):
    """One section (§1–§7) of the guidance article, summarised in our own words."""

    number: int
    title: str
    summary: str


class Criterion(NamedTuple):
    """One observable behaviour in one answer; ``good`` is asked for, ``bad`` warned against.

    ``weight`` is a relative share for a good criterion and a penalty in points for a
    bad one. ``detector`` is the compiled pattern (``simulator.scoring.patterns.Rule``).
    """

    id: str
    kind: Kind
    section: int
    title: str
    description: str = ""
    feedback_shown: str = ""
    feedback_missing: str = ""
    weight: float = 1.0
    detector: Any = None


class Detection(NamedTuple):
    """What the detector found in one answer: criterion id -> evidence spans.

    Spans are (start, end) offsets into the original answer text; ``evidence`` gives
    the same spans as text.
    """

    text: str
    spans: dict[str, tuple[tuple[int, int], ...]]

    @property
    def present(self) -> list[str]:
        return list(self.spans)

    @property
    def evidence(self) -> dict[str, list[str]]:
        return {cid: [self.text[a:b] for a, b in spans] for cid, spans in self.spans.items()}


class Meter(NamedTuple):
    """A gauge of the visitor's state, e.g. mood or trust, clamped to [min, max]."""

    id: str
    label: str
    start: int
    min: int = 0
    max: int = 100
    #: ``worse`` when a higher value is bad for the visit (anger), ``better`` otherwise.
    higher_is: Literal["better", "worse"] = "better"


class Option(NamedTuple):
    """One numbered action of a choice step and the criteria it shows."""

    text: str
    shows: tuple[str, ...] = ()


class Branch(NamedTuple):
    """Go to ``goto`` (a step or an ending id) when ``when`` holds (always if None)."""

    goto: str
    when: str | None = None


class Example(NamedTuple):
    """A rubric regression case: this answer must show ``present`` and not ``absent``."""

    answer: str
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()


class Step(NamedTuple):
    """One turn: the visitor speaks, the trainee answers, the rubric scores."""

    id: str
    visitor: str
    answer: Literal["free", "choice"] = "free"
    options: tuple[Option, ...] = ()
    good: tuple[str, ...] = ()
    bad: tuple[str, ...] = ()
    #: Per-step overrides of criterion weights (good: share, bad: penalty points).
    weights: dict[str, float] = {}
    #: Local criteria for this case (right department, facts to record…).
    local: dict[str, Criterion] = {}
    #: ``{"good": {meter: delta}, "bad": {meter: delta}}``; good scales with the share shown.
    effects: dict[str, dict[str, int]] = {}
    next: tuple[Branch, ...] = ()
    examples: tuple[Example, ...] = ()
    model_answer: str = ""
    hint: str = ""
    weight: float = 1.0
    #: Source line of the step in its YAML file (for messages), 0 when unknown.
    line: int = 0


class Ending(NamedTuple):
    """How a visit ends: picked by ``when`` (first match; no ``when`` = default)."""

    id: str
    title: str
    text: str
    when: str | None = None
    outcome: Literal["good", "neutral", "bad"] = "neutral"
    #: An attempt that ends here scores at most this much.
    score_cap: int | None = None


class Scenario(NamedTuple):
    """A scripted visit: metadata, variables, meters, steps (first step starts) and endings."""

    id: str
    title: str
    category: str
    steps: tuple[Step, ...]
    endings: tuple[Ending, ...]
    situations: tuple[str, ...] = ()
    difficulty: int = 1
    minutes: int = 10
    description: str = ""
    briefing: str = ""
    vars: dict[str, Any] = {}
    meters: tuple[Meter, ...] = ()
    #: Display name of the visitor; a template over ``vars``.
    visitor_name: str = "来访者"
    path: str = ""
    #: Where each YAML node was written, for messages: (line, col), 1-based, keyed by its
    #: path in the file, e.g. ``("steps", 2, "next", 0, "goto")``; a mapping value is keyed
    #: at its key. Empty when the scenario was not loaded from YAML.
    marks: dict[tuple[str | int, ...], tuple[int, int]] = {}

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def ending(self, ending_id: str) -> Ending | None:
        return next((e for e in self.endings if e.id == ending_id), None)


class Verdict(NamedTuple):
    """A criterion's judgement on one answer, with the evidence that decided it."""

    criterion: str
    kind: Kind
    expected: bool  # listed in the step's good/bad
    present: bool
    evidence: tuple[str, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()


class StepResult(NamedTuple):
    """One answered step: the answer, verdicts, score, meters after effects, where next."""

    step: str
    answer: str
    verdicts: tuple[Verdict, ...]
    score: float
    level: str
    meters: dict[str, int]
    goto: str  # next step id or ending id
    #: Option number (1-based) for a choice step, else None.
    choice: int | None = None

    @property
    def present(self) -> list[str]:
        return [v.criterion for v in self.verdicts if v.present]


class Attempt(NamedTuple):
    """A finished (or closed) playthrough of one scenario."""

    scenario: str
    steps: tuple[StepResult, ...]
    ending: str | None
    score: float
    level: str
    sections: dict[int, float]
    meters: dict[str, int]
