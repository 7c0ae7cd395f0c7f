"""Detector speed: answers per second in-process and as a whole `simulator detect` process.

Usage: python bench/detector_speed.py [--answers 20000] [--runs 5]

Answers come from the labelled development set, repeated to the requested count. The
in-process figure is `simulator detect`'s own loop (`detect_lines`) over lines already in
memory: no start-up, no pipes. The reference in the same run is `json.loads` +
`json.dumps` of the same lines (the floor any JSON Lines tool pays) and, for the process
figure, a bare `python -c pass` start-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.scoring import default_detector  # noqa: E402
from simulator.scoring.detector import detect_lines  # noqa: E402


def answers(count: int) -> list[str]:
    texts = []
    for name in ("dev_tune.jsonl", "dev_heldout.jsonl"):
        path = ROOT / "tests/data" / name
        texts += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines() if line]
    return [texts[i % len(texts)] for i in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    texts = answers(args.answers)
    lines = [json.dumps({"text": t}, ensure_ascii=False) for t in texts]
    detector = default_detector()
    detector.detect("预热")

    in_process, reference, latencies = [], [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        for _ in detect_lines(lines):  # what `simulator detect` does with each line
            pass
        in_process.append(args.answers / (time.perf_counter() - start))
        start = time.perf_counter()
        for line in lines:
            json.dumps(json.loads(line), ensure_ascii=False)
        reference.append(args.answers / (time.perf_counter() - start))
    for text in texts[:5000]:
        start = time.perf_counter()
        detector.detect(text)
        latencies.append(time.perf_counter() - start)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000

    payload = ("\n".join(lines) + "\n").encode("utf-8")
    whole, bare = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "simulator", "detect"], input=payload,
                             capture_output=True, check=True, cwd=ROOT).stdout
        whole.append(args.answers / (time.perf_counter() - start))
        assert out.count(b"\n") == args.answers
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - start)
    textual = subprocess.run(
        [sys.executable, "-c", "import sys, simulator.cli as c; c.main(['criteria']); "
         "print(any(m.startswith('textual') for m in sys.modules), file=sys.stderr)"],
        capture_output=True, text=True, cwd=ROOT).stderr.strip()

    med = statistics.median
    print(f"answers: {args.answers}, runs: {args.runs} (median)")
    print(f"in-process:    {med(in_process):>9,.0f} answers/s  (target >= 10,000)")
    print(f"  reference json round-trip: {med(reference):,.0f} /s; detector costs "
          f"{med(reference) / med(in_process):.1f}x the JSON floor")
    print(f"whole process: {med(whole):>9,.0f} answers/s  (target >= 3,000, start-up included)")
    print(f"  reference bare interpreter start-up: {med(bare) * 1000:.0f} ms")
    print(f"p99 latency:   {p99:.3f} ms per answer (target < 2 ms)")
    print(f"textual imported on the CLI path: {textual}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
