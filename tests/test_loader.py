"""The loader: every class of bad input is reported at its line, all problems in one run,
no exception whatever the file holds (the whole YAML test suite), and the JSON Schema
agrees with the keys the loader accepts."""

from __future__ import annotations

import dataclasses
import json
import tracemalloc
from pathlib import Path

import pytest
import yaml

from simulator.data import builtin_dir
from simulator.loader import KEYS, MAX_BYTES, Problem, load_scenario, load_scenario_text

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "branching.yaml"
BASE = FIXTURE.read_text(encoding="utf-8")
SCHEMA = HERE.parent / "simulator" / "schema" / "scenario.schema.json"
REPO = HERE.parent


def yaml_suite() -> Path | None:
    for folder in (REPO.parent / "shared" / "testdata" / "yaml-test-suite",
                   Path("/work/shared/testdata/yaml-test-suite")):
        if folder.is_dir():
            return folder
    return None


def variant(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1


def errors(text: str | bytes) -> list[Problem]:
    scenario, problems = load_scenario_text(text, "s.yaml")
    assert scenario is None
    assert problems and all(isinstance(p, Problem) for p in problems)
    return [p for p in problems if p.severity == "error"]


def only(text: str | bytes) -> Problem:
    found = errors(text)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


# ---------------------------------------------------------------- good input


def test_fixture_loads_with_positions():
    scenario, problems = load_scenario(FIXTURE)
    assert problems == []
    assert scenario is not None and scenario.id == "branching"
    assert [s.id for s in scenario.steps] == ["arrival", "choose", "record"]
    assert scenario.steps[0].line == line_of(BASE, "- id: arrival")
    assert scenario.marks[("steps", 0, "next", 0, "goto")] == (line_of(BASE, "goto: escalation"), 9)
    assert scenario.steps[1].options[0].shows == ("classify.record",)
    assert scenario.steps[2].local["name_the_limit"].detector is not None
    assert scenario.vars["visitor"] == {"name": "王女士"}
    assert scenario.endings[1].score_cap == 59
    assert scenario.meters[1].max == 100 and scenario.meters[1].higher_is == "better"
    assert "{{ unit }}" in scenario.steps[0].visitor  # templates stay raw


def test_windows_file_with_bom_and_crlf_is_valid():
    data = b"\xef\xbb\xbf" + BASE.replace("\n", "\r\n").encode("utf-8")
    scenario, problems = load_scenario_text(data, str(FIXTURE))
    reference, _ = load_scenario(FIXTURE)
    assert problems == []
    assert scenario == reference
    assert scenario.marks == reference.marks


def test_merge_keys_are_supported_and_override_without_complaint():
    text = variant("meters:\n  mood: {start: 80, min: 0, max: 100, label: 情绪激动, higher_is: worse}",
                   "meters:\n  mood: &m {start: 80, min: 0, max: 100, label: 情绪激动, higher_is: worse}\n"
                   "  anger: {<<: *m, start: 10}")
    scenario, problems = load_scenario_text(text)
    assert problems == []
    anger = scenario.meters[1]
    assert (anger.id, anger.start, anger.label, anger.higher_is) == ("anger", 10, "情绪激动", "worse")


# ---------------------------------------------------------------- bad input, one class each


def test_yaml_syntax_error_has_its_line():
    text = variant("title: 测试用的分支场景", "title: 测试: [用的")
    problem = only(text)
    assert problem.line == line_of(text, "title:")
    assert "YAML 语法错误" in problem.message


def test_tab_indentation_is_named():
    text = variant("  - id: choose", "\t- id: choose")
    problem = only(text)
    assert problem.line == line_of(text, "\t- id: choose")
    assert "制表符" in problem.message


def test_duplicate_key_is_reported_at_the_second():
    text = variant("difficulty: 1\n", "difficulty: 1\ndifficulty: 2\n")
    problem = only(text)
    assert problem.line == line_of(text, "difficulty: 2")
    assert "重复的键 difficulty" in problem.message
    assert f"第 {line_of(text, 'difficulty: 1')} 行" in problem.message


def test_duplicate_key_in_vars_and_nested_data():
    text = variant("vars: {unit: 区住房保障中心, visitor: {name: 王女士}}",
                   "vars:\n  unit: 甲\n  visitor: {name: 王女士, name: 李女士}")
    problem = only(text)
    assert problem.line == line_of(text, "visitor: {name")
    assert "重复的键 name" in problem.message


def test_unknown_key_suggests_the_right_one():
    text = variant("    visitor: 那你们", "    vistor: 那你们")
    found = errors(text)
    unknown = next(p for p in found if "vistor" in p.message)
    assert unknown.line == line_of(text, "vistor:")
    assert "是不是 visitor" in unknown.message
    assert any("缺少必填的键 visitor" in p.message for p in found)


@pytest.mark.parametrize(("old", "new", "needle", "expected"), [
    ("difficulty: 1", "difficulty: 高", "difficulty:", "1 到 5 的整数"),
    ("difficulty: 1", "difficulty: 9", "difficulty:", "1 到 5 的整数"),
    ("good: [classify.record]", "good: classify.record", "good: classify.record", "应为列表"),
    ("title: 测试用的分支场景", "title: [测试]", "title:", "应为文本"),
    ("    answer: choice", "    answer: multiple", "answer: multiple", "free | choice"),
    ("category: 申诉求决", "category: 投诉", "category:", "建议意见 | 检举控告 | 申诉求决"),
    ("score_cap: 59", "score_cap: 120", "score_cap:", "0 到 100 的整数"),
    ("  trust: {start: 20, label: 信任}", "  trust: {start: '20', label: 信任}", "trust:", "start 应为"),
    ("steps:\n", "steps: 三步\nx:\n", "steps:", "应为列表"),
])
def test_wrong_type_names_the_field_and_what_was_expected(old, new, needle, expected):
    text = variant(old, new)
    found = errors(text)
    assert any(p.line == line_of(text, needle) and expected in p.message for p in found), \
        [str(p) for p in found]


def test_bad_ids_are_reported():
    text = variant("id: branching", "id: Branching_1")
    problem = only(text)
    assert problem.line == 4 and "场景 id" in problem.message


def test_missing_required_keys_are_reported_on_the_mapping():
    text = variant("  - id: unresolved\n    title: 没有谈拢\n", "  - id: unresolved\n")
    problem = only(text)
    assert problem.line == line_of(text, "- id: unresolved")
    assert "缺少必填的键 title" in problem.message


def test_all_problems_of_a_file_in_one_run():
    text = variant("difficulty: 1", "difficulty: 高")
    text = variant("    visitor: 那你们", "    vistor: 那你们", text)
    text = variant("minutes: 3\n", "minutes: 3\nminutes: 4\n", text)
    lines = {p.line for p in errors(text)}
    assert {line_of(text, "difficulty:"), line_of(text, "vistor:"), line_of(text, "minutes: 4")} <= lines


def test_gbk_file_is_named_as_gbk():
    problem = only(BASE.encode("gbk"))
    assert "不是 UTF-8" in problem.message and "GBK" in problem.message
    assert problem.line == line_of(BASE, "测试用的分支场景")  # the first non-ASCII byte


def test_other_non_utf8_is_reported_without_guessing_gbk():
    problem = only(b"id: x\ntitle: \xff\xfe\xfd\n")
    assert "不是有效的 UTF-8" in problem.message and "GBK" not in problem.message
    assert (problem.line, problem.col) == (2, 8)


def test_utf16_is_named():
    assert "UTF-16" in only(BASE.encode("utf-16")).message


def test_control_characters_are_pointed_at():
    problem = only(variant("minutes: 3", "minutes: 3\x07"))
    assert problem.line == line_of(BASE, "minutes: 3") and "U+0007" in problem.message


def test_file_over_one_mebibyte_is_refused_unread(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_BYTES + b"\n")
    scenario, problems = load_scenario(big)
    assert scenario is None
    assert len(problems) == 1 and problems[0].line == 1 and "1 MiB" in problems[0].message


def test_missing_file_is_a_problem_not_an_exception(tmp_path):
    scenario, problems = load_scenario(tmp_path / "nope.yaml")
    assert scenario is None and "无法读取文件" in problems[0].message


def bomb(levels: int = 12) -> str:
    """A "billion laughs": each anchor holds ten aliases of the one before."""
    out = ["  l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    out += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(out)


def test_alias_bomb_is_refused_in_bounded_memory():
    text = variant("vars: {unit: 区住房保障中心, visitor: {name: 王女士}}",
                   "vars:\n" + bomb() + "\n  unit: 区住房保障中心\n  visitor: {name: 王女士}")
    tracemalloc.start()
    try:
        found = errors(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(found) == 1 and "别名炸弹" in found[0].message
    assert found[0].line <= line_of(text, "  l5:")  # stopped where it crossed the limit
    assert peak < 20 * 2**20


def test_alias_bomb_where_nothing_reads_it_is_never_expanded():
    tracemalloc.start()
    try:
        found = errors("bomb:\n" + bomb(30) + "\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert any("未知的键 bomb" in p.message and p.line == 1 for p in found)
    assert peak < 20 * 2**20


def test_recursive_alias_is_refused():
    text = variant("vars: {unit: 区住房保障中心,", "vars: {loop: &a [1, *a], unit: 区住房保障中心,")
    problem = only(text)
    assert problem.line == line_of(text, "vars:") and "引用了包含它自己的节点" in problem.message


@pytest.mark.parametrize("deep", [
    "[" * 3000 + "]" * 3000,  # libyaml's own limit
    "\n" + "".join("  " * (i + 2) + "b:\n" for i in range(60)) + "  " * 62 + "x",
    "&a [[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]\n  other: [[[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]]",
])
def test_absurd_nesting_is_refused(deep):
    text = variant("vars: {unit: 区住房保障中心, visitor: {name: 王女士}}",
                   "vars:\n  unit: 区住房保障中心\n  visitor: {name: 王女士}\n  deep: " + deep)
    problem = only(text)
    assert "嵌套" in problem.message
    assert problem.line >= line_of(text, "  deep:")


def test_absurd_input_in_a_large_file_is_refused_before_it_is_kept():
    tracemalloc.start()
    try:
        wide = errors("a: [" + "x, " * 300_000 + "x]\n")
        deep = errors("a:\n" + "".join(" " * (i + 1) + "b:\n" for i in range(400)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(wide) == 1 and "节点过多" in wide[0].message and wide[0].line == 1
    assert len(deep) == 1 and "嵌套" in deep[0].message and deep[0].line <= 60
    assert peak < 30 * 2**20


def test_python_tag_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    text = variant("minutes: 3", f"minutes: !!python/object/apply:os.system ['touch {marker}']")
    found = errors(text)
    assert any(p.line == line_of(text, "minutes:") and "不支持的标签" in p.message for p in found)
    assert not marker.exists()


def test_custom_tags_are_refused():
    text = variant("description: 引擎测试用。", "description: !include other.yaml")
    found = errors(text)
    assert any(p.line == line_of(text, "description:") and "!include" in p.message for p in found)


def test_second_document_and_empty_file():
    problem = only(BASE + "---\nid: other\n")
    assert problem.line == BASE.count("\n") + 1 and "一个 YAML 文档" in problem.message
    assert "空" in only("").message
    assert "应为一个映射" in only("- a\n- b\n").message


def test_local_criterion_that_does_not_compile_points_at_its_rule():
    text = variant('detect: {any: ["#日内|#天内"]}', 'detect:\n          any:\n            - "#日内"\n'
                   '            - "(#天内"')
    problem = only(text)
    assert problem.line == line_of(text, '"(#天内"')
    assert "name_the_limit" in problem.message and "括号" in problem.message


def test_every_yaml_test_suite_input_is_a_clean_rejection():
    folder = yaml_suite()
    assert folder is not None, "shared/testdata/yaml-test-suite must be beside the repository"
    files = sorted(folder.glob("*/in.yaml"))
    assert len(files) > 300
    for path in files:
        scenario, problems = load_scenario(path)
        assert scenario is None, path
        assert problems, path
        assert all(p.line >= 1 and p.col >= 1 and p.message for p in problems), path


def test_not_strict_returns_what_loaded_for_further_checks():
    text = variant("difficulty: 1", "difficulty: 高")
    scenario, problems = load_scenario_text(text, strict=False)
    assert scenario is not None and scenario.difficulty == 1
    assert len(problems) == 1


# ---------------------------------------------------------------- the JSON Schema


def schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def test_schema_lists_exactly_the_keys_the_loader_accepts():
    s = schema()
    where = {"scenario": s, **{k: s["definitions"][k] for k in KEYS if k != "scenario"}}
    for kind, keys in KEYS.items():
        assert set(where[kind]["properties"]) == set(keys), kind
        assert where[kind]["additionalProperties"] is False, kind


def test_schema_offers_every_catalogue_criterion():
    from simulator.scoring import default_detector

    offered = {c["const"] for c in schema()["definitions"]["criterionId"]["anyOf"] if "const" in c}
    assert offered == set(default_detector().catalogue.criteria)


def test_schema_accepts_the_fixture_and_the_builtin_scenarios():
    import jsonschema
    validator = jsonschema.Draft7Validator(schema())
    jsonschema.Draft7Validator.check_schema(schema())
    files = [FIXTURE, *sorted((REPO / "scenarios").glob("*.yaml"))]
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert [e.message for e in validator.iter_errors(data)] == [], path
    bad = yaml.safe_load(variant("    visitor: 那你们", "    vistor: 那你们"))
    assert list(validator.iter_errors(bad))


def test_problem_prints_as_the_contract_says():
    p = Problem("a.yaml", 3, 5, "warning", "说明")
    assert str(p) == "a.yaml:3:5: warning: 说明"
    assert dataclasses.astuple(p) == ("a.yaml", 3, 5, "warning", "说明")


def test_builtin_yaml_reads_the_same_without_libyaml():
    """PyYAML's own parser is stricter than libyaml's in places: an install without libyaml
    must read the built-in scenarios and exams all the same."""
    for folder in ("scenarios", "exams"):
        for path in sorted(builtin_dir(folder).glob("*.yaml")):
            text = path.read_text(encoding="utf-8-sig")
            fast = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            assert yaml.load(text, Loader=yaml.SafeLoader) == fast, path.name
