"""Rubric -> verdicts and scores: one step, one attempt, and the §1–§7 profile.

A step's score is the weighted share of its expected ``good`` criteria that the
answer showed, minus the penalty points of each ``bad`` criterion it showed, clamped to
0–100. An attempt's score is the weighted mean of its steps, capped by the ending. The
section profile applies the same rule per guidance section over all steps.
"""

from __future__ import annotations

from collections.abc import Iterable

from simulator.model import Criterion, Detection, Ending, Step, StepResult, Verdict


def _clamp(value: float) -> float:
    return round(max(0.0, min(100.0, value)), 1)


def _weight(step: Step, criterion: Criterion) -> float:
    return float(step.weights.get(criterion.id, criterion.weight))


def judge_step(
    step: Step, detection: Detection, criteria: dict[str, Criterion]
) -> tuple[tuple[Verdict, ...], float]:
    """Verdicts for the step's expected criteria plus any other criterion shown, and the score."""
    verdicts: list[Verdict] = []
    expected = [*step.good, *step.bad]
    for cid in [*expected, *(c for c in detection.spans if c not in expected)]:
        criterion = step.local.get(cid) or criteria.get(cid)
        if criterion is None:
            continue
        spans = detection.spans.get(cid)
        verdicts.append(Verdict(
            criterion=cid,
            kind=criterion.kind,
            expected=cid in expected,
            present=spans is not None,
            evidence=tuple(detection.text[a:b] for a, b in spans or ()),
            spans=tuple(spans or ()),
        ))
    return tuple(verdicts), step_score(step, verdicts, criteria)


def step_score(step: Step, verdicts: Iterable[Verdict], criteria: dict[str, Criterion]) -> float:
    """Weighted share of expected good criteria shown, minus penalties for bad ones shown."""
    shown = {v.criterion for v in verdicts if v.present}
    lookup = {**criteria, **step.local}
    goods = [lookup[c] for c in step.good if c in lookup]
    total = sum(_weight(step, c) for c in goods)
    base = 100.0 * sum(_weight(step, c) for c in goods if c.id in shown) / total if total else 100.0
    penalty = sum(_weight(step, lookup[c]) for c in shown if c in lookup and lookup[c].kind == "bad")
    return _clamp(base - penalty)


def attempt_score(steps: Iterable[StepResult], weights: dict[str, float], ending: Ending | None) -> float:
    """Weighted mean of step scores, capped by the ending's ``score_cap``."""
    results = list(steps)
    total = sum(weights.get(r.step, 1.0) for r in results)
    score = sum(r.score * weights.get(r.step, 1.0) for r in results) / total if total else 0.0
    if ending is not None and ending.score_cap is not None:
        score = min(score, ending.score_cap)
    return _clamp(score)


def section_profile(
    answered: Iterable[tuple[Step, StepResult]], criteria: dict[str, Criterion]
) -> dict[int, float]:
    """Per guidance section: share of expected good weight shown minus bad penalties, 0–100."""
    earned: dict[int, float] = {}
    possible: dict[int, float] = {}
    penalty: dict[int, float] = {}
    for step, result in answered:
        lookup = {**criteria, **step.local}
        shown = set(result.present)
        for cid in step.good:
            c = lookup.get(cid)
            if c is None or not c.section:
                continue
            possible[c.section] = possible.get(c.section, 0.0) + _weight(step, c)
            if cid in shown:
                earned[c.section] = earned.get(c.section, 0.0) + _weight(step, c)
        for cid in shown:
            c = lookup.get(cid)
            if c is not None and c.kind == "bad" and c.section:
                penalty[c.section] = penalty.get(c.section, 0.0) + _weight(step, c)
                possible.setdefault(c.section, 0.0)
    return {
        sec: _clamp((100.0 * earned.get(sec, 0.0) / possible[sec] if possible[sec] else 100.0)
                    - penalty.get(sec, 0.0))
        for sec in sorted(possible)
    }
