"""Detector cost in machine instructions per answer (valgrind's callgrind), not seconds.

Usage: python bench/detector_instructions.py [--answers 1200]

Wall-clock figures on a shared machine drift by up to 1.5x within minutes; instruction
counts repeat to within 0.5%, so they show what a change to the detector did. Each figure
is the difference between two runs of `simulator detect`'s own loop (`detect_lines`), one
over ``--answers`` more answers than the other (start-up, loading and warming up cancel
out), divided by that number. The reference, measured the same way in the same run, is
`json.loads` + `json.dumps` of the same lines. Needs valgrind on the PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run under callgrind: warm up (past the automata's switch), then time COUNT answers.
CHILD = """
import json, sys
sys.path[:0] = [{root!r}, {bench!r}]
from detector_speed import answers
from simulator.scoring.detector import default_detector, detect_lines
kind, count = sys.argv[1], int(sys.argv[2])
lines = [json.dumps({{"text": t}}, ensure_ascii=False) for t in answers(1000 + count)]
for _ in detect_lines(lines[:1000]):
    pass
if kind == "detect":
    for _ in detect_lines(lines[1000:]):
        pass
else:
    for line in lines[1000:]:
        json.dumps(json.loads(line), ensure_ascii=False)
"""


def instructions(kind: str, count: int, script: Path, env: dict[str, str]) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, str(script), kind, str(count)],
        capture_output=True, text=True, env=env, check=True).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1200)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind 不在 PATH 上（apt install valgrind）", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "child.py"
        script.write_text(CHILD.format(root=str(ROOT), bench=str(ROOT / "bench")), encoding="utf-8")
        env = {**os.environ, "SIMULATOR_CACHE": str(Path(tmp) / "cache")}
        subprocess.run([sys.executable, str(script), "detect", "10"], env=env, check=True)  # fill the cache
        per = {}
        for kind in ("detect", "json"):
            few, many = (instructions(kind, n, script, env) for n in (100, 100 + args.answers))
            per[kind] = (many - few) / args.answers
    print(f"answers: {args.answers} (the difference of two callgrind runs)")
    print(f"detect:   {per['detect']:>9,.0f} instructions per answer")
    print(f"  reference json round-trip: {per['json']:,.0f} per line; detector costs "
          f"{per['detect'] / per['json']:.0f}x the JSON floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
