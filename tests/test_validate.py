"""Semantic checks: each class of mistake reported with the line of the offending node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.loader import Problem, load_scenario_text
from simulator.scoring import default_detector
from simulator.validate import example_mismatches, validate_paths, validate_scenario

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "branching.yaml"
BASE = FIXTURE.read_text(encoding="utf-8")
CATALOGUE = default_detector().catalogue


def variant(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return text.count("\n", 0, text.index(needle)) + 1


def check(text: str) -> list[Problem]:
    scenario, problems = load_scenario_text(text, "s.yaml", strict=False)
    assert scenario is not None, [str(p) for p in problems]
    return problems + validate_scenario(scenario, CATALOGUE)


def find(problems: list[Problem], fragment: str, severity: str = "error") -> Problem:
    matches = [p for p in problems if fragment in p.message and p.severity == severity]
    assert matches, [str(p) for p in problems]
    return matches[0]


def test_the_fixture_is_clean():
    assert check(BASE) == []


def test_unknown_criterion_in_good_with_suggestion():
    text = variant("good: [classify.record]", "good: [classify.recrod]")
    p = find(check(text), "未知的评分标准 classify.recrod")
    assert p.line == line_of(text, "good: [classify.recrod]") and "是不是 classify.record" in p.message


def test_criterion_on_the_wrong_side():
    text = variant("bad: [mindset.labelling]", "bad: [mindset.labelling, listen.hospitality]")
    p = find(check(text), "listen.hospitality 是应做到的（good）行为")
    assert p.line == line_of(text, "bad: [mindset.labelling, listen")


@pytest.mark.parametrize(("old", "new", "needle"), [
    ("shows: [classify.record]", "shows: [classify.recrd]", "shows: [classify.recrd]"),
    ("present: [mindset.labelling]", "present: [mindset.labeling]", "present: [mindset.labeling]"),
    ("absent: [name_the_limit]", "absent: [name_the_limt]", "absent: [name_the_limt]"),
])
def test_unknown_criterion_in_options_and_examples(old, new, needle):
    text = variant(old, new)
    p = find(check(text), "未知的评分标准")
    assert p.line == line_of(text, needle)


def test_local_criterion_named_like_a_catalogue_one():
    text = variant("      name_the_limit:\n", "      classify.record:\n")
    p = find(check(text), "与评分标准目录中的编号重名")
    assert p.line == line_of(text, "      classify.record:")


def test_branch_to_a_missing_step():
    text = variant("      - goto: record\n    model_answer", "      - goto: recrod\n    model_answer")
    p = find(check(text), "未知的步骤或结局 recrod")
    assert p.line == line_of(text, "goto: recrod") and "是不是 record" in p.message


def test_step_from_which_no_ending_can_be_reached():
    # record goes back to choose unconditionally, choose to record: a loop with no way out.
    text = variant("    effects:\n      good: {mood: -20, trust: 20}\n",
                   "    effects:\n      good: {mood: -20, trust: 20}\n    next: [{goto: choose}]\n")
    text = variant("      - when: choice == 2\n        goto: escalation\n      - goto: record",
                   "      - goto: record", text)
    problems = check(text)
    p = find(problems, "从步骤 choose 出发永远到不了任何结局")
    assert p.line == line_of(text, "- id: choose")
    assert find(problems, "从步骤 record 出发").line == line_of(text, "- id: record")


def test_unreachable_step_and_ending_are_warnings():
    text = variant("      - goto: record\n    model_answer", "      - goto: escalation\n    model_answer")
    text = variant("      - when: \"'listen.hospitality' in shown\"\n        goto: choose\n", "", text)
    problems = check(text)
    assert find(problems, "步骤 choose 永远不会被走到", "warning").line == line_of(text, "- id: choose")
    assert find(problems, "步骤 record 永远不会被走到", "warning").line == line_of(text, "- id: record")
    assert find(problems, "结局 calmed 永远不会被走到", "warning").line == line_of(text, "- id: calmed")
    assert not [p for p in problems if p.severity == "error"]


def test_branch_after_an_unconditional_one_is_a_warning():
    text = variant("      - goto: record\n    model_answer",
                   "      - goto: record\n      - goto: choose\n    model_answer")
    p = find(check(text), "永远不会被选中", "warning")
    assert p.line == line_of(text, "      - goto: choose")


def test_no_default_ending_is_a_warning():
    text = variant("    title: 没有谈拢\n", "    title: 没有谈拢\n    when: mood > 1000\n")
    p = find(check(text), "没有默认结局", "warning")
    assert p.line == line_of(text, "endings:")


def test_duplicate_step_and_ending_ids():
    text = variant("  - id: unresolved", "  - id: record")
    p = find(check(text), "id “record” 重复")
    assert p.line == line_of(text, "  - id: record\n    title")


def test_unknown_meter_in_effects_and_bad_bounds():
    text = variant("bad: {mood: 30}", "bad: {mod: 30}")
    text = variant("trust: {start: 20, label: 信任}", "trust: {start: 120, label: 信任}", text)
    problems = check(text)
    p = find(problems, "未知的计量 mod")
    assert p.line == line_of(text, "bad: {mod: 30}") and "是不是 mood" in p.message
    assert find(problems, "start（120）应在 0 到 100 之间").line == line_of(text, "trust: {start: 120")


def test_meter_named_like_a_variable():
    text = variant("vars: {unit: 区住房保障中心,", "vars: {mood: 1, unit: 区住房保障中心,")
    assert find(check(text), "与 vars 中的变量同名").line == line_of(text, "  mood:")


def test_undefined_template_variables():
    text = variant("我找{{ unit }}找了", "我找{{ unti }}找了")
    text = variant('visitor_name: "{{ visitor.name }}"', 'visitor_name: "{{ visitor.nmae }}"', text)
    text = variant("text: 矛盾升级了。", "text: 矛盾升级了。{% if trust > 10 %}{{ reason }}{% endif %}", text)
    problems = check(text)
    p = find(problems, "未定义的模板变量 unti")
    assert p.line == line_of(text, "visitor: 我找") and "是不是 unit" in p.message
    assert find(problems, "变量 visitor 中没有 nmae").line == line_of(text, "visitor_name:")
    assert find(problems, "未定义的模板变量 reason").line == line_of(text, "text: 矛盾升级了")


def test_template_syntax_error():
    text = variant("我找{{ unit }}找了", "我找{{ unit }找了")
    p = find(check(text), "模板有语法错误")
    assert p.line == line_of(text, "visitor: 我找")


def test_conditions_that_do_not_compile_or_use_unknown_names():
    text = variant("when: mood >= 95\n        goto: escalation", "when: mood >=\n        goto: escalation")
    text = variant("when: choice == 2", "when: choise == 2 or 'listen.hospitalty' in shown", text)
    text = variant("when: mood < 40 and trust >= 50", "when: mood < 40 and trust >= 50)", text)
    problems = check(text)
    assert find(problems, "条件无法编译").line == line_of(text, "when: mood >=\n")
    assert find(problems, "未定义的名字 choise").line == line_of(text, "when: choise")
    assert find(problems, "未知的评分标准 listen.hospitalty").line == line_of(text, "when: choise")
    assert find(problems, "条件无法编译：").line in {line_of(text, "when: mood >=\n"),
                                                  line_of(text, "when: mood < 40")}
    assert len([p for p in problems if "条件无法编译" in p.message]) == 2


def test_conditions_may_use_every_engine_name():
    text = variant("when: choice == 2",
                   "when: choice == 2 and score < 50 and 'classify.record' not in seen"
                   " and steps.arrival.score > 0 and unit and visitor.name")
    assert check(text) == []


def test_choice_step_needs_options_and_number_examples():
    text = variant('      - answer: "2"', '      - answer: "把情况记下来"')
    assert find(check(text), "选择题的示例答案应为选项编号").line == line_of(text, 'answer: "把情况')
    start, end = BASE.index("    options:\n"), BASE.index("    good: [classify.record]")
    no_options = BASE[:start] + BASE[end:]
    assert find(check(no_options), "选择题应有 1 到 9 个选项").line == line_of(no_options, "- id: choose")
    free = variant("    answer: choice\n", "    answer: free\n")
    assert find(check(free), "options 只在 answer: choice 时使用", "warning").line == \
        line_of(free, "    options:")


def test_validate_paths_walks_folders_and_checks_file_names(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "branching.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "sub" / "other.yml").write_text(BASE, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not yaml", encoding="utf-8")
    problems = validate_paths([tmp_path, tmp_path / "missing.yaml"])
    messages = {(Path(p.path).name, p.line, p.message) for p in problems}
    assert ("missing.yaml", 1, "找不到这个文件或文件夹") in messages
    assert any(name == "other.yml" and line == 4 and "应与文件名一致" in m for name, line, m in messages)
    assert any(name == "other.yml" and "重复" in m for name, _, m in messages)
    assert not any(name == "branching.yaml" for name, _, _ in messages)


def test_validate_paths_reports_loader_and_semantic_problems_together(tmp_path):
    text = variant("difficulty: 1", "difficulty: 高")
    text = variant("good: [classify.record]", "good: [classify.recrod]", text)
    path = tmp_path / "branching.yaml"
    path.write_text(text, encoding="utf-8")
    lines = [p.line for p in validate_paths([path])]
    assert lines == sorted(lines)
    assert {line_of(text, "difficulty:"), line_of(text, "classify.recrod")} <= set(lines)


def test_example_mismatches_name_the_criterion_and_line():
    text = variant("present: [mindset.labelling]\n        absent: [listen.acknowledge_feelings]",
                   "present: [listen.hospitality]\n        absent: [mindset.labelling]")
    scenario, _ = load_scenario_text(text, "s.yaml")
    found = example_mismatches(scenario, default_detector())
    assert len(found) == 2
    assert found[0].line == line_of(text, "- answer: 怎么又是你")
    assert "应检出 listen.hospitality" in found[0].message
    assert "不应检出 mindset.labelling" in found[1].message and "证据" in found[1].message


def test_a_mismatch_the_learned_check_decided_says_so(tmp_path):
    from simulator.scoring import Detector
    from simulator.scoring.learned import LearnedCheck

    criteria = list(CATALOGUE.criteria)
    labelling, feelings = criteria.index("mindset.labelling"), criteria.index("listen.acknowledge_feelings")
    head = {"criteria": criteria, "bias": [0.0] * len(criteria), "veto": 0.005, "add": 0.8, "trained_on": {}}
    path = tmp_path / "learned.tsv"  # 又是你 all but rules out labelling; 都讲 adds feelings
    path.write_text("\n".join([json.dumps(head, ensure_ascii=False), f"又是你\t{labelling}:-12",
                               f"都讲\t{feelings}:9"]) + "\n", encoding="utf-8")
    detector = Detector(CATALOGUE._replace(learned=LearnedCheck.read(path)))
    scenario, _ = load_scenario_text(BASE, "s.yaml")
    found = [p.message for p in example_mismatches(scenario, detector)]
    assert len(found) == 2, found
    assert "应检出 mindset.labelling" in found[0] and "规则检出了它" in found[0] and "learned.tsv" in found[0]
    assert "不应检出 listen.acknowledge_feelings" in found[1] and "学习检查" in found[1]
    assert not any("学习检查" in m for m in (p.message for p in example_mismatches(
        load_scenario_text(variant("present: [mindset.labelling]", "present: [listen.hospitality]"),
                           "s.yaml")[0], default_detector())))


def test_builtin_library_has_no_errors():
    folder = HERE.parent / "scenarios"
    assert any(folder.glob("*.yaml")), "no built-in scenarios"
    assert [str(p) for p in validate_paths([folder]) if p.severity == "error"] == []


def test_a_bare_unknown_name_and_unknown_filters_are_caught():
    text = variant("when: choice == 2", "when: choise")
    text = variant("when: mood >= 95", "when: mood|nosuch >= 95", text)
    text = variant("我找{{ unit }}找了", "我找{{ unit|shout }}找了", text)
    problems = check(text)
    assert find(problems, "未定义的名字 choise").line == line_of(text, "when: choise")
    assert find(problems, "未知的过滤器 nosuch").line == line_of(text, "when: mood|nosuch")
    assert find(problems, "未知的过滤器 shout").line == line_of(text, "visitor: 我找")


def test_every_condition_the_validator_accepts_compiles_in_the_sandbox():
    from simulator.engine import compiled_condition

    scenario, _ = load_scenario_text(BASE)
    conditions = [b.when for s in scenario.steps for b in s.next if b.when]
    conditions += [e.when for e in scenario.endings if e.when]
    assert len(conditions) >= 4
    for source in conditions:
        assert compiled_condition(source) is not None


def test_parallel_checking_gives_the_same_problems_in_the_same_order(tmp_path):
    for n in range(12):
        text = BASE.replace("id: branching", f"id: s{n:02d}", 1)
        if n % 3 == 0:
            text = text.replace("good: [classify.record]", "good: [classify.recrod]")
        if n % 4 == 1:
            text = text.replace("difficulty: 1", "difficulty: 高")
        (tmp_path / f"s{n:02d}.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "dup.yaml").write_text(BASE.replace("id: branching", "id: s01", 1), encoding="utf-8")
    serial = validate_paths([tmp_path], workers=1)
    assert validate_paths([tmp_path], workers=2) == serial
    assert len([p for p in serial if "classify.recrod" in p.message]) == 4
    assert any("与" in p.message and "重复" in p.message for p in serial)
