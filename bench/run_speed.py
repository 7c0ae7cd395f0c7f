"""`simulator run` speed: a whole headless play of a built-in scenario, beyond process start.

Usage: python bench/run_speed.py [--scenario angry-repeat-visitor] [--runs 10]
                                  [--compile-each-run] [--no-cache]

Plays the scenario with its own model answers (option 1 at a choice step) as
`simulator run ID --answers FILE --json`, the reference in the same run being a bare
`python -c pass`, the two alternating; prints the medians, the difference and the ratio,
then where the time goes inside one fresh process (imports, catalogue, loading, playing).

As an installed program runs: modules load from compiled bytecode, kept in a private
cache (``PYTHONPYCACHEPREFIX``) even where the shell sets ``PYTHONDONTWRITEBYTECODE``,
and the simulator's own cache (``SIMULATOR_CACHE``, a private folder too) is filled by
the first run, which is not timed. ``--compile-each-run`` compiles the simulator's
sources in every process instead (a checkout with ``PYTHONDONTWRITEBYTECODE``);
``--no-cache`` turns the simulator's cache off.
Target (issue 3): under 50 ms beyond process start.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import bytecode_env  # noqa: E402

from simulator.data import builtin_dir  # noqa: E402
from simulator.engine import Session  # noqa: E402
from simulator.loader import load_scenario  # noqa: E402

TARGET_MS = 50.0

# One fresh process, stamped: what a `simulator run` spends its time on (as `cmd_run` loads).
BREAKDOWN = """
import sys, time, json
from pathlib import Path
t0 = time.perf_counter()
from simulator.engine import Session, load_playable
t1 = time.perf_counter()
from simulator.scoring import default_detector
default_detector()
t2 = time.perf_counter()
scenario, _ = load_playable(Path(sys.argv[1]))
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


def wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT, env=env)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="angry-repeat-visitor")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--compile-each-run", action="store_true",
                        help="no bytecode cache: every process compiles the simulator's sources")
    parser.add_argument("--no-cache", action="store_true", help="SIMULATOR_CACHE=off")
    args = parser.parse_args()
    path = builtin_dir("scenarios") / f"{args.scenario}.yaml"
    answers = model_answers(path)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SIMULATOR_CACHE": "off" if args.no_cache else str(Path(tmp) / "cache")}
        bytecode_env(env, Path(tmp), args.compile_each_run)
        return measure(args, path, answers, Path(tmp), env)


def measure(args: argparse.Namespace, path: Path, answers: list[str], tmp: Path,
            env: dict[str, str]) -> int:
    answers_file = tmp / "answers.txt"
    answers_file.write_text("\n".join(answers) + "\n", encoding="utf-8")
    run = [sys.executable, "-m", "simulator", "run", args.scenario, "--answers", str(answers_file),
           "--json"]
    bare = [sys.executable, "-c", "pass"]
    # The warm-up (not timed): bytecode, the simulator's cache, the OS file cache.
    result = subprocess.run(run, capture_output=True, text=True, encoding="utf-8", cwd=ROOT, env=env)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return 1
    played = json.loads(result.stdout)
    wall(bare, env)
    runs, bares = [], []
    for _ in range(args.runs):
        runs.append(wall(run, env))
        bares.append(wall(bare, env))
    median_run, median_bare = statistics.median(runs), statistics.median(bares)
    beyond = (median_run - median_bare) * 1000
    print(f"scenario {args.scenario}: {len(played['steps'])} steps played, ending {played['ending']}, "
          f"score {played['score']}")
    print(f"simulator run --json: median {median_run * 1000:.0f} ms over {args.runs} runs")
    print(f"reference, bare python start-up: median {median_bare * 1000:.0f} ms")
    print(f"beyond start-up: {beyond:.0f} ms (ratio {median_run / median_bare:.1f}x)")
    stamps = [json.loads(subprocess.run(
        [sys.executable, "-c", BREAKDOWN, str(path), json.dumps(answers, ensure_ascii=False)],
        check=True, capture_output=True, text=True, encoding="utf-8", cwd=ROOT, env=env).stdout)
        for _ in range(max(3, args.runs // 2))]
    parts = [statistics.median(s[i] for s in stamps) * 1000 for i in range(4)]
    print("inside one process (median ms): import engine {:.0f}, load catalogue {:.0f}, "
          "load scenario {:.0f}, play {:.0f}".format(*parts))
    print(f"target < {TARGET_MS:.0f} ms beyond start-up: {'met' if beyond < TARGET_MS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
