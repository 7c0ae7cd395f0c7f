"""``python -m simulator``: the same entry point as the ``simulator`` script."""

from simulator.cli import main

raise SystemExit(main())
