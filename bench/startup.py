"""Start-up: process start to the home screen's first paint, against a minimal Textual app.

Both programs run in a fresh process on a pseudo-terminal (100x30), measured the same way
in the same run: the parent notes the time just before starting the process, the child
writes the time of its first paint (Textual's ``Ready`` event, posted after the first
screen refresh) to a file. The reference is an App showing one Label; the simulator is
started as ``python -m simulator`` (the real entry point) and also reports when the
scenario list was filled in, which happens in a worker after the first paint.

Fairness: one warm-up run of each is discarded, then the runs alternate (reference,
simulator, reference, ...) so both see the same machine load; both load their modules
from compiled bytecode, kept in a private cache (``PYTHONPYCACHEPREFIX``) filled by the
warm-up, as an installed program does even where the shell sets
``PYTHONDONTWRITEBYTECODE`` (``--compile-each-run`` measures that case instead).
Printed: median and interquartile range of each, the ratio of the medians, and the
spread of the per-pair ratios.

    .venv/bin/python bench/startup.py [--runs 21] [--compile-each-run]

Target: the simulator's first paint at most 1.3x the minimal app's.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from common import bytecode_env

TARGET = 1.3

MINIMAL_APP = """
import sys, time
from textual.app import App
from textual.widgets import Label

class Minimal(App):
    def compose(self):
        yield Label("你好")

    def on_ready(self):
        with open(sys.argv[1], "a") as fh:
            fh.write(f"paint {time.time():.6f}\\n")
        self.exit()

Minimal().run()
"""


def run_on_pty(argv: list[str], env: dict[str, str], marks: Path, size=(100, 30),
               timeout: float = 30) -> dict[str, float]:
    """Start ``argv`` on a fresh pty; seconds from start to each mark the child wrote."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    drained = threading.Event()

    def drain() -> None:
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            pass
        drained.set()

    threading.Thread(target=drain, daemon=True).start()
    marks.write_text("")
    start = time.time()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    finally:
        drained.wait(2)
        os.close(master)
    found = {}
    for line in marks.read_text().splitlines():
        what, stamp = line.split()
        found[what] = float(stamp) - start
    if "paint" not in found:
        raise SystemExit(f"no first paint recorded by {argv!r} (exit {proc.returncode})")
    return found


def spread(values: list[float]) -> tuple[float, float, float]:
    """Median, first and third quartile."""
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return median, q1, q3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21,
                        help="measured runs of each program, after one warm-up each (default 21)")
    parser.add_argument("--compile-each-run", action="store_true",
                        help="no bytecode cache: every start compiles the sources that have no "
                             "installed .pyc (the simulator's, in a checkout)")
    args = parser.parse_args()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    env.pop("TEXTUAL", None)
    minimal_times, paint_times, library_times, ratios = [], [], [], []
    unfinished = 0
    with tempfile.TemporaryDirectory() as tmp:
        bytecode_env(env, Path(tmp), args.compile_each_run)
        marks = Path(tmp) / "marks"
        script = Path(tmp) / "minimal.py"
        script.write_text(MINIMAL_APP, encoding="utf-8")
        minimal = [sys.executable, str(script), str(marks)]
        simulator = [sys.executable, "-m", "simulator"]
        sim_env = {**env, "SIMULATOR_BENCH_PAINT": str(marks),
                   "SIMULATOR_DATA": str(Path(tmp) / "data")}
        run_on_pty(minimal, env, marks)  # warm-ups: OS file cache, bytecode cache, data folder
        run_on_pty(simulator, sim_env, marks)
        for _ in range(args.runs):
            reference = run_on_pty(minimal, env, marks)["paint"]
            sim = run_on_pty(simulator, sim_env, marks)
            minimal_times.append(reference)
            paint_times.append(sim["paint"])
            ratios.append(sim["paint"] / reference)
            if "library" in sim:
                library_times.append(sim["library"])
            else:  # the scenario list never appeared (a load error): the app was killed
                unfinished += 1
    bytecode = ("none (sources without an installed .pyc compiled on every start)"
                if args.compile_each_run else "cached for both (filled by the warm-up)")
    print(f"runs: {args.runs} of each after one warm-up each, alternating; "
          f"interpreter {sys.executable}; bytecode {bytecode}")
    print(f"{'':38s}{'median':>9s}   interquartile range")
    rows = [("minimal Textual app, first paint", minimal_times),
            ("simulator home screen, first paint", paint_times),
            ("simulator scenario list filled in", library_times)]
    for label, values in rows:
        if not values:
            print(f"{label + ':':38s}{'n/a':>9s}")
            continue
        median, q1, q3 = spread(values)
        print(f"{label + ':':38s}{median * 1000:6.1f} ms   {q1 * 1000:6.1f} – {q3 * 1000:6.1f} ms")
    if unfinished:
        print(f"scenario list never filled in on {unfinished} run(s): killed after 30 s")
    ratio = statistics.median(paint_times) / statistics.median(minimal_times)
    pair, pair_q1, pair_q3 = spread(ratios)
    print(f"ratio of medians, first paint simulator/minimal: {ratio:.2f}x "
          f"(target <= {TARGET:.2f}x: {'met' if ratio <= TARGET else 'NOT met'})")
    print(f"per-pair ratios: median {pair:.2f}x, interquartile range "
          f"{pair_q1:.2f}x – {pair_q3:.2f}x")
    if library_times:
        library = statistics.median(library_times) / statistics.median(minimal_times)
        print(f"ratio of medians, list filled in/minimal paint: {library:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
