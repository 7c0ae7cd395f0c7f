"""Exam report speed: 500 trainees x 3 scenarios to HTML and CSV (target: under 5 s).

Usage: python bench/report_speed.py [--trainees 500] [--runs 3]

Set-up (not timed): a data folder with one finished sitting per trainee of an exam of
three built-in scenarios. Each scenario is played through the engine with several mixes
of model and poor answers, and every trainee gets one mix per scenario, so verdicts,
evidence, meters and endings are real. Timed: ``gather`` (read the record, statistics)
plus ``write_report`` (cohort page, one page per trainee, CSV), as ``simulator report``
does. The reference, in the same run, reads the same rows and decodes their JSON: the
floor any report pays before it formats anything. Figures are medians over runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.engine import Session  # noqa: E402
from simulator.model import level_for  # noqa: E402
from simulator.progress import scenario_library  # noqa: E402
from simulator.reports import gather, write_report  # noqa: E402
from simulator.scoring import default_detector  # noqa: E402
from simulator.store import Store  # noqa: E402

SCENARIOS = ("angry-repeat-visitor", "misdirected-complainant", "retiree")
POOR = ("长话短说，我后面还有人。", "这不归我们管。", "您先坐，慢慢说，我记一下。", "<script>alert(1)</script>")
MIXES = 8


def played(scenario, rng: random.Random) -> Session:
    session = Session(scenario)
    skill = rng.random()
    while not session.finished:
        step = session.current
        if step.answer == "choice":
            text = str(rng.randint(1, len(step.options)))
        elif rng.random() < skill:
            text = " ".join(session.render(step.model_answer or "好的").split())
        else:
            text = rng.choice(POOR)
        session.answer(text)
    return session


def build(folder: str, trainees: int) -> None:
    library = scenario_library()
    rng = random.Random(7)
    mixes = {sid: [played(library[sid], rng) for _ in range(MIXES)] for sid in SCENARIOS}
    store = Store.open(folder)
    now = time.time() - 3600
    for n in range(trainees):
        tid = f"E{n:04d}"
        store.register_trainee(tid, f"学员{n}")
        sitting = store.begin_sitting("bench", tid, 1, SCENARIOS, n, now, now + 2400)
        scores, sections = [], {}
        for seq, sid in enumerate(SCENARIOS):
            session = rng.choice(mixes[sid])
            attempt = session.attempt()
            aid = store.begin_attempt(tid, sid, "exam", sitting.id, seq, now=now)
            for index, result in enumerate(attempt.steps):
                store.save_answer(aid, index, result, finished=attempt if index == len(attempt.steps) - 1 else None)
            scores.append(attempt.score)
            for sec, value in attempt.sections.items():
                sections.setdefault(sec, []).append(value)
        score = round(sum(scores) / len(scores), 1)
        store.finish_sitting(sitting.id, status="finished", score=score, level=level_for(score),
                             passed=score >= 60, sections={k: sum(v) / len(v) for k, v in sections.items()},
                             now=now + 1800)
    store.close()


def reference(store: Store) -> None:
    sittings, attempts, answers = store.exam_record("bench")
    assert sittings and attempts and answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    library = scenario_library()
    catalogue = default_detector().catalogue
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        build(folder, args.trainees)
        print(f"准备数据：{args.trainees} 人 × {len(SCENARIOS)} 个场景，用时 {time.perf_counter() - start:.1f} s（不计入）")
        totals, refs, gathers = [], [], []
        for run in range(args.runs):
            with Store.open(folder) as store:
                start = time.perf_counter()
                reference(store)
                refs.append(time.perf_counter() - start)
                start = time.perf_counter()
                report = gather(store, "bench", library, catalogue, title="测速考试", pass_mark=60)
                middle = time.perf_counter()
                written = write_report(report, Path(folder) / f"out{run}")
                totals.append(time.perf_counter() - start)
                gathers.append(middle - start)
        total, ref = statistics.median(totals), statistics.median(refs)
        print(f"报告（读取 + 统计 + {len(written) - 1} 个 HTML 页面 + CSV）：{total:.2f} s（中位数，{args.runs} 轮；目标 < 5 s）")
        print(f"  其中读取与统计：{statistics.median(gathers):.2f} s")
        print(f"参照：只读取同样的记录并解码 JSON：{ref:.2f} s")
        print(f"比值 报告 / 参照：{total / ref:.1f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
