"""Authoring tools: ``simulator new``, ``graph`` and ``coverage``.

Graph (Mermaid and dot) and coverage (text, JSON, Markdown) are compared exactly with
golden files in tests/golden/authoring/, made from the fixture library in
tests/fixtures/authoring/. After an intended change, regenerate them with
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_authoring.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from simulator.authoring import SCHEMA, _mermaid_text, schema_reference, skeleton
from simulator.cli import main
from simulator.loader import load_scenario
from simulator.scoring import default_detector
from simulator.validate import example_mismatches, validate_paths

HERE = Path(__file__).parent
LIBRARY = HERE / "fixtures" / "authoring"
GOLDEN = HERE / "golden" / "authoring"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
ROOT = HERE.parent


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.is_file(), f"golden file {path} is missing: run with UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from {path} (UPDATE_GOLDEN=1 to accept)"


# ---------------------------------------------------------------- graph


@pytest.mark.parametrize("name", ["two-doors", "quick-referral"])
@pytest.mark.parametrize(("fmt", "suffix"), [("mermaid", "mmd"), ("dot", "dot")])
def test_graph_matches_golden(capsys, name, fmt, suffix):
    code, out, err = run(capsys, "graph", str(LIBRARY / f"{name}.yaml"), "--format", fmt)
    assert code == 0, err
    check_golden(f"graph-{name}.{suffix}", out)


def test_mermaid_graph_shapes_labels_and_escapes(capsys):
    _, out, _ = run(capsys, "graph", str(LIBRARY / "two-doors.yaml"))
    lines = out.splitlines()
    assert "flowchart TD" in lines
    # The title's quotes, <, >, #, & and | are entity codes in the comment-free label text.
    assert lines[0] == '%% 场景：两扇门："先听"还是"先办" <第1版> #测试 & A|B（two-doors）'
    assert '    s1["greet<br/>自由作答<br/>我有个建议，想跟“区住房保障中心”说……"]' in lines
    assert any(line.startswith('    s2{{"choose<br/>选择题（2 个选项）') for line in lines)
    # Endings are stadium-shaped, with the outcome and the score range from the analysis.
    assert ('    e1(["建议被#quot;认真#quot;对待 #amp; 有回音（heard）<br/>好结局 · 得分 100"])'
            in lines)
    assert '    e2(["不欢而散 #lt;#35;2#gt;（upset）<br/>坏结局 · 得分 0–16.6"])' in lines
    # Branch labels are the conditions, the default branch says 否则, endings picked by
    # their own conditions are dashed.
    assert ("""    s1 -->|"'listen.cut_off' in shown or mood #gt; 80"| e2""" in lines)
    assert '    s1 -->|"否则"| s2' in lines
    assert '    s2 -.->|"mood #gt;= 90"| e2' in lines
    assert '    s2 -.->|"否则"| e3' in lines
    assert "    class e1 good" in lines and "    class e2 bad" in lines


def test_mermaid_text_escapes_every_special_character():
    assert _mermaid_text('a"b<c>d#e&f|g`h\ni') == "a#quot;b#lt;c#gt;d#35;e#amp;f#124;g#96;h<br/>i"


def test_dot_graph_quotes_and_shapes(capsys):
    _, out, _ = run(capsys, "graph", str(LIBRARY / "two-doors.yaml"), "--format", "dot")
    assert out.startswith('digraph "two-doors" {')
    assert 'label="建议被\\"认真\\"对待 & 有回音（heard）\\n好结局 · 得分 100"' in out
    assert "s2 -> e2 [label=\"mood >= 90\", style=dashed];" in out
    assert "shape=hexagon" in out and "shape=doubleoctagon" in out


def test_graph_takes_a_builtin_id(capsys):
    code, out, _ = run(capsys, "graph", "angry-repeat-visitor")
    assert code == 0 and "flowchart TD" in out and "情绪平复，按程序办理（calmed）" in out


def test_graph_of_a_missing_scenario_exits_2(capsys):
    code, out, err = run(capsys, "graph", "no-such-scenario")
    assert (code, out) == (2, "") and "找不到场景" in err


def test_graph_of_a_broken_scenario_exits_1(capsys, tmp_path):
    broken = tmp_path / "two-doors.yaml"
    broken.write_text((LIBRARY / "two-doors.yaml").read_text(encoding="utf-8")
                      .replace("goto: choose", "goto: chose"), encoding="utf-8")
    code, out, err = run(capsys, "graph", str(broken))
    assert code == 1 and out == ""
    assert "未知的步骤或结局 chose" in err and "请先修正" in err


# ---------------------------------------------------------------- coverage


@pytest.mark.parametrize(("flags", "name"), [
    ((), "coverage.txt"),
    (("--json",), "coverage.json"),
    (("--format", "markdown"), "coverage.md"),
])
def test_coverage_matches_golden(capsys, flags, name):
    code, out, err = run(capsys, "coverage", str(LIBRARY), *flags)
    assert code == 0, err
    check_golden(name, out)


def test_coverage_counts(capsys):
    _, out, _ = run(capsys, "coverage", str(LIBRARY), "--json")
    data = json.loads(out)
    by_id = {s["id"]: s for s in data["scenarios"]}
    doors = by_id["two-doors"]
    # greet trains §2 through its local criterion, §3 through the catalogue ones.
    assert doors["sections"] == {"1": 0, "2": 1, "3": 1, "4": 1, "5": 1, "6": 0, "7": 0}
    # In quick-referral, refer_department is expected in both steps and offered by one option.
    assert by_id["quick-referral"]["criteria"]["classify.refer_department"] == {
        "expected": 2, "offered": 1, "steps": 2}
    assert by_id["quick-referral"]["criteria"]["aftercare.progress_updates"] == {
        "expected": 0, "offered": 1, "steps": 1}
    assert "know_policy" not in doors["criteria"]  # local: a section count, not a catalogue row
    totals = {c["id"]: c for c in data["criteria"]}
    assert totals["statement.point_to_leader"]["steps"] == 1
    assert totals["classify.refer_department"]["scenarios"] == 1
    assert "handle.check_records" in data["untrained"]
    assert "classify.record" not in data["untrained"]
    assert data["untrained_sections"] == [1, 6]


def test_coverage_of_the_builtin_library_trains_every_criterion(capsys):
    code, out, _ = run(capsys, "coverage", "--json")
    assert code == 0 and json.loads(out)["untrained"] == []


def test_coverage_skips_a_broken_file_and_exits_1(capsys, tmp_path):
    shutil.copy(LIBRARY / "quick-referral.yaml", tmp_path)
    (tmp_path / "bad.yaml").write_text("id: bad\ntitle: [\n", encoding="utf-8")
    code, out, err = run(capsys, "coverage", str(tmp_path), "--json")
    assert code == 1 and "bad.yaml:" in err and "没有计入覆盖统计" in err
    assert [s["id"] for s in json.loads(out)["scenarios"]] == ["quick-referral"]


# ---------------------------------------------------------------- new


def test_new_writes_a_skeleton_that_validates_and_passes_its_examples(capsys, tmp_path):
    code, out, _ = run(capsys, "new", "my-first-case", "--dir", str(tmp_path))
    path = tmp_path / "my-first-case.yaml"
    assert code == 0 and str(path) in out
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# yaml-language-server: $schema={SCHEMA.as_uri()}\n")
    assert validate_paths([path]) == []  # no error, no warning, path analysis included
    detector = default_detector()
    scenario, problems = load_scenario(path, catalogue=detector.catalogue)
    assert scenario is not None and problems == []
    assert scenario.id == "my-first-case"
    assert [s.answer for s in scenario.steps] == ["free", "choice"]
    assert scenario.steps[0].examples and len(scenario.endings) == 2
    assert {e.outcome for e in scenario.endings} == {"good", "bad"}
    assert example_mismatches(scenario, detector) == []


def test_new_writes_into_the_current_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(capsys, "new", "case-2")
    assert code == 0 and (tmp_path / "case-2.yaml").is_file()


def test_new_refuses_to_overwrite(capsys, tmp_path):
    path = tmp_path / "taken.yaml"
    path.write_text("# mine\n", encoding="utf-8")
    code, out, err = run(capsys, "new", "taken", "--dir", str(tmp_path))
    assert (code, out) == (1, "") and "已经存在，不会覆盖" in err
    assert path.read_text(encoding="utf-8") == "# mine\n"


@pytest.mark.parametrize("name", ["My_Case", "case.yaml", "lead-", "a--b", "中文"])
def test_new_refuses_a_name_that_is_not_an_id(capsys, tmp_path, name):
    code, out, err = run(capsys, "new", name, "--dir", str(tmp_path))
    assert (code, out) == (2, "") and "不是有效的场景 id" in err
    assert list(tmp_path.iterdir()) == []


def test_schema_line_is_relative_inside_the_checkout():
    assert schema_reference(ROOT / "scenarios") == "../simulator/schema/scenario.schema.json"
    assert schema_reference(LIBRARY) == "../../../simulator/schema/scenario.schema.json"
    text = skeleton("x", ROOT / "scenarios")
    assert text.startswith("# yaml-language-server: $schema=../simulator/schema/scenario.schema.json\n")
