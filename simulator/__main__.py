"""The ``simulator`` script and ``python -m simulator``: no arguments open the TUI at once.

Start-up is a budget (``bench/startup.py``): opening the training screen skips the
command line (``simulator.cli`` with argparse and json), which every sub-command and
``--data`` go through.
"""

from __future__ import annotations

import sys


def main() -> int:
    if len(sys.argv) <= 1:
        from simulator.tui.app import run_app

        return run_app(data_dir=None)
    from simulator.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    raise SystemExit(main())
