"""The exam's record gathered into what the reports show: trainees, transcripts, statistics.

``gather`` reads every sitting of one exam in bulk and builds plain view objects; the
renderers (``simulator.reports.render``) only format them. Item analysis uses the final
verdicts and scores (a trainer's review over the automatic ones); the section profile is
the automatic one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.model import Scenario, Verdict
from simulator.reports import stats
from simulator.store import AttemptRecord, Override, SittingRecord, Store

STATUS = {"open": "进行中", "finished": "已交卷", "timeout": "超时交卷"}


@dataclass(slots=True)
class VerdictView:
    criterion: str
    title: str
    kind: str  # good | bad
    section: int
    expected: bool
    present: bool  # final
    auto_present: bool
    evidence: tuple[str, ...]
    feedback: str


@dataclass(slots=True)
class StepView:
    number: int  # 1-based within the scenario
    step: str
    visitor: str
    answer: str
    score: float  # automatic
    review_score: float | None
    verdicts: list[VerdictView]
    overrides: list[Override]
    model_answer: str


@dataclass(slots=True)
class ScenarioView:
    seq: int
    scenario: str
    title: str
    attempt: AttemptRecord | None
    ending_title: str
    debrief: str
    steps: list[StepView]


@dataclass(slots=True)
class TraineeView:
    id: str
    name: str
    sitting: SittingRecord
    page: str  # file name of the trainee's page
    scenarios: list[ScenarioView]
    minutes_used: float | None

    @property
    def status(self) -> str:
        return STATUS.get(self.sitting.status, self.sitting.status)


@dataclass(slots=True)
class Item:
    """One row of the item analysis."""

    label: str
    detail: str
    kind: str  # step | good | bad
    section: int
    facility: float
    discrimination: float | None
    n: int


@dataclass(slots=True)
class CohortReport:
    exam_id: str
    title: str
    pass_mark: float
    time_limit: int | None
    generated: str
    trainees: list[TraineeView]
    sections: dict[int, str]  # number -> title
    scores: list[float] = field(default_factory=list)  # final scores of closed sittings
    histogram: list[int] = field(default_factory=list)
    pass_rate: float | None = None
    mean: float | None = None
    median: float | None = None
    section_means: dict[int, float] = field(default_factory=dict)
    step_items: list[Item] = field(default_factory=list)
    criterion_items: list[Item] = field(default_factory=list)
    reviewed_steps: int = 0
    score_agreement: float | None = None
    verdict_agreement: float | None = None
    reviewed_sittings: int = 0
    open_sittings: int = 0


def page_name(trainee_id: str) -> str:
    """A file name for a trainee's page that is safe on every file system."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in trainee_id)
    if safe != trainee_id:  # keep two ids that differ only in unsafe characters apart
        safe += "-" + hashlib.sha256(trainee_id.encode()).hexdigest()[:8]
    return f"{safe}.html"


def scenario_text(scenario: Scenario, template: str) -> str:
    """A scenario text (visitor line, model answer, debrief) with its vars, sandboxed."""
    if "{" not in template:
        return template
    from simulator.engine import compiled_template

    try:
        return compiled_template(template).render(scenario.vars)
    except Exception:  # noqa: BLE001 - a broken template shows as written
        return template


def _verdict_views(final: tuple[Verdict, ...], auto: tuple[Verdict, ...], step: Any,
                   criteria: Mapping[str, Any]) -> list[VerdictView]:
    auto_present = {v.criterion for v in auto if v.present}
    views = []
    for v in final:
        c = (step.local.get(v.criterion) if step is not None else None) or criteria.get(v.criterion)
        if c is not None:
            feedback = c.feedback_shown if v.present else (c.feedback_missing if v.kind == "good" else "")
        else:
            feedback = ""
        views.append(VerdictView(
            v.criterion, c.title if c else v.criterion, v.kind, c.section if c else 0,
            v.expected, v.present, v.criterion in auto_present, v.evidence, feedback))
    return views


def gather(store: Store, exam_id: str, library: Mapping[str, Scenario], catalogue: Any, *,
           title: str | None = None, pass_mark: float = 60.0, time_limit: int | None = None,
           render: Callable[[Scenario, str], str] | None = None) -> CohortReport:
    """Build the report for one exam. ``render(scenario, template)`` fills scenario text."""
    render = render or scenario_text
    criteria = catalogue.criteria
    sittings, attempts, answers = store.exam_record(exam_id)
    overrides: dict[tuple[int, int], list[Override]] = {}
    for o in store.overrides(exam=exam_id):
        overrides.setdefault((o.attempt, o.index), []).append(o)
    latest: dict[str, SittingRecord] = {}
    for s in sittings:  # ordered by trainee, number: the last one wins
        latest[s.trainee] = s
    names = {t.id: t.name for t in store.trainees()}
    by_sitting: dict[int, dict[int, AttemptRecord]] = {}
    for a in attempts:
        by_sitting.setdefault(a.sitting or 0, {})[a.seq or 0] = a

    trainees: list[TraineeView] = []
    step_obs: list[tuple[str, Any, float]] = []
    crit_obs: list[tuple[str, Any, float]] = []
    step_meta: dict[Any, tuple[str, str, tuple[int, str, int]]] = {}
    crit_meta: dict[Any, tuple[str, str, int]] = {}  # key -> (title, kind, section)
    reviewed = score_agree = verdict_total = verdict_agree = 0
    for trainee_id, sitting in sorted(latest.items()):
        closed = sitting.status != "open"
        scenario_views = []
        for seq, sid in enumerate(sitting.plan):
            scenario = library.get(sid)
            attempt = by_sitting.get(sitting.id, {}).get(seq)
            steps = []
            crit_counts: dict[str, list[int]] = {}
            for ans in answers.get(attempt.id, []) if attempt else []:
                step = scenario.step(ans.step) if scenario else None
                final = ans.final_verdicts
                said = ans.answer
                if step is not None and ans.choice and ans.choice <= len(step.options):
                    said = f"{ans.choice}. {render(scenario, step.options[ans.choice - 1].text)}"
                steps.append(StepView(
                    ans.index + 1, ans.step, render(scenario, step.visitor) if step else "",
                    said, ans.score, ans.review_score,
                    _verdict_views(final, ans.verdicts, step, criteria),
                    overrides.get((ans.attempt, ans.index), []),
                    render(scenario, step.model_answer) if step and step.model_answer else ""))
                if ans.review_verdicts is not None:
                    reviewed += 1
                    score_agree += abs(ans.final_score - ans.score) < 0.05
                    auto = {v.criterion: v.present for v in ans.verdicts}
                    fin = {v.criterion: v.present for v in final}
                    for cid in set(auto) | set(fin):
                        verdict_total += 1
                        verdict_agree += auto.get(cid, False) == fin.get(cid, False)
                if not closed:
                    continue
                key = (sid, ans.step)
                step_obs.append((trainee_id, key, ans.final_score / 100.0))
                if key not in step_meta:
                    place = next((i for i, st in enumerate(scenario.steps) if st.id == ans.step),
                                 99) if scenario else 99
                    step_meta[key] = (scenario.title if scenario else sid, ans.step,
                                      (seq, sid, place))
                for v in final:
                    if not v.expected:
                        continue
                    right = v.present if v.kind == "good" else not v.present
                    local = step.local.get(v.criterion) if step else None
                    ckey = f"{sid}:{v.criterion}" if local or v.criterion not in criteria else v.criterion
                    if ckey not in crit_meta:
                        c = local or criteria.get(v.criterion)
                        crit_meta[ckey] = (c.title if c else v.criterion, v.kind,
                                           c.section if c else 0)
                    crit_counts.setdefault(ckey, []).append(int(right))
            for cid, rights in crit_counts.items():
                crit_obs.append((trainee_id, cid, sum(rights) / len(rights)))
            ending = scenario.ending(attempt.ending) if scenario and attempt and attempt.ending else None
            scenario_views.append(ScenarioView(
                seq + 1, sid, scenario.title if scenario else sid, attempt,
                ending.title if ending else "",
                render(scenario, ending.text) if ending and scenario else "", steps))
        used = ((sitting.finished_at - sitting.started_at) / 60.0) if sitting.finished_at else None
        trainees.append(TraineeView(trainee_id, names.get(trainee_id, ""), sitting,
                                    page_name(trainee_id), scenario_views,
                                    None if used is None else round(used, 1)))

    closed_sittings = [t.sitting for t in trainees if t.sitting.status != "open"]
    totals = {s.trainee: s.final_score or 0.0 for s in closed_sittings}
    scores = list(totals.values())
    report = CohortReport(
        exam_id=exam_id, title=title or exam_id, pass_mark=pass_mark, time_limit=time_limit,
        generated=time.strftime("%Y-%m-%d %H:%M"), trainees=trainees,
        sections={n: s.title for n, s in catalogue.sections.items()},
        scores=scores, histogram=stats.histogram(scores),
        pass_rate=(sum(s >= pass_mark for s in scores) / len(scores)) if scores else None,
        mean=stats.mean(scores), median=stats.median(scores),
        reviewed_steps=reviewed,
        score_agreement=(score_agree / reviewed) if reviewed else None,
        verdict_agreement=(verdict_agree / verdict_total) if verdict_total else None,
        reviewed_sittings=sum(s.review_score is not None for s in closed_sittings),
        open_sittings=len(trainees) - len(closed_sittings),
    )
    per_section: dict[int, list[float]] = {}
    for s in closed_sittings:
        for sec, value in s.sections.items():
            per_section.setdefault(sec, []).append(value)
    report.section_means = {sec: stats.mean(v) or 0.0 for sec, v in sorted(per_section.items())}

    step_stats = stats.analyse(totals, step_obs)
    for key in sorted(step_stats, key=lambda k: (step_meta[k][2], k)):
        st = step_stats[key]
        scenario_title, step_id, _ = step_meta[key]
        report.step_items.append(Item(step_id, scenario_title, "step", 0, st.facility,
                                      st.discrimination, st.n))
    for ckey, st in stats.analyse(totals, crit_obs).items():
        ctitle, kind, section = crit_meta[ckey]
        report.criterion_items.append(Item(ckey, ctitle, kind, section, st.facility,
                                           st.discrimination, st.n))
    report.criterion_items.sort(key=lambda it: (it.section, it.label))
    return report
