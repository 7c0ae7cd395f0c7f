"""Where the built-in rubrics, scenarios and exams live, in a checkout or an installed wheel.

In a checkout (and an editable install) they are the top-level ``rubrics/``,
``scenarios/`` and ``exams/`` folders; a wheel carries them as ``simulator/_data/``.
``SCENARIO_ID`` is the form of a scenario id, which also names a built-in scenario's file.
"""

from __future__ import annotations

import re
from pathlib import Path

SCENARIO_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")

_PACKAGE = Path(__file__).resolve().parent


def builtin_dir(name: str) -> Path:
    """The folder of built-in ``rubrics``, ``scenarios`` or ``exams``."""
    packaged = _PACKAGE / "_data" / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name
