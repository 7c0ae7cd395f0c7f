"""Start-up: process start to the home screen's first paint, against a minimal Textual app.

Both programs run in a fresh process on a pseudo-terminal (100x30), measured the same way
in the same run: the parent notes the time just before starting the process, the child
writes the time of its first paint (Textual's ``Ready`` event, posted after the first
screen refresh) to a file and exits. The simulator is started as ``python -m simulator``
(the real entry point) and also reports when the scenario list was filled in, which
happens in a worker after the first paint. Runs alternate between the two programs.

    .venv/bin/python bench/startup.py [--runs 9]

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


def run_on_pty(argv: list[str], env: dict[str, str], marks: Path, size=(100, 30)) -> dict[str, float]:
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
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        drained.wait(2)
        os.close(master)
    found = {}
    for line in marks.read_text().splitlines():
        what, stamp = line.split()
        found[what] = float(stamp) - start
    if "paint" not in found:
        raise SystemExit(f"no first paint recorded by {argv!r} (exit {proc.returncode})")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each program (median)")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    env.pop("TEXTUAL", None)
    minimal_times, paint_times, library_times = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        marks = Path(tmp) / "marks"
        script = Path(tmp) / "minimal.py"
        script.write_text(MINIMAL_APP, encoding="utf-8")
        sim_env = {**env, "SIMULATOR_BENCH_PAINT": str(marks),
                   "SIMULATOR_DATA": str(Path(tmp) / "data")}
        # one warm-up each so both start with the same OS file cache
        run_on_pty([sys.executable, str(script), str(marks)], env, marks)
        run_on_pty([sys.executable, "-m", "simulator"], sim_env, marks)
        for _ in range(args.runs):
            minimal_times.append(run_on_pty([sys.executable, str(script), str(marks)], env, marks)["paint"])
            sim = run_on_pty([sys.executable, "-m", "simulator"], sim_env, marks)
            paint_times.append(sim["paint"])
            library_times.append(sim.get("library", float("nan")))
    minimal = statistics.median(minimal_times)
    paint = statistics.median(paint_times)
    library = statistics.median(library_times)
    print(f"runs: {args.runs} each, interpreter {sys.executable}, cwd {root}")
    print(f"minimal Textual app, first paint:    median {minimal * 1000:7.1f} ms")
    print(f"simulator home screen, first paint:  median {paint * 1000:7.1f} ms")
    print(f"simulator scenario list filled in:   median {library * 1000:7.1f} ms")
    print(f"ratio first paint simulator/minimal: {paint / minimal:.2f}x (target <= 1.30x)")
    print(f"ratio list filled in/minimal paint:  {library / minimal:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
