"""Path analysis (``simulator.paths``) and the seeded random playthroughs.

The analysis must follow the engine exactly (checked by replaying its paths through a
real ``Session``), find a warned-against answer that still reaches the best ending and a
good ending whose score range overlaps a bad one (each at the right line), end on loops,
and keep to its budget; random playthroughs must be the same for a seed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cli import main
from simulator.data import builtin_dir
from simulator.engine import Session
from simulator.loader import load_scenario, load_scenario_text
from simulator.model import Detection
from simulator.paths import (
    DEEP_BUDGET,
    _asked_of_seen,
    _holds,
    analyse,
    answer_count,
    outcomes,
    path_warnings,
    random_playthroughs,
    validate_budget,
)
from simulator.scoring import default_detector
from simulator.validate import validate_paths, validate_scenario

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "branching.yaml"
DETECTOR = default_detector()
CATALOGUE = DETECTOR.catalogue

# A slip at the first step (labelling) costs a little mood, which the second step wins
# back: the best ending is still reached, and nothing excludes it.
SLIP = """\
id: slip
title: 失言也能圆满
category: 申诉求决
meters:
  mood: {start: 60, label: 情绪激动, higher_is: worse}
steps:
  - id: first
    visitor: 我又来了。
    good: [listen.acknowledge_feelings]
    bad: [mindset.labelling]
    effects:
      good: {mood: -20}
      bad: {mood: 10}
    next: [{goto: second}]
    examples:
      - answer: 您辛苦了，这么远跑过来。
        present: [listen.acknowledge_feelings]
      - answer: 怎么又是你？
        present: [mindset.labelling]
  - id: second
    visitor: 那怎么办？
    good: [statement.procedure_timeline]
    effects:
      good: {mood: -50}
endings:
  - id: calm
    title: 平静离开
    outcome: good
    when: mood < 40
    text: 好。
  - id: angry
    title: 生气离开
    outcome: bad
    text: 不好。
"""

# Choosing "record, but send him to a leader" scores 65 and ends badly; a silent first
# step then a good choice scores 50 and ends well: the ranges overlap.
OVERLAP = """\
id: overlap
title: 得分与结局对不上
category: 申诉求决
steps:
  - id: first
    visitor: 你好。
    good: [listen.acknowledge_feelings, listen.hospitality]
    next: [{goto: second}]
  - id: second
    visitor: 怎么办？
    answer: choice
    options:
      - text: 记录下来
        shows: [classify.record]
      - text: 记录下来，但说得找领导
        shows: [classify.record, statement.point_to_leader]
    good: [classify.record]
    bad: [statement.point_to_leader]
    next:
      - when: choice == 2
        goto: blamed
endings:
  - id: fine
    title: 顺利
    outcome: good
    when: "seen.isdisjoint(['statement.point_to_leader'])"
    text: 好。
  - id: blamed
    title: 被投诉
    outcome: bad
    text: 不好。
"""

# ask and again form a loop; only a second good answer to ask gets out of it.
LOOP = """\
id: loop
title: 来回兜圈
category: 申诉求决
meters:
  trust: {start: 0, label: 信任}
steps:
  - id: ask
    visitor: 你说什么？
    good: [listen.invite_to_speak]
    effects:
      good: {trust: 30}
    next:
      - when: trust >= 50
        goto: done
      - goto: again
  - id: again
    visitor: 我没听清。
    good: [listen.acknowledge_feelings]
    next: [{goto: ask}]
endings:
  - id: done
    title: 说清楚了
    outcome: good
    text: 好。
  - id: lost
    title: 没说清楚
    outcome: bad
    text: 不好。
"""


def load(text: str, name: str = "s.yaml"):
    scenario, problems = load_scenario_text(text, name)
    assert scenario is not None, [str(p) for p in problems]
    return scenario


def line_of(text: str, needle: str) -> int:
    return text.count("\n", 0, text.index(needle)) + 1


# ---------------------------------------------------------------- outcomes


def test_outcomes_of_a_free_step_best_examples_worst_without_repeats():
    s = load(SLIP)
    found = outcomes(s.steps[0], 0, CATALOGUE.criteria)
    # Example 1 shows what the best answer shows, example 2 what the worst shows.
    assert [(o.label, sorted(o.shown), o.score, o.bad) for o in found] == [
        ("最佳回答", ["listen.acknowledge_feelings"], 100.0, ()),
        ("示例 2", ["mindset.labelling"], 0.0, ("mindset.labelling",)),
    ]


def test_outcomes_of_a_choice_step_are_its_options_best_first():
    s = load(OVERLAP)
    found = outcomes(s.steps[1], 1, CATALOGUE.criteria)
    assert [(o.label, o.choice, o.score) for o in found] == [("选项 1", 1, 100.0), ("选项 2", 2, 65.0)]


# ---------------------------------------------------------------- the engine's rules


def test_ranges_on_the_fixture():
    a = analyse(load(FIXTURE.read_text(encoding="utf-8")), CATALOGUE)
    assert a.complete and a.paths == 4
    assert {e: (r.low, r.high) for e, r in a.ranges.items()} == {
        "calmed": (100.0, 100.0), "escalation": (0.0, 50.0), "unresolved": (66.7, 66.7)}
    assert a.ranges["escalation"].high_path == (("arrival", "最佳回答"), ("choose", "选项 2"))


class Scripted:
    """A detector that shows, for an answer ``step|label``, that outcome's criteria."""

    def __init__(self, shown: dict[str, frozenset[str]]) -> None:
        self.catalogue = CATALOGUE
        self.shown = shown

    def detect(self, text: str, extra=None) -> Detection:
        return Detection(text, {cid: () for cid in self.shown[text]})


def scenarios_to_replay():
    paths = sorted(builtin_dir("scenarios").glob("*.yaml"))
    paths += [FIXTURE, *sorted((HERE / "fixtures" / "authoring").glob("*.yaml"))]
    return [pytest.param(p, id=p.stem) for p in paths]


@pytest.mark.parametrize("path", scenarios_to_replay())
def test_every_path_found_plays_the_same_through_the_engine(path):
    scenario, _ = load_scenario(path, catalogue=CATALOGUE)
    analysis = analyse(scenario, CATALOGUE)
    assert analysis.complete and analysis.ranges
    for found in analysis.ranges.values():
        for steps, score in ((found.low_path, found.low), (found.high_path, found.high)):
            shown, answers = {}, []
            for sid, label in steps:
                i = next(k for k, st in enumerate(scenario.steps) if st.id == sid)
                outcome = next(o for o in outcomes(scenario.steps[i], i, CATALOGUE.criteria)
                               if o.label == label)
                text = str(outcome.choice) if outcome.choice else f"{sid}|{label}"
                shown[text] = outcome.shown
                answers.append(text)
            session = Session.replay(scenario, answers, Scripted(shown))
            assert session.finished and session.ending is found.ending, (path.stem, steps)
            assert session.attempt().score == score, (path.stem, steps)


@pytest.mark.parametrize(("source", "names"), [
    ("mood >= 95", {"mood": 95}),
    ("mood >= 95", {"mood": 94}),
    ("'x.y' in shown or score < 20", {"shown": frozenset(), "score": 10.0}),
    ("choice == 2 and mood < 40.5", {"choice": 2, "mood": 40}),
    ("seen.isdisjoint(['a.b', 'c.d'])", {"seen": frozenset({"c.d"})}),
    ("steps['first'].score > 50 if steps else false", {"steps": {"first": {"score": 60.0}}}),
    ("(shown | list | length) > 1 and 'x' ~ 'y' == 'xy'", {"shown": frozenset({"a", "b"})}),
    ("visitor.name == '张先生' and -mood < -3", {"visitor": {"name": "张先生"}, "mood": 4}),
    ("undefined_name > 3", {}),
])
def test_conditions_with_lifted_constants_hold_as_in_the_engine(source, names):
    assert _holds(source, names) == Session._holds(source, names)


def test_only_membership_questions_let_seen_be_narrowed():
    assert _asked_of_seen("'a.b' in seen and 'c.d' not in seen") == {"a.b", "c.d"}
    assert _asked_of_seen("mood < 3 and seen.isdisjoint(['a.b', 'e.f'])") == {"a.b", "e.f"}
    assert _asked_of_seen("seen | length > 2") is None
    assert _asked_of_seen("'a.b' in seen or seen") is None


# ---------------------------------------------------------------- the two warnings


def test_a_warned_against_answer_that_reaches_the_best_ending_is_reported_at_its_line():
    problems = validate_scenario(load(SLIP), CATALOGUE)
    assert len(problems) == 1
    p = problems[0]
    assert p.severity == "warning" and p.line == line_of(SLIP, "- answer: 怎么又是你？")
    assert "步骤 first 的示例 2出现了应避免的 mindset.labelling" in p.message
    assert "最好的结局 calm（平静离开）" in p.message
    assert "first（示例 2） → second（最佳回答） → calm" in p.message


def test_excluding_the_slip_from_the_best_ending_silences_the_warning():
    fixed = SLIP.replace("when: mood < 40", "when: mood < 40 and 'mindset.labelling' not in seen")
    assert validate_scenario(load(fixed), CATALOGUE) == []


def test_the_worst_answer_points_at_the_bad_list_when_no_example_shows_it():
    text = SLIP.replace("      - answer: 怎么又是你？\n        present: [mindset.labelling]\n", "")
    (p,) = validate_scenario(load(text), CATALOGUE)
    assert p.line == line_of(text, "bad: [mindset.labelling]") and "最差回答" in p.message


def test_overlapping_score_ranges_are_reported_at_the_good_ending():
    problems = validate_scenario(load(OVERLAP), CATALOGUE)
    assert len(problems) == 1
    p = problems[0]
    assert p.severity == "warning" and p.line == line_of(OVERLAP, "- id: fine")
    assert "好结局 fine 的得分范围 50–100 与坏结局 blamed 的 32.5–82.5 重叠" in p.message
    assert "first（最差回答） → second（选项 1） → fine 只得 50 分" in p.message


def test_validate_prints_the_path_warning_in_the_contract_format(capsys, tmp_path):
    path = tmp_path / "slip.yaml"
    path.write_text(SLIP, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    col = SLIP.splitlines()[line_of(SLIP, "- answer: 怎么又是你？") - 1].index("answer") + 1
    assert out.startswith(f"{path}:{line_of(SLIP, '- answer: 怎么又是你？')}:{col}: warning: 步骤 first")


def test_builtin_library_has_no_path_warnings():
    assert validate_paths([builtin_dir("scenarios")]) == []


def test_validate_paths_flag_prints_the_ranges(capsys):
    assert main(["validate", "--paths", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert "路径分析（已穷尽所有路径）：覆盖 4 条路径" in out
    assert "结局 escalation（矛盾升级，坏结局）：得分 0–50" in out
    assert "最高：arrival（最佳回答） → choose（选项 2） → escalation" in out


# ---------------------------------------------------------------- loops and budget


def test_loops_end_and_each_step_comes_up_at_most_twice():
    a = analyse(load(LOOP), CATALOGUE)
    assert a.complete and a.loops_cut > 0
    assert a.ranges["done"].high_path == (("ask", "最佳回答"), ("again", "最佳回答"),
                                          ("ask", "最佳回答"))
    assert a.ranges["done"].low_path == (("ask", "最佳回答"), ("again", "最差回答"),
                                         ("ask", "最佳回答"))
    assert "lost" not in a.ranges  # every other way round the loop is cut, not ended
    problems = validate_scenario(load(LOOP), CATALOGUE)
    assert [p.message for p in problems] == ["结局 lost 永远不会被走到"]  # the flow check's


def test_the_budget_caps_the_work():
    scenario, _ = load_scenario(builtin_dir("scenarios") / "retiree.yaml", catalogue=CATALOGUE)
    small = analyse(scenario, CATALOGUE, budget=50)
    assert not small.complete and small.steps_computed == 50
    full = analyse(scenario, CATALOGUE)
    assert full.complete and full.steps_computed <= DEEP_BUDGET
    for eid, r in small.ranges.items():  # what a small budget finds is real, and inside
        assert full.ranges[eid].low <= r.low <= r.high <= full.ranges[eid].high


def test_a_share_too_small_to_try_each_answer_skips_the_analysis():
    s = load(SLIP)
    assert answer_count(s) == 6  # first: best, 2 examples, worst; second: best, worst
    assert path_warnings(s, CATALOGUE, budget=5) == []
    assert path_warnings(s, CATALOGUE, budget=6) != []
    assert validate_budget(1) == DEEP_BUDGET and validate_budget(15) > 1663
    assert validate_budget(1000) == 25


# ---------------------------------------------------------------- random playthroughs


def test_random_playthroughs_are_the_same_for_a_seed_and_differ_across_seeds():
    scenario, _ = load_scenario(builtin_dir("scenarios") / "angry-repeat-visitor.yaml",
                                catalogue=CATALOGUE)
    first = random_playthroughs(scenario, DETECTOR, 25, seed=7)
    again = random_playthroughs(scenario, DETECTOR, 25, seed=7)
    other = random_playthroughs(scenario, DETECTOR, 25, seed=8)
    assert first.visits == again.visits and first.endings == again.endings
    assert first.visits != other.visits
    assert len(first.visits) == 25 and sum(first.endings.values()) == 25
    assert all(v[0] == "arrival" and v[-1] in first.endings for v in first.visits)


def test_random_playthroughs_use_the_detector_on_example_answers():
    scenario = load(SLIP)
    cov = random_playthroughs(scenario, DETECTOR, 40, seed=1)
    # second has no example: its model answer (none here) falls back to a neutral reply,
    # so mood never gets below 40 and calm is never reached.
    assert cov.endings == {"calm": 0, "angry": 40}
    assert [e.id for e in cov.missed_endings] == ["calm"] and cov.missed_steps == []


def test_cli_random_reports_what_was_never_reached(capsys, tmp_path):
    path = tmp_path / "slip.yaml"
    path.write_text(SLIP, encoding="utf-8")
    assert main(["test", "--random", "10", "--seed", "3", str(path)]) == 0
    out, err = capsys.readouterr()
    assert f"{path}：随机走 10 遍，走到 2/2 个步骤、1/2 个结局" in out
    assert f"没走到的结局：calm（第 {line_of(SLIP, '- id: calm')} 行）" in out
    assert "结局分布：angry 10" in out
    assert "每个随机走 10 遍（种子 3）：1 个场景有没走到的步骤或结局" in err
    assert main(["test", "--random", "10", "--seed", "3", str(path)]) == 0
    assert capsys.readouterr().out == out  # deterministic


def test_cli_random_needs_a_positive_count(capsys):
    assert main(["test", "--random", "0", str(FIXTURE)]) == 2
    assert "--random 应为正整数" in capsys.readouterr().err
