"""The exam: definitions, check-in, the running clock, time-out, resuming, kill -9, the CLI."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.engine import Session
from simulator.exam import check_in, exam_seed, load_exam, plan_for, validate_exam
from simulator.progress import resumable, resume, scenario_library, start
from simulator.store import Store, StoreError

FIXED = ("angry-repeat-visitor", "misdirected-complainant", "retiree")
EXAM = """\
id: {id}
title: 测试考试
scenarios: [angry-repeat-visitor, misdirected-complainant, retiree]
{draw}time_limit: 40
pass_mark: 60
attempts: 1
feedback: hidden-until-end
"""


@pytest.fixture(scope="module")
def library():
    return scenario_library()


def write_exam(folder: Path, exam_id: str = "t-exam", draw: str = "") -> Path:
    path = folder / "exams" / f"{exam_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EXAM.format(id=exam_id, draw=draw), encoding="utf-8")
    return path


def good_answers(library, plan) -> list[str]:
    """One line per step across the plan: each step's model answer (option 1 for a choice)."""
    lines = []
    for sid in plan:
        session = Session(library[sid])
        while not session.finished:
            step = session.current
            text = "1" if step.answer == "choice" else " ".join(
                session.render(step.model_answer or "好的，我记下了。").split())
            lines.append(text)
            session.answer(text)
    return lines


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# ---------------------------------------------------------------- definitions


def test_sample_exam_is_valid(library):
    from simulator.data import builtin_dir

    exam, problems = load_exam(builtin_dir("exams") / "2026-q4.yaml", library)
    assert problems == [] and exam is not None
    assert exam.scenarios == FIXED and exam.attempts == 1 and exam.time_limit > 0
    assert exam.draw and exam.draw[0].count >= 1


def test_broken_exam_file_points_at_lines(tmp_path, library):
    path = tmp_path / "exams" / "broken.yaml"
    path.parent.mkdir()
    path.write_text("id: broken\ntitle: 坏的\nscenarios: [angry-repeat-visiter]\n"
                    "time_limit: 0\npass_mark: 60\nfeedbak: x\n", encoding="utf-8")
    exam, problems = load_exam(path, library)
    assert exam is None
    lines = [str(p) for p in problems]
    assert any(line.startswith(f"{path}:3:13: error: 未知的场景 id “angry-repeat-visiter”，是不是 angry-repeat-visitor")
               for line in lines), lines
    assert any(f"{path}:4:" in line and "time_limit" in line for line in lines)
    assert any(f"{path}:6:1:" in line and "feedbak" in line for line in lines)
    assert validate_exam(path, library) == problems
    path.write_text("id: broken\n  title: [\n", encoding="utf-8")
    exam, problems = load_exam(path, library)
    assert exam is None and problems[0].line == 2 and "YAML 语法错误" in problems[0].message


def test_draw_is_seeded_per_trainee(tmp_path, library):
    exam, problems = load_exam(write_exam(tmp_path, draw="draw:\n  - pool: {category: 申诉求决}\n    count: 1\n"),
                               library)
    assert exam is not None, problems
    pool = {sid for sid, s in library.items() if s.category == "申诉求决"} - set(FIXED)
    plans = {t: plan_for(exam, exam_seed(exam.id, t), library) for t in (f"T{i}" for i in range(30))}
    for trainee, plan in plans.items():
        assert plan[:3] == FIXED and plan[3] in pool
        assert plan_for(exam, exam_seed(exam.id, trainee), library) == plan  # stable
    if len(pool) > 1:
        assert len({p[3] for p in plans.values()}) > 1  # trainees get different draws


# ---------------------------------------------------------------- sittings


def test_full_sitting_then_taken_twice(tmp_path, library):
    exam, _ = load_exam(write_exam(tmp_path), library)
    with Store.open(tmp_path / "data") as store:
        run = check_in(store, exam, "A001", "张三", library)
        assert run.plan == FIXED and run.restored == 0
        for line in good_answers(library, run.plan):
            assert run.answer(line) is not None
        assert run.finished and run.sitting.status == "finished"
        assert run.sitting.passed and run.sitting.score >= 60
        assert [a.status for a in run.attempts()] == ["finished"] * 3
        with pytest.raises(StoreError, match="已于 .* 参加过考试.*只能参加 1 次"):
            check_in(store, exam, "A001", "张三", library)
        with pytest.raises(StoreError, match="不一致"):
            check_in(store, exam, "A001", "李四", library)


def test_time_out_scores_what_was_answered(tmp_path, library):
    exam, _ = load_exam(write_exam(tmp_path), library)
    clock = Clock()
    with Store.open(tmp_path / "data") as store:
        run = check_in(store, exam, "A001", "张三", library, clock=clock)
        lines = good_answers(library, run.plan)
        assert run.answer(lines[0]) is not None and run.answer(lines[1]) is not None
        clock.now += 40 * 60  # the deadline
        assert run.answer(lines[2]) is None
        assert run.finished and run.sitting.status == "timeout"
        (first,) = run.attempts()
        assert first.status == "closed" and len(store.answers(first.id)) == 2
        # Unreached scenarios count 0: the sitting is the first attempt's score over three.
        assert run.sitting.score == pytest.approx(round(first.score / 3, 1))
        assert [t[1] is None for t in run.transcript()] == [False, True, True]


def test_resume_keeps_the_running_clock(tmp_path, library):
    exam, _ = load_exam(write_exam(tmp_path), library)
    clock = Clock()
    started = clock.now
    with Store.open(tmp_path / "data") as store:
        run = check_in(store, exam, "A001", "张三", library, clock=clock)
        lines = good_answers(library, run.plan)
        for line in lines[:3]:
            run.answer(line)
        step_before = run.session.current.id
        del run  # the terminal closed: nothing else is written
        clock.now += 10 * 60
        again = check_in(store, exam, "A001", "张三", library, clock=clock)
        assert again.sitting.started_at == started and again.sitting.deadline == started + 40 * 60
        assert again.remaining() == pytest.approx(30 * 60)
        assert again.restored == 3 and again.session.current.id == step_before
        for line in lines[3:]:
            again.answer(line)
        assert again.finished and again.sitting.status == "finished"
        # A sitting resumed after its deadline closes at once, scored on what was saved.
        run = check_in(store, exam, "B002", "李四", library, clock=clock)
        run.answer(lines[0])
        clock.now += 41 * 60
        late = check_in(store, exam, "B002", "李四", library, clock=clock)
        assert late.finished and late.sitting.status == "timeout"
        assert [len(store.answers(a.id)) for a in late.attempts()] == [1]


def test_exam_with_unknown_scenario_cannot_start(tmp_path, library):
    exam, _ = load_exam(write_exam(tmp_path), library)
    smaller = {k: v for k, v in library.items() if k != "retiree"}
    with Store.open(tmp_path / "data") as store, pytest.raises(StoreError, match="retiree"):
        check_in(store, exam, "A001", "张三", smaller)
    path = write_exam(tmp_path, "t-missing")
    path.write_text(path.read_text(encoding="utf-8").replace("retiree", "no-such-visit"), encoding="utf-8")
    exam, problems = load_exam(path, library)
    assert exam is None and "未知的场景 id “no-such-visit”" in problems[0].message
    assert (problems[0].line, problems[0].col) == (3, 60)


# ---------------------------------------------------------------- practice


def test_practice_answer_is_committed_before_return_and_resumes(tmp_path, library):
    scenario = library["retiree"]
    lines = good_answers(library, ["retiree"])
    with Store.open(tmp_path) as store:
        store.set_current_trainee("A001", "张三")
        recorded = start(store, "A001", scenario)
        recorded.answer(lines[0])
        other = sqlite3.connect(tmp_path / "simulator.db")  # another process's view
        assert other.execute("SELECT answer FROM answers").fetchall() == [(lines[0],)]
        other.close()
        recorded.answer(lines[1])
        current = recorded.current.id
        (open_attempt,) = resumable(store, "A001")
        again = resume(store, open_attempt.id, scenario)
        assert again.current.id == current and len(again.results) == 2
        for line in lines[2:]:
            again.answer(line)
        assert store.attempt(open_attempt.id).status == "finished"
        assert resumable(store, "A001") == []


def test_a_deferred_attempt_is_on_record_only_from_its_first_answer(tmp_path, library):
    scenario = library["retiree"]
    lines = good_answers(library, ["retiree"])
    with Store.open(tmp_path) as store:
        store.set_current_trainee("A001", "张三")
        start(store, "A001", scenario, deferred=True).close()  # opened, left: nothing kept
        assert store.attempts() == []
        recorded = start(store, "A001", scenario, deferred=True)
        assert store.attempts() == [] and recorded.attempt_id is None
        recorded.answer(lines[0])
        (attempt,) = store.attempts()
        assert recorded.attempt_id == attempt.id
        assert [a.answer for a in store.answers(attempt.id)] == [lines[0]]


# ---------------------------------------------------------------- headless CLI


def cli(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator", "--data", str(data), *args],
                          input=stdin, capture_output=True, text=True, timeout=120)


def test_cli_exam_take_json_and_twice(tmp_path, library):
    exam_file = write_exam(tmp_path)
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join(good_answers(library, FIXED)) + "\n", encoding="utf-8")
    args = ("exam", "take", str(exam_file), "--trainee", "A001", "--name", "张三",
            "--answers", str(answers))
    done = cli(tmp_path / "data", *args, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "finished" and report["passed"] is True
    assert [s["scenario"] for s in report["scenarios"]] == list(FIXED)
    assert all(s["steps"] for s in report["scenarios"])
    again = cli(tmp_path / "data", *args)
    assert again.returncode == 1 and "只能参加 1 次" in again.stderr and "Traceback" not in again.stderr


def test_cli_broken_exam_and_bad_data_folder(tmp_path):
    path = tmp_path / "exams" / "oops.yaml"
    path.parent.mkdir()
    path.write_text("id: oops\ntitle: x\nscenarios: [nope]\ntime_limit: 10\npass_mark: 60\n",
                    encoding="utf-8")
    answers = tmp_path / "a.txt"
    answers.write_text("你好\n", encoding="utf-8")
    done = cli(tmp_path / "data", "exam", "take", str(path), "--trainee", "A1", "--name", "张三",
               "--answers", str(answers))
    assert done.returncode == 1 and f"{path}:3:" in done.stderr and "nope" in done.stderr
    assert not (tmp_path / "data" / "simulator.db").exists()  # nothing written
    newer = tmp_path / "newer"
    with Store.open(newer):
        pass
    conn = sqlite3.connect(newer / "simulator.db")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    done = cli(newer, "history", "--trainee", "A1", "--json")
    assert done.returncode == 1 and "更新版本" in done.stderr and "Traceback" not in done.stderr


def test_cli_read_only_data_folder(tmp_path):
    from test_store import read_only

    folder = tmp_path / "data"
    folder.mkdir()
    undo = read_only(folder)
    try:
        done = cli(folder, "history", "--trainee", "A1")
    finally:
        undo()
    assert done.returncode == 1 and "不可写" in done.stderr and "Traceback" not in done.stderr


def _committed(db: Path) -> list[str]:
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=10)
    try:
        return [r[0] for r in conn.execute("SELECT answer FROM answers ORDER BY attempt, idx")]
    except sqlite3.OperationalError:  # the schema is being created right now
        return []
    finally:
        conn.close()


def test_kill_9_mid_exam_loses_nothing_and_resumes(tmp_path, library):
    exam_file = write_exam(tmp_path, draw="draw:\n  - pool: {category: 申诉求决}\n    count: 1\n")
    exam, _ = load_exam(exam_file, library)
    plan = plan_for(exam, exam_seed(exam.id, "K001"), library)
    lines = good_answers(library, plan)
    data, db = tmp_path / "data", tmp_path / "data" / "simulator.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--data", str(data), "exam", "take", str(exam_file),
         "--trainee", "K001", "--name", "张三", "--answers", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sent = 7  # into the second scenario for every built-in plan
    try:
        for n, line in enumerate(lines[:sent], 1):
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            deadline = time.monotonic() + 30
            while len(_committed(db)) < n:  # the trainee answers slowly: wait for each commit
                assert time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "stuck"
                time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()
    assert proc.returncode == -signal.SIGKILL
    assert _committed(db) == lines[:sent]
    with Store.open(data) as store:
        (sitting,) = store.sittings(exam=exam.id)
        assert sitting.status == "open"
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    resumed = cli(data, "exam", "take", str(exam_file), "--trainee", "K001", "--name", "张三",
                  "--answers", str(answers), "--json")
    assert resumed.returncode == 0, resumed.stderr
    after = json.loads(resumed.stdout)
    assert after["status"] == "finished"
    assert [s["answer"] for sc in after["scenarios"] for s in sc["steps"]] == lines
    # The same answers in one uninterrupted sitting give the same result.
    fresh = cli(tmp_path / "fresh", "exam", "take", str(exam_file), "--trainee", "K001",
                "--name", "张三", "--answers", str(answers), "--json")
    clean = json.loads(fresh.stdout)
    assert (after["score"], after["scenarios"]) == (clean["score"], clean["scenarios"])


def test_validate_checks_exam_files_as_exams(tmp_path):
    from simulator.data import builtin_dir
    from simulator.validate import validate_paths

    assert [p for p in validate_paths([builtin_dir("exams")]) if p.severity == "error"] == []
    folder = tmp_path / "exams"
    folder.mkdir()
    (folder / "broken.yaml").write_text("id: broken\ntitle: 坏考试\ntime_limit: soon\npass_mark: 60\n",
                                        encoding="utf-8")
    problems = validate_paths([folder])
    assert any(p.line == 3 and p.severity == "error" for p in problems), problems
