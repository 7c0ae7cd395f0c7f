"""Saving an answer: per-answer latency of ``Store.save_answer`` (target: p99 under 20 ms).

Usage: python bench/save_speed.py [--answers 500] [--runs 5] [--writers 19] [--pace 0.05]

Each run saves ``--answers`` real answers (verdicts and meters from the engine) one commit
at a time, as the exam screen does, into a fresh data folder: once alone, and once while
``--writers`` other processes each save an answer every ``--pace`` seconds into the same
folder (a training room of terminals; 0.05 s is hundreds of times busier than people
typing; ``--pace 0`` hammers at full speed). The reference, measured in the same run and
the same conditions (same database file, same writers), is a bare SQLite ``INSERT`` +
``COMMIT`` of the same bytes on its own connection with the same pragmas (WAL,
synchronous=FULL): the floor any durable save pays. Figures are medians over runs.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.engine import Session  # noqa: E402
from simulator.progress import scenario_library  # noqa: E402
from simulator.store import Store, verdicts_json  # noqa: E402

WRITER = """
import sys, time
sys.path.insert(0, sys.argv[3])
from simulator.model import StepResult, Verdict
from simulator.store import Store
st = Store.open(sys.argv[1])
who = sys.argv[2]
st.register_trainee(who, "干扰" + who)
aid = st.begin_attempt(who, "noise")
r = StepResult("s", "您先坐，慢慢说，我记下来。" * 5,
               tuple(Verdict(f"c{i}", "good", True, i % 2 == 0) for i in range(8)), 50.0, "需改进",
               {"mood": 40, "trust": 50}, "next")
pace = float(sys.argv[4])
i = 0
while True:
    st.save_answer(aid, i, r)
    i += 1
    time.sleep(pace)
"""


def sample_results(count: int) -> list:
    """Real step results: each built-in scenario played with its model answers, repeated."""
    results = []
    for scenario in scenario_library().values():
        session = Session(scenario)
        while not session.finished:
            step = session.current
            text = "1" if step.answer == "choice" else session.render(step.model_answer or "好的")
            results.append(session.answer(text))
    return [results[i % len(results)] for i in range(count)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def one_run(results: list, writers: int, pace: float) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(folder)
        store.register_trainee("B001", "测速")
        attempt = store.begin_attempt("B001", "bench")
        ref = sqlite3.connect(Path(folder) / "simulator.db", isolation_level=None, timeout=30)
        ref.execute("PRAGMA synchronous = FULL")
        ref.execute("CREATE TABLE bench_ref (id INTEGER PRIMARY KEY, verdicts TEXT, meters TEXT, "
                    "answer TEXT)")
        noise = [subprocess.Popen([sys.executable, "-c", WRITER, folder, f"W{i:02d}", str(ROOT),
                                   str(pace)]) for i in range(writers)]
        saves, bare = [], []
        try:
            if writers:
                time.sleep(1.0)  # let them all get going
            for index, result in enumerate(results):
                start = time.perf_counter()
                store.save_answer(attempt, index, result)
                saves.append(time.perf_counter() - start)
                row = (verdicts_json(result.verdicts), json.dumps(result.meters), result.answer)
                start = time.perf_counter()
                ref.execute("BEGIN IMMEDIATE")
                ref.execute("INSERT INTO bench_ref (verdicts, meters, answer) VALUES (?, ?, ?)", row)
                ref.execute("COMMIT")
                bare.append(time.perf_counter() - start)
        finally:
            for proc in noise:
                proc.kill()
                proc.wait()
            ref.close()
            store.close()
    return saves, bare


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writers", type=int, default=19)
    parser.add_argument("--pace", type=float, default=0.05)
    args = parser.parse_args()
    results = sample_results(args.answers)
    busy = f"另有 {args.writers} 个进程同时写入（各每 {args.pace:g} 秒一条）"
    for label, writers in (("单独保存", 0), (busy, args.writers)):
        figures = {"p50": [], "p99": [], "ref_p50": [], "ref_p99": []}
        for _ in range(args.runs):
            saves, bare = one_run(results, writers, args.pace)
            figures["p50"].append(percentile(saves, 0.5) * 1000)
            figures["p99"].append(percentile(saves, 0.99) * 1000)
            figures["ref_p50"].append(percentile(bare, 0.5) * 1000)
            figures["ref_p99"].append(percentile(bare, 0.99) * 1000)
        med = {k: statistics.median(v) for k, v in figures.items()}
        print(f"{label}：每次保存一条作答（{args.answers} 条 × {args.runs} 轮，取中位数）")
        print(f"  save_answer      p50 {med['p50']:.2f} ms   p99 {med['p99']:.2f} ms   (目标 p99 < 20 ms)")
        print(f"  参照：裸 INSERT+COMMIT  p50 {med['ref_p50']:.2f} ms   p99 {med['ref_p99']:.2f} ms")
        print(f"  比值 save_answer / 参照：p50 {med['p50'] / med['ref_p50']:.2f}×   "
              f"p99 {med['p99'] / med['ref_p99']:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
