"""`simulator run` speed: a whole headless play of a built-in scenario, beyond process start.

Usage: python bench/run_speed.py [--scenario angry-repeat-visitor] [--runs 10]

Plays the scenario with its own model answers (option 1 at a choice step) as
`simulator run ID --answers FILE --json`, the reference in the same run being a bare
`python -c pass`; prints the medians, the difference and the ratio, then where the time
goes inside one fresh process (imports, catalogue, loading, playing).
Target (issue 3): under 50 ms beyond process start.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.data import builtin_dir  # noqa: E402
from simulator.engine import Session  # noqa: E402
from simulator.loader import load_scenario  # noqa: E402

TARGET_MS = 50.0

# One fresh process, stamped: what a `simulator run` spends its time on.
BREAKDOWN = """
import sys, time, json
t0 = time.perf_counter()
from simulator.engine import Session
from simulator.loader import load_scenario
t1 = time.perf_counter()
from simulator.scoring import default_detector
default_detector()
t2 = time.perf_counter()
scenario, _ = load_scenario(sys.argv[1])
t3 = time.perf_counter()
Session.replay(scenario, json.loads(sys.argv[2])).attempt()
t4 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, t3 - t2, t4 - t3]))
"""


def model_answers(path: Path) -> list[str]:
    """The scenario's model answers along the path they take (option 1 at a choice step)."""
    scenario, problems = load_scenario(path)
    if scenario is None:
        raise SystemExit("\n".join(map(str, problems)))
    session, answers = Session(scenario), []
    while not session.finished:
        step = session.current
        text = "1" if step.answer == "choice" else session.render(step.model_answer)
        answers.append(" ".join(text.split()) or "好的。")
        session.answer(answers[-1])
    return answers


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="angry-repeat-visitor")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    path = builtin_dir("scenarios") / f"{args.scenario}.yaml"
    answers = model_answers(path)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as fh:
        fh.write("\n".join(answers) + "\n")
    run = [sys.executable, "-m", "simulator", "run", args.scenario, "--answers", fh.name, "--json"]
    bare = [sys.executable, "-c", "pass"]
    result = subprocess.run(run, capture_output=True, text=True, encoding="utf-8", cwd=ROOT)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return 1
    played = json.loads(result.stdout)
    runs, bares = [], []
    for _ in range(args.runs):
        runs.append(wall(run))
        bares.append(wall(bare))
    Path(fh.name).unlink()
    median_run, median_bare = statistics.median(runs), statistics.median(bares)
    beyond = (median_run - median_bare) * 1000
    print(f"scenario {args.scenario}: {len(played['steps'])} steps played, ending {played['ending']}, "
          f"score {played['score']}")
    print(f"simulator run --json: median {median_run * 1000:.0f} ms over {args.runs} runs")
    print(f"reference, bare python start-up: median {median_bare * 1000:.0f} ms")
    print(f"beyond start-up: {beyond:.0f} ms (ratio {median_run / median_bare:.1f}x)")
    stamps = [json.loads(subprocess.run(
        [sys.executable, "-c", BREAKDOWN, str(path), json.dumps(answers, ensure_ascii=False)],
        check=True, capture_output=True, text=True, encoding="utf-8", cwd=ROOT).stdout)
        for _ in range(max(3, args.runs // 2))]
    parts = [statistics.median(s[i] for s in stamps) * 1000 for i in range(4)]
    print("inside one process (median ms): import engine+loader {:.0f}, load catalogue {:.0f}, "
          "load scenario {:.0f}, play {:.0f}".format(*parts))
    print(f"target < {TARGET_MS:.0f} ms beyond start-up: {'met' if beyond < TARGET_MS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
