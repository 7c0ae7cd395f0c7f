"""A trainer's grading after the fact: reviewing a step by hand, and rescoring an exam.

``review_step`` overrides a step's verdicts and/or score with a reason; the automatic
result stays, the reviewed one is stored beside it, and every change lands in the audit
table with who and when. ``rescore_exam`` re-judges every stored answer of an exam with the
current rubric, keeping the transcript as it was played and every replaced score in the
score history.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.exam import sitting_scores
from simulator.model import Detection, Scenario, Step, Verdict, level_for
from simulator.scoring import attempt_score, judge_step, section_profile, step_score
from simulator.store import AnswerRecord, AttemptRecord, Rescored, Store, StoreError


def _scenario(library: Mapping[str, Scenario], scenario_id: str) -> Scenario:
    scenario = library.get(scenario_id)
    if scenario is None:
        raise StoreError(f"找不到场景 {scenario_id}，无法评分")
    return scenario


def _reviewed_total(scenario: Scenario, record: AttemptRecord, answers: list[AnswerRecord],
                    final: dict[int, float]) -> float:
    """An attempt's score from its answers' final scores (``final`` overrides some)."""
    results = [a.result()._replace(score=final.get(a.index, a.final_score))
               for a in answers]
    ending = scenario.ending(record.ending) if record.ending else None
    return attempt_score(results, {a.step: a.weight for a in answers}, ending)


def _sitting_review(store: Store, record: AttemptRecord, review_score: float) -> float | None:
    if record.sitting is None:
        return None
    sitting = store.sitting(record.sitting)
    attempts = [dataclasses.replace(a, review_score=review_score) if a.id == record.id else a
                for a in store.attempts(sitting=sitting.id)]
    return sitting_scores(sitting.plan, attempts, review=True)[0]


def review_step(store: Store, attempt_id: int, index: int, *, reviewer: str, reason: str,
                library: Mapping[str, Scenario], criteria: Mapping[str, Any],
                present: Iterable[str] = (), absent: Iterable[str] = (),
                score: float | None = None) -> tuple[AnswerRecord, float, float]:
    """Override one step (``index`` 0-based). Returns (answer before, new step score, new attempt score).

    ``present``/``absent``: criterion ids the reviewer judges shown / not shown; the step's
    score follows from them unless ``score`` is given. Neither: the reviewer confirms the
    automatic verdicts (recorded too, so the agreement rate counts it).
    """
    reviewer, reason = reviewer.strip(), reason.strip()
    if not reviewer:
        raise StoreError("请填写复核人（--reviewer）")
    if not reason:
        raise StoreError("请填写复核理由（--reason）")
    if score is not None and not 0 <= score <= 100:
        raise StoreError("复核得分应在 0 到 100 之间")
    record = store.attempt(attempt_id)
    if record.status == "open":
        raise StoreError(f"作答记录 {attempt_id} 尚未结束，结束后才能复核")
    answers = store.answers(attempt_id)
    if not 0 <= index < len(answers):
        raise StoreError(f"作答记录 {attempt_id} 只有 {len(answers)} 步，没有第 {index + 1} 步")
    scenario = _scenario(library, record.scenario)
    answer = answers[index]
    step = scenario.step(answer.step)
    if step is None:
        raise StoreError(f"场景 {scenario.id} 已没有步骤 {answer.step}，无法复核")
    present, absent = set(present), set(absent)
    if present & absent:
        raise StoreError(f"同一条标准不能既判为出现又判为未出现：{'、'.join(sorted(present & absent))}")
    lookup = {**criteria, **step.local}
    unknown = sorted(c for c in present | absent if c not in lookup)
    if unknown:
        raise StoreError(f"未知的评分标准：{'、'.join(unknown)}")
    verdicts = {v.criterion: v for v in answer.final_verdicts}
    for cid in present | absent:
        old = verdicts.get(cid)
        shown = cid in present
        if old is not None and old.present == shown:
            continue
        verdicts[cid] = Verdict(cid, lookup[cid].kind, cid in (*step.good, *step.bad), shown,
                                old.evidence if old is not None and shown else (),
                                old.spans if old is not None and shown else ())
    new_verdicts = tuple(verdicts.values())
    if score is None:
        score = step_score(step, new_verdicts, criteria) if (present or absent) else answer.final_score
    total = _reviewed_total(scenario, record, answers, {index: score})
    store.record_override(attempt_id, index, reviewer, reason, new_verdicts, score, total,
                          _sitting_review(store, record, total))
    return answer, score, total


@dataclass(frozen=True, slots=True)
class RescoreSummary:
    answers: int  # answers looked at
    changed_answers: int
    changed_attempts: int
    changed_sittings: int


def judge_answer(step: Step, answer: AnswerRecord, detector: Any) -> tuple[tuple[Verdict, ...], float]:
    """Judge one stored answer with the current rubric (a choice by its option's criteria)."""
    criteria = detector.catalogue.criteria
    if step.answer == "choice" and answer.choice is not None and 1 <= answer.choice <= len(step.options):
        option = step.options[answer.choice - 1]
        detection = Detection(text=option.text, spans={cid: () for cid in option.shows})
    else:
        detection = detector.detect(answer.answer, extra=step.local)
    return judge_step(step, detection, criteria)


def rescore_exam(store: Store, exam_id: str, pass_mark: float, library: Mapping[str, Scenario],
                 detector: Any) -> RescoreSummary:
    """Re-judge every answer of an exam with the current rubric; keep the old scores."""
    criteria = detector.catalogue.criteria
    sittings, attempts, answers = store.exam_record(exam_id)
    if not sittings:
        raise StoreError(f"考试 {exam_id} 还没有任何考试记录")
    items: list[Rescored] = []
    new_attempts: dict[int, AttemptRecord] = {}
    seen = changed_answers = 0
    for record in attempts:
        rows = answers.get(record.id, [])
        if record.status == "open" or not rows:
            continue
        scenario = _scenario(library, record.scenario)
        results, pairs = [], []
        for row in rows:
            seen += 1
            step = scenario.step(row.step)
            if step is None:
                raise StoreError(f"场景 {scenario.id} 已没有步骤 {row.step}，无法重新评分")
            verdicts, score = judge_answer(step, row, detector)
            result = row.result()._replace(verdicts=verdicts, score=score,
                                           level=level_for(score))
            results.append(result)
            pairs.append((step, result))
            if score != row.score or verdicts != row.verdicts:
                changed_answers += 1
                items.append(Rescored("answer", (record.id, row.index), score, level_for(score),
                                      verdicts=verdicts))
        weights = {row.step: row.weight for row in rows}
        ending = scenario.ending(record.ending) if record.ending else None
        score = attempt_score(results, weights, ending)
        sections = section_profile(pairs, criteria)
        reviewed = any(r.review_score is not None for r in rows)
        review = None
        if reviewed:
            review = attempt_score(
                [res._replace(score=row.review_score if row.review_score is not None
                              else res.score) for res, row in zip(results, rows, strict=True)],
                weights, ending)
        if (score, sections, review) != (record.score, record.sections, record.review_score):
            items.append(Rescored("attempt", (record.id,), score, level_for(score),
                                  sections=sections, review_score=review))
        new_attempts[record.id] = dataclasses.replace(record, score=score, sections=sections,
                                                      review_score=review)
    changed_sittings = 0
    for sitting in sittings:
        if sitting.status == "open":
            continue
        mine = [new_attempts.get(a.id, a) for a in attempts if a.sitting == sitting.id]
        score, sections = sitting_scores(sitting.plan, mine)
        review = (sitting_scores(sitting.plan, mine, review=True)[0]
                  if any(a.review_score is not None for a in mine) else None)
        if (score, sections, review) != (sitting.score, sitting.sections, sitting.review_score):
            changed_sittings += 1
            items.append(Rescored("sitting", (sitting.id,), score, level_for(score),
                                  sections=sections, review_score=review,
                                  passed=score >= pass_mark))
    store.apply_rescore("重新评分", items)
    return RescoreSummary(seen, changed_answers,
                          sum(i.kind == "attempt" for i in items), changed_sittings)
