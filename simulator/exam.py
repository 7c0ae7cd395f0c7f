"""The quarterly exam: definitions in YAML (``exams/``), the per-trainee plan, and the sitting.

An exam names a fixed list of scenarios and/or random draws from pools (by category or
situation), seeded per trainee so a trainee's plan is stable and a cohort's differ. A
sitting is checked in with 工号 and name, plays the planned scenarios one after another
against one clock (the deadline is stored at the start, so a resumed sitting keeps the
clock that was running), commits every answer, and at time-out closes and scores what was
answered. Feedback stays hidden until the end: the screens show no verdicts while
``ExamRun.finished`` is false.
"""

from __future__ import annotations

import difflib
import hashlib
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator import loader
from simulator.data import builtin_dir
from simulator.loader import Problem
from simulator.model import CATEGORIES, Scenario, StepResult, level_for
from simulator.progress import RecordedSession, resume, start
from simulator.store import AnswerRecord, AttemptRecord, SittingRecord, Store, StoreError

FEEDBACK = ("hidden-until-end",)


@dataclass(frozen=True, slots=True)
class Draw:
    """Draw ``count`` scenarios at random from those matching the pool."""

    count: int
    category: str | None = None
    situation: str | None = None

    def matches(self, scenario: Scenario) -> bool:
        return ((self.category is None or scenario.category == self.category)
                and (self.situation is None or self.situation in scenario.situations))

    def describe(self) -> str:
        parts = [f"类别为{self.category}" if self.category else "",
                 f"情形含{self.situation}" if self.situation else ""]
        return "、".join(p for p in parts if p) or "全部场景"


@dataclass(frozen=True, slots=True)
class Exam:
    id: str
    title: str
    scenarios: tuple[str, ...] = ()
    draw: tuple[Draw, ...] = ()
    time_limit: int = 60  # minutes, for the whole sitting
    pass_mark: float = 60.0
    attempts: int = 1
    feedback: str = "hidden-until-end"
    description: str = ""
    path: str = ""


def exam_seed(exam_id: str, trainee: str) -> int:
    """The draw's seed for one trainee: stable across runs and machines."""
    return int.from_bytes(hashlib.sha256(f"{exam_id}\0{trainee}".encode()).digest()[:6], "big")


def plan_for(exam: Exam, seed: int, library: Mapping[str, Scenario]) -> tuple[str, ...]:
    """The scenario ids a trainee plays: the fixed list, then each draw (no repeats)."""
    plan = list(exam.scenarios)
    missing = [sid for sid in plan if sid not in library]
    if missing:
        raise StoreError(f"考试 {exam.id} 引用了不存在的场景：{'、'.join(missing)}")
    rng = random.Random(seed)
    for draw in exam.draw:
        pool = sorted(sid for sid, s in library.items() if draw.matches(s) and sid not in plan)
        if len(pool) < draw.count:
            raise StoreError(f"考试 {exam.id} 要从{draw.describe()}中抽取 {draw.count} 个场景，"
                             f"但只有 {len(pool)} 个可抽")
        plan.extend(rng.sample(pool, draw.count))
    return tuple(plan)


class ExamRun:
    """One trainee's sitting of one exam, from check-in to the final score.

    Obtain it with ``check_in``. ``answer`` plays the current scenario (committing each
    answer); when a scenario ends the next one starts. ``check_time`` closes the sitting
    once the deadline has passed; ``submit`` hands it in early.
    """

    def __init__(self, store: Store, exam: Exam, sitting: SittingRecord,
                 library: Mapping[str, Scenario], detector: Any, clock: Callable[[], float]) -> None:
        self.store = store
        self.exam = exam
        self.sitting = sitting
        self.library = library
        self.detector = detector
        self.clock = clock
        self.session: RecordedSession | None = None
        self.index = 0  # place of the current scenario in the plan
        #: Answers restored from the record when the sitting was resumed.
        self.restored = 0

    # -- state

    @property
    def plan(self) -> tuple[str, ...]:
        return self.sitting.plan

    @property
    def finished(self) -> bool:
        return self.sitting.status != "open"

    @property
    def scenario(self) -> Scenario | None:
        """The scenario being played (None once the sitting is over)."""
        return self.session.scenario if self.session is not None and not self.finished else None

    def remaining(self) -> float:
        """Seconds left on the sitting's clock (0 when over)."""
        return 0.0 if self.finished else max(0.0, self.sitting.deadline - self.clock())

    # -- play

    def answer(self, text: str) -> StepResult | None:
        """Play and commit one answer; None when time ran out first (the sitting is closed)."""
        if self.finished:
            raise StoreError("本场考试已经结束")
        if not self.check_time():
            return None
        assert self.session is not None
        result = self.session.answer(text)
        if self.session.finished:
            self._advance()
        return result

    def check_time(self) -> bool:
        """True while the clock runs; at the deadline, close and score the sitting."""
        if self.finished:
            return False
        if self.clock() >= self.sitting.deadline:
            self._close(status="timeout")
            return False
        return True

    def submit(self) -> None:
        """Hand in now: the current scenario is scored on what was answered."""
        if not self.finished:
            self._close(status="finished")

    # -- results

    def attempts(self) -> list[AttemptRecord]:
        return self.store.attempts(sitting=self.sitting.id)

    def transcript(self) -> list[tuple[str, AttemptRecord | None, list[AnswerRecord]]]:
        """Per planned scenario: its attempt (None if never reached) and answers."""
        by_seq = {a.seq: a for a in self.attempts()}
        return [(sid, by_seq.get(i), self.store.answers(by_seq[i].id) if i in by_seq else [])
                for i, sid in enumerate(self.plan)]

    # -- internals

    def _advance(self) -> None:
        """After a scenario ended: start the next one, or finish the sitting."""
        self.index += 1
        if self.index < len(self.plan):
            self.session = start(self.store, self.sitting.trainee, self.library[self.plan[self.index]],
                                 mode="exam", sitting=self.sitting.id, seq=self.index,
                                 detector=self.detector, now=self.clock())
        else:
            self._close(status="finished")

    def _close(self, status: str) -> None:
        closing = None
        if self.session is not None and not self.session.finished:
            closing = (self.session.attempt_id, self.session.session.close())
        scores = sitting_scores(self.plan, self.attempts(), closing)
        self.store.finish_sitting(
            self.sitting.id, status=status, score=scores[0], level=level_for(scores[0]),
            passed=scores[0] >= self.exam.pass_mark, sections=scores[1],
            close_attempt=closing, now=self.clock())
        self.sitting = self.store.sitting(self.sitting.id)


def sitting_scores(plan: tuple[str, ...], attempts: list[AttemptRecord],
                   closing: tuple[int, Any] | None = None,
                   *, review: bool = False) -> tuple[float, dict[int, float]]:
    """The sitting's score (mean over the plan; a scenario never reached counts 0) and profile.

    ``closing``: (attempt id, Attempt) for the attempt being closed right now.
    ``review``: use the reviewed scores where a trainer set them.
    """
    by_seq: dict[int, tuple[float, dict[int, float]]] = {}
    for a in attempts:
        if a.seq is None:
            continue
        if closing is not None and a.id == closing[0]:
            by_seq[a.seq] = (closing[1].score, closing[1].sections)
        elif a.status != "open":
            score = a.final_score if review else a.score
            by_seq[a.seq] = (score or 0.0, a.sections)
    total = sum(by_seq.get(i, (0.0, {}))[0] for i in range(len(plan)))
    score = round(total / len(plan), 1) if plan else 0.0
    sections: dict[int, list[float]] = {}
    for _, profile in by_seq.values():
        for sec, value in profile.items():
            sections.setdefault(sec, []).append(value)
    return score, {sec: round(sum(v) / len(v), 1) for sec, v in sorted(sections.items())}


def check_in(store: Store, exam: Exam, trainee: str, name: str, library: Mapping[str, Scenario],
             *, detector: Any = None, clock: Callable[[], float] = time.time) -> ExamRun:
    """Check a trainee in: start a new sitting, or resume the open one with its clock.

    Raises ``StoreError`` when the trainee has used all the exam's attempts, when the
    name does not match the registered 工号, or when a planned scenario is missing.
    """
    registered = store.register_trainee(trainee, name, rename=False)
    sittings = store.sittings(exam=exam.id, trainee=registered.id)
    sitting = next((s for s in sittings if s.status == "open"), None)
    if sitting is None:
        if len(sittings) >= exam.attempts:
            last = sittings[-1]
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(last.finished_at or last.started_at))
            raise StoreError(f"工号 {registered.id}（{registered.name}）已于 {when} 参加过考试"
                             f"“{exam.title}”，每人只能参加 {exam.attempts} 次")
        seed = exam_seed(exam.id, registered.id)
        plan = plan_for(exam, seed, library)
        now = clock()
        sitting = store.begin_sitting(exam.id, registered.id, len(sittings) + 1, plan, seed,
                                      now, now + exam.time_limit * 60)
        if sitting is None:  # another terminal checked the same trainee in a moment ago
            return check_in(store, exam, trainee, name, library, detector=detector, clock=clock)
    missing = [sid for sid in sitting.plan if sid not in library]
    if missing:
        raise StoreError(f"考试 {exam.id} 的场景已不存在：{'、'.join(missing)}，无法继续")
    run = ExamRun(store, exam, sitting, library, detector, clock)
    _restore(run)
    return run


def _restore(run: ExamRun) -> None:
    """Position a sitting at its first unfinished scenario, replaying committed answers."""
    by_seq = {a.seq: a for a in run.attempts()}
    expired = run.clock() >= run.sitting.deadline
    for index, sid in enumerate(run.plan):
        run.index = index
        record = by_seq.get(index)
        if record is None:
            if expired:  # out of time: nothing new starts, check_time closes the sitting
                break
            run.session = start(run.store, run.sitting.trainee, run.library[sid], mode="exam",
                                sitting=run.sitting.id, seq=index, detector=run.detector,
                                now=run.clock())
            break
        if record.status == "open":
            run.session = resume(run.store, record.id, run.library[sid], detector=run.detector)
            run.restored += len(run.session.results)
            if not run.session.finished:
                break
        else:
            run.restored += len(run.store.answers(record.id))
    else:
        run.index = len(run.plan)
        run._close(status="finished")
        return
    run.check_time()


# ---------------------------------------------------------------- definitions (YAML)

EXAM_KEYS = ("id", "title", "description", "scenarios", "draw", "time_limit", "pass_mark",
             "attempts", "feedback")
DRAW_KEYS = ("pool", "count")
POOL_KEYS = ("category", "situation")


def _read_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """The file's node tree with positions, through the scenario loader's safe reader."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(str(path), 1, 1, "error", f"无法读取文件：{exc.strerror or exc}")]
    return loader.read_nodes(data, str(path))


def load_exam(path: str | Path, library: Mapping[str, Scenario] | None = None
              ) -> tuple[Exam | None, list[Problem]]:
    """Read one exam file; every problem as ``path:line:col``. None when there is an error.

    ``library``: the scenarios the exam may use (default: the built-in ones); unknown ids
    and pools too small for their draw are errors.
    """
    path = Path(path)
    root, problems = _read_yaml(path)
    if root is None:
        return None, problems
    if library is None:
        from simulator.progress import scenario_library

        library = scenario_library()
    b = loader.Builder(str(path), catalogue=None)
    b.problems = problems
    try:
        exam = _build(b, root, path, library)
    except loader.Refused as exc:  # an alias bomb or the like, found while reading
        problems.append(Problem(str(path), exc.line, exc.col, "error", str(exc)))
        exam = None
    problems.sort(key=lambda p: (p.line, p.col))
    return (None if any(p.severity == "error" for p in problems) else exam), problems


def _build(b: Any, root: Any, path: Path, library: Mapping[str, Scenario]) -> Exam | None:
    """The exam from its node tree; problems go to the builder ``b``."""
    before = len(b.problems)
    f = b.entries(root, (), EXAM_KEYS)
    if not f and len(b.problems) > before:  # not a mapping at all
        return None
    for key in ("id", "title", "time_limit", "pass_mark"):
        if key not in f:
            b.error(root, f"考试缺少必填的键 {key}")
    exam_id = b.ident(f.get("id"), ("id",), loader.SCENARIO_ID, "考试 id")
    if "id" in f and exam_id and exam_id != path.stem:
        b.error(f["id"], f"考试 id “{exam_id}” 应与文件名 {path.stem} 一致")
    fixed: list[str] = []
    for i, node in enumerate(b.items(f["scenarios"], ("scenarios",)) if "scenarios" in f else []):
        sid = b.text(node, ("scenarios", i))
        if sid not in library:
            close = difflib.get_close_matches(sid, list(library), n=1, cutoff=0.6)
            b.error(node, f"未知的场景 id “{sid}”" + (f"，是不是 {close[0]}？" if close else ""))
        elif sid in fixed:
            b.error(node, f"场景 {sid} 重复出现")
        else:
            fixed.append(sid)
    draws: list[Draw] = []
    short = False
    for i, node in enumerate(b.items(f["draw"], ("draw",)) if "draw" in f else []):
        where = ("draw", i)
        before = len(b.problems)
        d = b.entries(node, where, DRAW_KEYS)
        if len(b.problems) > before and not d:
            continue
        if "pool" not in d or "count" not in d:
            b.error(node, "每项抽题都要有 pool（题库范围）和 count（抽几个）")
            continue
        before = len(b.problems)
        pool = b.entries(d["pool"], (*where, "pool"), POOL_KEYS)
        if not pool:
            if len(b.problems) == before:
                b.error(d["pool"], "pool 至少要写 category（类别）或 situation（情形）之一")
            continue
        category = (b.choice(pool["category"], (*where, "pool", "category"), CATEGORIES, "")
                    if "category" in pool else None)
        situation = (b.text(pool["situation"], (*where, "pool", "situation"))
                     if "situation" in pool else None)
        draw = Draw(b.integer(d["count"], (*where, "count"), 1, 50, 1), category or None,
                    situation or None)
        available = [sid for sid, s in library.items() if draw.matches(s) and sid not in fixed]
        if len(available) < draw.count:
            b.error(node, f"要从{draw.describe()}中抽取 {draw.count} 个场景，"
                          f"但固定场景之外只有 {len(available)} 个")
            short = True
        draws.append(draw)
    pooled = {sid for d in draws for sid, s in library.items() if d.matches(s) and sid not in fixed}
    if draws and not short and len(pooled) < sum(d.count for d in draws):
        b.error(f["draw"], f"各项抽题合计要抽 {sum(d.count for d in draws)} 个场景，"
                           f"但可抽的只有 {len(pooled)} 个")
    if not fixed and not draws and not any(p.severity == "error" for p in b.problems):
        b.error(root, "考试至少要有一个场景（scenarios 或 draw）")
    return Exam(
        id=exam_id,
        title=b.text(f.get("title"), ("title",)),
        description=b.text(f.get("description"), ("description",)),
        scenarios=tuple(fixed),
        draw=tuple(draws),
        time_limit=b.integer(f.get("time_limit"), ("time_limit",), 1, 600, 60),
        pass_mark=_pass_mark(b, f.get("pass_mark")),
        attempts=b.integer(f.get("attempts"), ("attempts",), 1, 10, 1),
        feedback=b.choice(f.get("feedback"), ("feedback",), FEEDBACK, FEEDBACK[0]),
        path=str(path),
    )


def _pass_mark(b: Any, node: Any) -> float:
    if node is None:
        return 60.0
    value = b.value(node, ("pass_mark",))
    if type(value) not in (int, float) or not 0 <= value <= 100:
        b.error(node, f"pass_mark 应为 0 到 100 的数，这里是“{value}”")
        return 60.0
    return float(value)


def validate_exam(path: str | Path, library: Mapping[str, Scenario] | None = None) -> list[Problem]:
    """Every problem of one exam file (for ``simulator validate``)."""
    return load_exam(path, library)[1]


def is_exam_file(path: str | Path) -> bool:
    """An exam definition is a YAML file in a folder named ``exams``."""
    path = Path(path)
    return path.parent.name == "exams" and path.suffix in (".yaml", ".yml")


def exam_dirs(paths: Any) -> list[Path]:
    """Where exams are looked up by id: the data folder's ``exams/``, then the built-in ones."""
    return [paths.exams, builtin_dir("exams")]


def list_exams(folders: list[Path], library: Mapping[str, Scenario]
               ) -> list[tuple[Path, Exam | None, list[Problem]]]:
    """Every exam file in ``folders`` (first folder wins for an id), loaded, with its problems."""
    seen: set[str] = set()
    out = []
    for folder in folders:
        for path in sorted(Path(folder).glob("*.yaml")):
            if path.stem in seen:
                continue
            seen.add(path.stem)
            exam, problems = load_exam(path, library)
            out.append((path, exam, problems))
    return out


def find_exam(arg: str, exam_dirs: list[Path]) -> Path:
    """An exam file: ``arg`` as a path, else ``<dir>/<arg>.yaml`` in the first folder holding it."""
    path = Path(arg)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise StoreError(f"找不到考试文件：{arg}")
        return path
    for folder in exam_dirs:
        for suffix in (".yaml", ".yml"):
            candidate = folder / f"{arg}{suffix}"
            if candidate.is_file():
                return candidate
    raise StoreError(f"找不到考试“{arg}”（已查找：{'、'.join(str(d) for d in exam_dirs)}）")
