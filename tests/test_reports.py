"""Reports, statistics, human review, rescoring and the practice history."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.engine import Session
from simulator.exam import check_in, load_exam
from simulator.grading import rescore_exam, review_step
from simulator.progress import history, history_json, scenario_library, start
from simulator.reports import gather, write_report
from simulator.reports.stats import analyse, kelley_groups
from simulator.scoring import default_detector
from simulator.store import Store, StoreError

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def library():
    return scenario_library()


@pytest.fixture(scope="module")
def catalogue():
    return default_detector().catalogue


# ---------------------------------------------------------------- statistics by hand


def test_facility_and_discrimination_hand_computed():
    totals = {f"T{i}": s for i, s in enumerate([90, 85, 80, 75, 70, 60, 50, 40, 30, 20])}
    upper, lower = kelley_groups(totals)  # round(0.27 * 10) = 3 each
    assert upper == {"T0", "T1", "T2"} and lower == {"T7", "T8", "T9"}
    shown = {"T0": 1, "T1": 1, "T2": 0, "T3": 1, "T4": 0, "T5": 1, "T6": 0, "T7": 0, "T8": 1, "T9": 0}
    # A step item: T2 never reached it; T4 answered it twice (0.5 and 1.0 -> 0.75).
    step = {"T0": 1.0, "T1": 0.5, "T3": 0.5, "T5": 0.0, "T6": 0.5, "T7": 0.0, "T8": 0.0, "T9": 0.5}
    observations = [(t, "crit", float(v)) for t, v in shown.items()]
    observations += [(t, "step", v) for t, v in step.items()]
    observations += [("T4", "step", 0.5), ("T4", "step", 1.0)]
    stats = analyse(totals, observations)
    # facility: 5 of 10 showed it; upper 2/3 minus lower 1/3.
    assert stats["crit"].facility == 0.5 and stats["crit"].n == 10
    assert stats["crit"].discrimination == pytest.approx(0.333, abs=1e-3)
    # facility: (1 + .5 + .5 + .75 + 0 + .5 + 0 + 0 + .5) / 9 = 3.75 / 9; upper (T0, T1) .75;
    # lower (T7, T8, T9) .5 / 3.
    assert stats["step"].facility == pytest.approx(3.75 / 9, abs=1e-3) and stats["step"].n == 9
    assert stats["step"].discrimination == pytest.approx(0.75 - 0.5 / 3, abs=1e-3)
    assert kelley_groups({"T0": 50}) == (set(), set())


# ---------------------------------------------------------------- a small cohort


def exam_file(folder: Path) -> Path:
    path = folder / "exams" / "r-exam.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id: r-exam\ntitle: 报告测试\nscenarios: [retiree]\ntime_limit: 30\n"
                    "pass_mark: 60\n", encoding="utf-8")
    return path


def answers_for(scenario, good: bool) -> list[str]:
    session, lines = Session(scenario), []
    while not session.finished:
        step = session.current
        if step.answer == "choice":
            text = "1" if good else str(len(step.options))
        elif good:
            text = " ".join(session.render(step.model_answer or "好的").split())
        else:
            text = SCRIPT + " 长话短说，我后面还有人。"
        lines.append(text)
        session.answer(text)
    return lines


@pytest.fixture()
def cohort(tmp_path, library):
    exam, problems = load_exam(exam_file(tmp_path), library)
    assert exam is not None, problems
    store = Store.open(tmp_path / "data")
    people = [("A001", "张三", True), ("A002", f"王{SCRIPT}"[:32], False), ("A003", "=1+1", True),
              ("A004", "赵六", False)]
    for tid, name, good in people:
        run = check_in(store, exam, tid, name, library)
        for line in answers_for(library["retiree"], good):
            run.answer(line)
        assert run.finished
    yield store, exam
    store.close()


def test_report_escapes_answers_and_writes_csv(tmp_path, cohort, library, catalogue):
    store, exam = cohort
    report = gather(store, exam.id, library, catalogue, title=exam.title, pass_mark=exam.pass_mark)
    out = tmp_path / "out"
    written = write_report(report, out)
    assert out / "index.html" in written and out / "r-exam.csv" in written
    index = (out / "index.html").read_text(encoding="utf-8")
    page = (out / "trainees" / "A002.html").read_text(encoding="utf-8")
    for html in (index, page):
        assert "<script>" not in html and "&lt;script&gt;" in html
    assert "长话短说" in page and "<svg" in index and "@media print" in index
    raw = (out / "r-exam.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["工号"] for r in rows] == ["A001", "A002", "A003", "A004"]
    assert rows[2]["姓名"] == "'=1+1"  # not a formula in Excel
    assert rows[0]["是否通过"] == "是" and rows[1]["是否通过"] == "否"
    assert float(rows[0]["最终成绩"]) > float(rows[1]["最终成绩"])
    assert rows[0]["场景1"] == library["retiree"].title


def test_step_facility_matches_the_record(cohort, library, catalogue):
    store, exam = cohort
    report = gather(store, exam.id, library, catalogue, pass_mark=exam.pass_mark)
    first = library["retiree"].steps[0].id
    item = next(it for it in report.step_items if it.label == first)
    scores = [t.scenarios[0].steps[0].score / 100 for t in report.trainees]
    assert item.n == 4 and item.facility == pytest.approx(sum(scores) / 4, abs=1e-3)
    # Four trainees: one in each group (round(0.27 * 4) = 1): best minus worst.
    ranked = sorted(report.trainees, key=lambda t: (-t.sitting.score, t.id))
    expected = ranked[0].scenarios[0].steps[0].score / 100 - ranked[-1].scenarios[0].steps[0].score / 100
    assert item.discrimination == pytest.approx(expected, abs=1e-3)


def test_review_audit_and_agreement(cohort, library, catalogue):
    store, exam = cohort
    (sitting,) = store.sittings(exam=exam.id, trainee="A004")
    (attempt,) = store.attempts(sitting=sitting.id)
    answer = store.answers(attempt.id)[0]
    first = library["retiree"].steps[0]
    good = first.good[0]
    before, score, total = review_step(
        store, attempt.id, 0, reviewer="王老师", reason="其实请对方坐下了", library=library,
        criteria=catalogue.criteria, present=[good])
    assert before.score == answer.score and score > answer.score
    assert store.attempt(attempt.id).review_score == total > attempt.score
    assert store.sitting(sitting.id).review_score is not None
    (override,) = store.overrides(attempt=attempt.id)
    assert (override.reviewer, override.reason, override.old_score, override.new_score) == \
        ("王老师", "其实请对方坐下了", answer.score, score)
    reviewed = store.answers(attempt.id)[0]
    assert reviewed.score == answer.score  # the automatic score stays
    assert {v.criterion for v in reviewed.review_verdicts if v.present} == \
        {v.criterion for v in answer.verdicts if v.present} | {good}
    # A confirmation (no change) counts as agreement.
    review_step(store, attempt.id, 1, reviewer="王老师", reason="确认", library=library,
                criteria=catalogue.criteria)
    report = gather(store, exam.id, library, catalogue, pass_mark=exam.pass_mark)
    assert report.reviewed_steps == 2 and report.score_agreement == 0.5
    verdicts = len({v.criterion for v in answer.verdicts} | {good}) + len(store.answers(attempt.id)[1].verdicts)
    assert report.verdict_agreement == pytest.approx((verdicts - 1) / verdicts)
    with pytest.raises(StoreError, match="理由"):
        review_step(store, attempt.id, 0, reviewer="王老师", reason=" ", library=library,
                    criteria=catalogue.criteria, score=50)
    with pytest.raises(StoreError, match="未知的评分标准"):
        review_step(store, attempt.id, 0, reviewer="王老师", reason="x", library=library,
                    criteria=catalogue.criteria, present=["no.such"])


def test_rescore_keeps_old_scores(cohort, library):
    store, exam = cohort
    (sitting,) = store.sittings(exam=exam.id, trainee="A001")
    (attempt,) = store.attempts(sitting=sitting.id)
    right = store.answers(attempt.id)[0].score
    with store.transaction() as conn:  # as if scored by an older rubric
        conn.execute("UPDATE answers SET score = 1.5 WHERE attempt = ? AND idx = 0", (attempt.id,))
        conn.execute("UPDATE attempts SET score = 2.5 WHERE id = ?", (attempt.id,))
    summary = rescore_exam(store, exam.id, exam.pass_mark, library, default_detector())
    assert summary.changed_answers == 1 and summary.changed_attempts == 1
    assert store.answers(attempt.id)[0].score == right
    assert store.attempt(attempt.id).score == sitting.score  # one scenario: same score
    history_rows = store.score_history(attempt=attempt.id)
    assert [(h["idx"], h["score"]) for h in history_rows] == [(0, 1.5), (None, 2.5)]
    again = rescore_exam(store, exam.id, exam.pass_mark, library, default_detector())
    assert (again.changed_answers, again.changed_attempts, again.changed_sittings) == (0, 0, 0)


def test_cli_report_review_rescore(tmp_path, cohort):
    store, exam = cohort
    data = store.paths.data

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "simulator", "--data", str(data), *args],
                              capture_output=True, text=True, timeout=120,
                              cwd=tmp_path)  # exams/r-exam.yaml is found by path below

    exam_path = str(tmp_path / "exams" / "r-exam.yaml")
    (attempt,) = store.attempts(trainee="A002")
    listed = cli("review", str(attempt.id))
    assert listed.returncode == 0 and "第 1 步" in listed.stdout
    done = cli("review", str(attempt.id), "--index", "1", "--reviewer", "李老师",
               "--reason", "判分过严", "--score", "55")
    assert done.returncode == 0, done.stderr
    assert store.answers(attempt.id)[0].review_score == 55.0
    bad = cli("review", str(attempt.id), "--index", "1", "--reviewer", "李老师", "--reason", "x",
              "--score", "300")
    assert bad.returncode == 1 and "0 到 100" in bad.stderr
    out = tmp_path / "cli-out"
    done = cli("report", "r-exam", "--out", str(out), "--format", "csv")
    assert done.returncode == 0, done.stderr  # no definition found: a note, pass mark 60
    assert (out / "r-exam.csv").exists() and not (out / "index.html").exists()
    assert cli("report", "r-exam", "--out", str(out), "--format", "pdf").returncode == 2
    assert cli("report", "nobody-took-this", "--out", str(out)).returncode == 1
    assert cli("rescore", exam_path).returncode == 0


# ---------------------------------------------------------------- practice history


def test_history_finds_weak_sections_and_recommends(tmp_path, library, catalogue):
    with Store.open(tmp_path) as store:
        store.set_current_trainee("A001", "张三")
        for sid in ("retiree", "angry-repeat-visitor"):
            recorded = start(store, "A001", library[sid])
            for line in answers_for(library[sid], good=False):
                recorded.answer(line)
        record = history(store, "A001", library, catalogue)
        assert len(record.attempts) == 2 and record.weakest
        weakest = record.weakest[0]
        assert weakest.score == min(w.score for w in record.weakest)
        assert all(w.score < 90 for w in record.weakest)
        ids = [r.scenario for r in record.recommendations if r.section == weakest.section]
        assert ids and all(
            any((s.local.get(c) or catalogue.criteria.get(c)) is not None and
                (s.local.get(c) or catalogue.criteria[c]).section == weakest.section
                for s in library[sid].steps for c in (*s.good, *s.bad))
            for sid in ids)
        doc = history_json(record)
        assert doc["trainee"] == {"id": "A001", "name": "张三"}
        assert [a["scenario"] for a in doc["attempts"]] == ["retiree", "angry-repeat-visitor"]
        assert set(doc["trend"]) == {str(s) for s in record.trend}
        json.dumps(doc)  # serialisable
    done = subprocess.run([sys.executable, "-m", "simulator", "--data", str(tmp_path), "history",
                           "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and json.loads(done.stdout)["trainee"]["id"] == "A001"


def test_unreached_scenarios_count_zero():
    from simulator.exam import sitting_scores
    from simulator.store import AttemptRecord

    base = AttemptRecord(1, "A", "s", "exam", 1, 0, 0.0, 1.0, "finished", "end", 90.0, "优秀",
                         {3: 80.0}, {}, None)
    second = dataclasses.replace(base, id=2, seq=1, score=60.0, sections={3: 40.0, 5: 100.0},
                                 review_score=70.0)
    assert sitting_scores(("s", "t", "u"), [base, second]) == (50.0, {3: 60.0, 5: 100.0})
    assert sitting_scores(("s", "t", "u"), [base, second], review=True)[0] == pytest.approx(53.3)
