"""``simulator validate``, ``run`` and ``test``: output formats and exit codes per the contract."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.data import builtin_dir

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "branching.yaml"
BASE = FIXTURE.read_text(encoding="utf-8")
PROBLEM_LINE = re.compile(r"^.+:\d+:\d+: (error|warning): \S.*$")
GOOD = ["您跑了好几趟，确实不容易。先坐下喝口水。", "1", "受理后一般60日内办结，到时书面答复您。"]


def answers_file(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "answers.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- validate


def test_validate_clean_file_exits_0(capsys):
    code, out, _ = run(capsys, "validate", str(FIXTURE))
    assert (code, out) == (0, "")


def test_validate_prints_one_line_per_problem_and_exits_1(capsys, tmp_path):
    bad = tmp_path / "branching.yaml"
    bad.write_text(BASE.replace("difficulty: 1", "difficulty: 高").replace(
        "    visitor: 那你们", "    vistor: 那你们"), encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(bad), str(tmp_path / "missing.yaml"))
    lines = out.splitlines()
    assert code == 1
    assert all(PROBLEM_LINE.match(line) for line in lines), lines
    assert f"{bad}:8:13: error: difficulty 应为 1 到 5 的整数，这里是“高”" in lines
    assert any(line.startswith(f"{tmp_path / 'missing.yaml'}:1:1: error:") for line in lines)


def test_validate_warnings_only_exits_0(capsys, tmp_path):
    path = tmp_path / "branching.yaml"
    path.write_text(BASE.replace("    title: 没有谈拢\n", "    title: 没有谈拢\n    when: mood > 1000\n"),
                    encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 0 and ": warning: 没有默认结局" in out


def test_validate_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    assert exc.value.code == 2


def test_validate_never_a_traceback_on_the_yaml_test_suite(capsys):
    suite = next((f for f in (HERE.parent.parent / "shared" / "testdata" / "yaml-test-suite",
                              Path("/work/shared/testdata/yaml-test-suite")) if f.is_dir()), None)
    assert suite is not None, "shared/testdata/yaml-test-suite must be beside the repository"
    code, out, _ = run(capsys, "validate", str(suite))
    lines = out.splitlines()
    assert code == 1
    assert len({line.split(":")[0] for line in lines}) == len(list(suite.glob("*/in.yaml")))
    assert all(PROBLEM_LINE.match(line) for line in lines), [x for x in lines if not PROBLEM_LINE.match(x)]


def test_validate_builtin_library(capsys):
    code, out, _ = run(capsys, "validate", str(builtin_dir("scenarios")))
    assert code == 0, out


# ---------------------------------------------------------------- run


def test_run_json_shape(capsys, tmp_path):
    code, out, _ = run(capsys, "run", str(FIXTURE), "--answers", answers_file(tmp_path, GOOD), "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["scenario", "ending", "score", "level", "steps", "sections"]
    assert (data["scenario"], data["ending"], data["score"], data["level"]) == (
        "branching", "calmed", 100.0, "优秀")
    assert [list(s) for s in data["steps"]] == [["step", "answer", "present", "score", "meters"]] * 3
    assert [s["step"] for s in data["steps"]] == ["arrival", "choose", "record"]
    assert data["steps"][1]["answer"] == "1" and data["steps"][1]["present"] == ["classify.record"]
    assert data["steps"][2]["meters"] == {"mood": 30, "trust": 100}
    assert data["sections"] == {"3": 100.0, "4": 100.0, "5": 100.0}


def test_run_text_summary_is_readable_chinese(capsys, tmp_path):
    code, out, _ = run(capsys, "run", str(FIXTURE), "--answers", answers_file(tmp_path, GOOD))
    assert code == 0
    assert "结局：情绪平复（calmed）" in out and "总分：100（优秀）" in out
    assert "1. 把王女士反映的情况详细记下来" in out


def test_run_out_of_answers_stops_without_an_ending(capsys, tmp_path):
    code, out, _ = run(capsys, "run", str(FIXTURE), "--answers",
                       answers_file(tmp_path, ["", GOOD[0], "  "]), "--json")
    data = json.loads(out)
    assert code == 0 and data["ending"] is None and len(data["steps"]) == 1


def test_run_extra_answers_are_reported(capsys, tmp_path):
    code, _, err = run(capsys, "run", str(FIXTURE), "--answers",
                       answers_file(tmp_path, ["怎么又是你，该讲的都讲了。", "多余"]))
    assert code == 0 and "还有 1 个答案没有用到" in err


def test_run_bad_option_number_exits_1(capsys, tmp_path):
    code, out, err = run(capsys, "run", str(FIXTURE), "--answers",
                         answers_file(tmp_path, [GOOD[0], "5"]), "--json")
    assert code == 1 and out == ""
    assert "答案文件第 2 行" in err and "选项编号" in err


def test_run_unknown_scenario_or_answers_is_bad_usage(capsys, tmp_path):
    assert run(capsys, "run", "no-such-scenario", "--answers", answers_file(tmp_path, GOOD))[0] == 2
    assert run(capsys, "run", str(FIXTURE), "--answers", str(tmp_path / "none.txt"))[0] == 2


def test_run_broken_scenario_exits_1_with_problems(capsys, tmp_path):
    bad = tmp_path / "branching.yaml"
    bad.write_text(BASE.replace("difficulty: 1", "difficulty: 高"), encoding="utf-8")
    code, out, err = run(capsys, "run", str(bad), "--answers", answers_file(tmp_path, GOOD))
    assert code == 1 and out == "" and ":8:13: error:" in err


def test_run_builtin_id_as_a_real_process(tmp_path):
    files = sorted(builtin_dir("scenarios").glob("*.yaml"))
    assert files, "no built-in scenarios"
    answers = answers_file(tmp_path, ["您好，请坐，慢慢说。"])
    proc = subprocess.run([sys.executable, "-m", "simulator", "run", files[0].stem, "--answers",
                           answers, "--json"], capture_output=True, text=True, encoding="utf-8",
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["scenario"] == files[0].stem and len(data["steps"]) == 1


# ---------------------------------------------------------------- test


def test_test_passes_on_the_fixture(capsys):
    code, out, err = run(capsys, "test", str(FIXTURE))
    assert (code, out) == (0, "") and "全部通过" in err


def test_test_reports_mismatches_with_path_and_line(capsys, tmp_path):
    bad = tmp_path / "branching.yaml"
    text = BASE.replace("present: [mindset.labelling]", "present: [listen.hospitality]")
    bad.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "test", str(bad))
    line = text.count("\n", 0, text.index("- answer: 怎么又是你")) + 1
    assert code == 1
    assert out.splitlines() == [f"{bad}:{line}: 步骤 arrival 的示例“怎么又是你，该讲的都讲了。”"
                                "应检出 listen.hospitality，但没有检出"]


def test_test_passes_on_the_builtin_library(capsys):
    assert any(builtin_dir("scenarios").glob("*.yaml")), "no built-in scenarios"
    code, out, err = run(capsys, "test")
    assert code == 0, out + err


def test_a_broken_rubric_is_a_message_not_a_traceback(monkeypatch, capsys):
    import simulator.scoring
    from simulator import cli
    from simulator.scoring.detector import RubricError

    def broken():
        raise RubricError("rubrics/criteria.yaml: mindset.labelling.detect.any[0]: 规则应为短语字符串或映射")

    monkeypatch.setattr(simulator.scoring, "default_detector", broken)
    assert cli.main(["test"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：评分标准无法使用：rubrics/criteria.yaml: mindset.labelling")
    assert "Traceback" not in err
