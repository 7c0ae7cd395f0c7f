"""The engine: rendering, scoring, meters (scaled, once, clamped), branches, endings,
determinism, closing early and replay — on the small fixture scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.data import builtin_dir
from simulator.engine import Session, _round, resolve_scenario, said_texts
from simulator.loader import load_scenario, load_scenario_text

FIXTURE = Path(__file__).parent / "fixtures" / "branching.yaml"
BASE = FIXTURE.read_text(encoding="utf-8")

GOOD_ARRIVAL = "您跑了好几趟，确实不容易。先坐下喝口水。"
HALF_ARRIVAL = "您跑了好几趟，确实不容易。"  # feelings, no hospitality
RUDE = "怎么又是你，该讲的都讲了。"
TIMELINE = "受理后一般60日内办结，到时书面答复您。"


def scenario(text: str = BASE):
    loaded, problems = load_scenario_text(text, "branching.yaml")
    assert loaded is not None, [str(p) for p in problems]
    return loaded


def variant(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def play(answers: list[str], text: str = BASE) -> Session:
    session = Session(scenario(text))
    for answer in answers:
        session.answer(answer)
    return session


def test_render_fills_vars_and_meters():
    session = Session(scenario())
    assert session.visitor_name() == "王女士"
    assert session.visitor_line() == "我找区住房保障中心找了好几趟了！"
    assert session.render("{{ visitor.name }}，情绪 {{ mood }}") == "王女士，情绪 80"
    assert session.options() == []  # a free step


def test_render_is_sandboxed():
    session = Session(scenario())
    out = session.render("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    assert "<class" not in out


def test_good_path_reaches_the_calm_ending():
    session = play([GOOD_ARRIVAL])
    first = session.results[0]
    assert (first.step, first.goto, first.score, first.level) == ("arrival", "choose", 100.0, "优秀")
    assert first.meters == {"mood": 50, "trust": 60}
    assert {"listen.acknowledge_feelings", "listen.hospitality"} <= set(first.present)
    assert session.current.id == "choose"
    assert session.options() == ["把王女士反映的情况详细记下来", "告诉她只有局长能拍板"]
    second = session.answer("1")
    assert (second.answer, second.choice, second.goto, second.present) == ("1", 1, "record",
                                                                           ["classify.record"])
    third = session.answer(TIMELINE)
    assert set(third.present) == {"name_the_limit", "statement.procedure_timeline"}
    assert third.meters == {"mood": 30, "trust": 100}
    assert third.goto == "calmed" and session.finished and session.ending.id == "calmed"
    attempt = session.attempt()
    assert (attempt.ending, attempt.score, attempt.level) == ("calmed", 100.0, "优秀")
    assert attempt.sections == {3: 100.0, 4: 100.0, 5: 100.0}
    assert session.current is None and session.visitor_line() == ""


def test_bad_effects_apply_once_and_meters_are_clamped():
    session = play([RUDE])
    result = session.results[0]
    assert "mindset.labelling" in result.present
    assert result.meters == {"mood": 100, "trust": 0}  # 80+50 and 20-50, clamped
    assert result.goto == "escalation" and session.ending.id == "escalation"
    assert result.score == 0.0


def test_good_effects_scale_with_the_share_shown():
    criteria = Session(scenario()).detector.catalogue.criteria
    w_feel = criteria["listen.acknowledge_feelings"].weight
    w_host = criteria["listen.hospitality"].weight
    share = w_feel / (w_feel + w_host)
    result = play([HALF_ARRIVAL]).results[0]
    assert result.meters == {"mood": 80 + _round(-30 * share), "trust": 20 + _round(40 * share)}
    assert result.goto == "record"  # no hospitality shown: the second branch does not hold


def test_rounding_is_half_away_from_zero():
    assert [_round(x) for x in (2.5, -2.5, 0.4, -0.4, -15.0)] == [3, -3, 0, 0, -15]


def test_choice_condition_picks_the_branch():
    session = play([GOOD_ARRIVAL, "2"])
    assert session.results[1].meters["mood"] == 80  # 50 + 30 bad effect
    assert session.ending.id == "escalation"


def test_endings_fall_through_to_the_default():
    session = play([HALF_ARRIVAL, "我们尽快。"])
    assert session.ending.id == "unresolved"
    assert session.attempt().ending == "unresolved"


def test_without_a_default_the_last_ending_is_taken():
    text = variant("    title: 没有谈拢\n", "    title: 没有谈拢\n    when: mood > 1000\n")
    assert play([HALF_ARRIVAL, "我们尽快。"], text).ending.id == "unresolved"


def test_score_cap_of_the_ending():
    text = variant("when: choice == 2", "when: choice == 1")
    attempt = play([GOOD_ARRIVAL, "1"], text).attempt()
    assert attempt.ending == "escalation"
    assert [r.score for r in attempt.steps] == [100.0, 100.0] and attempt.score == 59.0


def test_conditions_see_steps_seen_and_shown():
    text = variant("    effects:\n      good: {mood: -20, trust: 20}\n",
                   "    effects:\n      good: {mood: -20, trust: 20}\n    next:\n"
                   "      - when: \"steps.arrival.score == 50 and 'listen.acknowledge_feelings' in seen"
                   " and 'listen.acknowledge_feelings' not in shown and score == 0\"\n"
                   "        goto: calmed\n")
    assert play([HALF_ARRIVAL, "我们尽快。"], text).ending.id == "calmed"


def test_a_condition_failing_at_run_time_does_not_hold():
    text = variant("when: mood >= 95", "when: mood > visitor")  # int > dict: TypeError
    session = play([RUDE], text)
    assert session.results[0].goto == "record"  # neither the failing nor the shown branch


def test_bad_option_numbers_raise_in_chinese():
    session = play([GOOD_ARRIVAL])
    for bad in ("0", "3", "abc", ""):
        with pytest.raises(ValueError, match="请输入 1 到 2 之间的选项编号"):
            session.answer(bad)
    assert len(session.results) == 1 and session.current.id == "choose"
    assert session.answer(" ２ ").choice == 2  # full-width digits from a Chinese IME


def test_close_scores_what_was_answered_without_an_ending():
    session = play([GOOD_ARRIVAL])
    attempt = session.close()
    assert session.finished and attempt.ending is None and len(attempt.steps) == 1
    assert attempt.score == 100.0
    with pytest.raises(ValueError, match="已经结束"):
        session.answer("1")


def test_unfinished_attempt_has_no_ending():
    session = play([HALF_ARRIVAL])
    assert not session.finished and session.attempt().ending is None


def test_deterministic_and_replay_matches_live_play():
    answers = [GOOD_ARRIVAL, "1", TIMELINE]
    one, two = play(answers), play(answers)
    assert one.attempt() == two.attempt()
    replayed = Session.replay(scenario(), [r.answer for r in one.results] + ["多余的答案"])
    assert replayed.attempt() == one.attempt()
    assert replayed.meters == one.meters and replayed.ending == one.ending
    with pytest.raises(ValueError):
        Session.replay(scenario(), [GOOD_ARRIVAL, "7"])


def test_resolve_scenario_by_path_or_builtin_id(tmp_path):
    assert resolve_scenario(str(FIXTURE)) == FIXTURE
    assert resolve_scenario("no-such-scenario") is None
    assert resolve_scenario("../etc/passwd") is None
    builtin = sorted(builtin_dir("scenarios").glob("*.yaml"))
    if builtin:
        assert resolve_scenario(builtin[0].stem) == builtin[0]


def test_builtin_scenarios_play_their_model_answers_to_a_good_ending():
    files = sorted(builtin_dir("scenarios").glob("*.yaml"))
    assert files, "no built-in scenarios"
    for path in files:
        loaded, problems = load_scenario(path)
        assert loaded is not None, [str(p) for p in problems]
        session = Session(loaded)
        for _ in range(50):
            if session.finished:
                break
            step = session.current
            session.answer("1" if step.answer == "choice" else session.render(step.model_answer))
        assert session.finished and session.ending is not None, path
        assert session.ending.outcome == "good", (path, session.ending.id)


def test_said_texts_render_a_stored_choice_as_it_was_shown():
    session = play([GOOD_ARRIVAL, "1"])
    said = said_texts(session.scenario, session.results)
    assert said == [GOOD_ARRIVAL, "1. 把王女士反映的情况详细记下来"]
