"""Build hook: the wheel carries the built-in rubrics, scenarios and exams.

They live at the top of the repository (where trainers edit them); ``build_py`` copies
them into the wheel as ``simulator/_data/`` so an installed copy works outside the
checkout (``simulator/data.py`` looks there first).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        for name in ("rubrics", "scenarios", "exams"):
            source = ROOT / name
            if source.is_dir():
                target = Path(self.build_lib) / "simulator" / "_data" / name
                shutil.copytree(source, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithData})
