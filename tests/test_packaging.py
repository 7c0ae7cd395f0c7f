"""An installed wheel carries the built-in rubrics, scenarios, exams, schema, templates and
the scorer's data file."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_builtin_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("rubrics", "scenarios", "exams"):
        shipped = {p.name for p in (ROOT / folder).iterdir() if p.is_file()}  # learned.tsv too
        assert shipped and {f"simulator/_data/{folder}/{n}" for n in shipped} <= names, folder
    assert "simulator/schema/scenario.schema.json" in names
    assert "simulator/tui/app.tcss" in names
    assert "simulator/scoring/t2s_triggers.txt" in names
    assert any(n.startswith("simulator/reports/templates/") for n in names)
