"""What the process benches share: the bytecode condition every measured process runs under.

An installed program loads its modules from compiled bytecode. A checkout in a shell that
sets ``PYTHONDONTWRITEBYTECODE`` would instead compile the simulator's sources in every
process (Textual's come precompiled), so by default both the simulator and its reference
get a private bytecode cache, filled by an untimed warm-up.
"""

from __future__ import annotations

from pathlib import Path


def bytecode_env(env: dict[str, str], folder: Path, compile_each_run: bool) -> None:
    """Set ``env`` for a private bytecode cache in ``folder``, or for compiling every run."""
    if compile_each_run:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
