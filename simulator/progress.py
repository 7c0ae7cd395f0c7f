"""Practice on the record: sessions that commit every answer, resuming them, and the history.

``RecordedSession`` wraps an engine ``Session`` so each answer is committed to the store
before the caller shows the visitor's reply; ``resume`` rebuilds an interrupted attempt by
replaying its stored answers. ``history`` turns a trainee's record into what the history
screen and ``simulator history --json`` show: attempts over time, the per-section trend,
the weakest sections and the scenarios that train them ("练这个").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.data import builtin_dir
from simulator.engine import Session
from simulator.model import Attempt, Scenario, StepResult
from simulator.store import AttemptRecord, Store, StoreError, Trainee

#: How many recent attempts count towards a section's current level.
RECENT = 5
#: Sections at or above this recent mean are not called weak.
STRONG = 90.0


class RecordedSession:
    """An engine session whose answers are committed as they are given.

    A drop-in for ``Session`` wherever a screen holds one (same attributes and methods),
    plus ``attempt_id``: ``answer`` returns only once the answer is durable, so a screen
    that shows the visitor's reply after ``answer`` returns never shows an unsaved one.
    With ``begin`` instead of an ``attempt_id`` the attempt is put on record at the first
    answer, so a briefing opened and left leaves nothing behind.
    """

    def __init__(self, store: Store, attempt_id: int | None, scenario: Scenario,
                 session: Session, detector: Any = None,
                 begin: Callable[[], int] | None = None) -> None:
        self.store = store
        self.attempt_id = attempt_id
        self.scenario = scenario
        self.session = session
        self._detector = detector
        self._begin = begin

    @property
    def detector(self) -> Any:
        return self.session.detector

    def render(self, template: str) -> str:
        return self.session.render(template)

    def visitor_line(self) -> str:
        return self.session.visitor_line()

    def visitor_name(self) -> str:
        return self.session.visitor_name()

    def options(self) -> list[str]:
        return self.session.options()

    @property
    def current(self) -> Any:
        return self.session.current

    @property
    def finished(self) -> bool:
        return self.session.finished

    @property
    def meters(self) -> dict[str, int]:
        return self.session.meters

    @property
    def results(self) -> list[StepResult]:
        return self.session.results

    @property
    def ending(self) -> Any:
        return self.session.ending

    def answer(self, text: str) -> StepResult:
        """Play one answer and commit it; raises ``StoreError`` if it could not be saved.

        When the save fails the session is rebuilt from what was committed, so the
        screen can offer the same step again.
        """
        if self.attempt_id is None and self._begin is not None:
            self.attempt_id = self._begin()
        index = len(self.session.results)
        result = self.session.answer(text)
        step = self.scenario.step(result.step)
        finished = self.session.attempt() if self.session.finished else None
        try:
            self.store.save_answer(self.attempt_id, index, result,
                                   weight=step.weight if step else 1.0, finished=finished)
        except StoreError:
            self.session = Session.replay(
                self.scenario, [a.answer for a in self.store.answers(self.attempt_id)],
                **self._engine_kwargs())
            raise
        return result

    def attempt(self) -> Attempt:
        return self.session.attempt()

    def close(self) -> Attempt:
        """End the attempt now (given up or out of time), scored on what was answered;
        an attempt never put on record (no answer yet) stays off it."""
        attempt = self.session.close()
        if self.attempt_id is not None:
            self.store.finish_attempt(self.attempt_id, attempt, closed=True)
        return attempt

    def _engine_kwargs(self) -> dict[str, Any]:
        return {"detector": self._detector} if self._detector is not None else {}


def start(store: Store, trainee: str, scenario: Scenario, *, mode: str = "practice",
          sitting: int | None = None, seq: int | None = None, detector: Any = None,
          now: float | None = None, deferred: bool = False) -> RecordedSession:
    """Begin a recorded attempt at ``scenario`` for ``trainee`` (a registered 工号);
    ``deferred``: put it on record only at the first answer."""
    session = Session(scenario, detector=detector)

    def begin() -> int:
        return store.begin_attempt(trainee, scenario.id, mode, sitting, seq, now=now)

    if deferred:
        return RecordedSession(store, None, scenario, session, detector, begin=begin)
    return RecordedSession(store, begin(), scenario, session, detector)


def resume(store: Store, attempt_id: int, scenario: Scenario, *,
           detector: Any = None) -> RecordedSession:
    """Rebuild an open attempt by replaying its committed answers through the engine.

    Raises ``StoreError`` when the scenario no longer plays the same way (it was edited
    since), so a resumed attempt is never silently different from what was saved.
    """
    record = store.attempt(attempt_id)
    if record.status != "open":
        raise StoreError(f"作答记录 {attempt_id} 已经结束，无法继续")
    if record.scenario != scenario.id:
        raise StoreError(f"作答记录 {attempt_id} 属于场景 {record.scenario}，不是 {scenario.id}")
    answers = store.answers(attempt_id)
    kwargs = {"detector": detector} if detector is not None else {}
    try:
        session = Session.replay(scenario, [a.answer for a in answers], **kwargs)
    except ValueError as exc:
        raise StoreError(f"无法恢复作答记录 {attempt_id}：场景 {scenario.id} 已被修改（{exc}）") from None
    replayed = [r.step for r in session.results]
    if replayed != [a.step for a in answers]:
        raise StoreError(f"无法恢复作答记录 {attempt_id}：场景 {scenario.id} 已被修改，"
                         "重放的步骤与保存的不一致")
    recorded = RecordedSession(store, attempt_id, scenario, session, detector)
    if session.finished:  # the process stopped between the last answer and the outcome
        store.finish_attempt(attempt_id, session.attempt())
    return recorded


def scenario_library(folders: Iterable[Path] | None = None) -> dict[str, Scenario]:
    """Every scenario that loads cleanly from ``folders`` (default: the built-in ones), by id."""
    from simulator.loader import load_scenario

    library: dict[str, Scenario] = {}
    for folder in folders or [builtin_dir("scenarios")]:
        for path in sorted(Path(folder).glob("*.yaml")):
            scenario, _ = load_scenario(path)
            if scenario is not None:
                library.setdefault(scenario.id, scenario)
    return library


def resumable(store: Store, trainee: str) -> list[AttemptRecord]:
    """The trainee's interrupted practice attempts, newest first."""
    return list(reversed(store.attempts(trainee, mode="practice", status="open")))


# ---------------------------------------------------------------- history


@dataclass(frozen=True, slots=True)
class WeakSection:
    section: int
    title: str
    score: float  # mean over the recent attempts that exercised it
    attempts: int


@dataclass(frozen=True, slots=True)
class Recommendation:
    """"练这个": a scenario that trains a weak section."""

    scenario: str
    title: str
    section: int
    reason: str


@dataclass(frozen=True, slots=True)
class History:
    trainee: Trainee
    attempts: tuple[AttemptRecord, ...]  # finished or closed, oldest first
    titles: dict[str, str]  # scenario id -> title
    trend: dict[int, tuple[tuple[int, float, float], ...]]  # section -> (attempt, time, score)
    weakest: tuple[WeakSection, ...]
    recommendations: tuple[Recommendation, ...]
    resumable: tuple[AttemptRecord, ...]


def section_weights(scenario: Scenario, criteria: Mapping[str, Any]) -> Counter[int]:
    """How many times each guidance section is looked for in a scenario's steps."""
    counts: Counter[int] = Counter()
    for step in scenario.steps:
        for cid in (*step.good, *step.bad):
            criterion = step.local.get(cid) or criteria.get(cid)
            if criterion is not None and criterion.section:
                counts[criterion.section] += 1
    return counts


def history(store: Store, trainee_id: str, library: Mapping[str, Scenario],
            catalogue: Any) -> History:
    """A trainee's record as the history screen shows it.

    ``library``: scenario id -> Scenario (the scenarios that can be recommended);
    ``catalogue``: the criteria catalogue (``default_detector().catalogue``).
    """
    trainee = store.trainee(trainee_id)
    if trainee is None:
        raise StoreError(f"没有工号为 {trainee_id} 的学员记录")
    done = tuple(a for a in store.attempts(trainee_id) if a.status != "open")
    trend: dict[int, list[tuple[int, float, float]]] = {}
    for a in done:
        for section, score in sorted(a.sections.items()):
            trend.setdefault(section, []).append((a.id, a.finished_at or a.started_at, score))
    weak = []
    for section, points in trend.items():
        recent = [score for _, _, score in points[-RECENT:]]
        mean = round(sum(recent) / len(recent), 1)
        if mean < STRONG:
            title = catalogue.sections[section].title if section in catalogue.sections else ""
            weak.append(WeakSection(section, title, mean, len(recent)))
    weak.sort(key=lambda w: (w.score, w.section))
    weakest = tuple(weak[:3])
    practised = Counter(a.scenario for a in done)
    recommendations: list[Recommendation] = []
    chosen: set[str] = set()
    for w in weakest:
        ranked = sorted(
            ((section_weights(s, catalogue.criteria)[w.section], s) for s in library.values()),
            key=lambda pair: (-pair[0], practised[pair[1].id], pair[1].difficulty, pair[1].id))
        for count, scenario in ranked:
            if count == 0 or len([r for r in recommendations if r.section == w.section]) == 2:
                break
            if scenario.id in chosen:
                continue
            chosen.add(scenario.id)
            recommendations.append(Recommendation(
                scenario.id, scenario.title, w.section,
                f"§{w.section} {w.title}近期平均 {w.score:g} 分；本场景有 {count} 处考查这一条，"
                f"你已练过 {practised[scenario.id]} 次"))
    return History(
        trainee=trainee,
        attempts=done,
        titles={sid: s.title for sid, s in library.items()},
        trend={k: tuple(v) for k, v in sorted(trend.items())},
        weakest=weakest,
        recommendations=tuple(recommendations),
        resumable=tuple(resumable(store, trainee_id)),
    )


def iso(timestamp: float | None) -> str | None:
    """A stored time as local ISO 8601 with the offset (for JSON and reports)."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def history_json(h: History) -> dict[str, Any]:
    """The ``simulator history --json`` document."""
    def attempt(a: AttemptRecord) -> dict[str, Any]:
        return {
            "id": a.id, "scenario": a.scenario, "title": h.titles.get(a.scenario, a.scenario),
            "mode": a.mode, "started": iso(a.started_at), "finished": iso(a.finished_at),
            "status": a.status, "ending": a.ending, "score": a.score,
            "review_score": a.review_score, "level": a.level,
            "sections": {str(k): v for k, v in sorted(a.sections.items())},
        }

    return {
        "trainee": {"id": h.trainee.id, "name": h.trainee.name},
        "attempts": [attempt(a) for a in h.attempts],
        "trend": {str(sec): [{"attempt": aid, "at": iso(at), "score": score}
                             for aid, at, score in points] for sec, points in h.trend.items()},
        "weakest": [{"section": w.section, "title": w.title, "score": w.score,
                     "attempts": w.attempts} for w in h.weakest],
        "recommend": [{"scenario": r.scenario, "title": r.title, "section": r.section,
                       "reason": r.reason} for r in h.recommendations],
        "resumable": [attempt(a) for a in h.resumable],
    }
