"""Where the built-in rubrics, scenarios and exams live, in a checkout or an installed wheel.

In a checkout (and an editable install) they are the top-level ``rubrics/``,
``scenarios/`` and ``exams/`` folders; a wheel carries them as ``simulator/_data/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def builtin_dir(name: str) -> Path:
    """The folder of built-in ``rubrics``, ``scenarios`` or ``exams``."""
    packaged = _PACKAGE / "_data" / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name
