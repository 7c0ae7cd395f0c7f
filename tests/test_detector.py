"""The criteria detector: catalogue examples, meaning-not-keywords rules, bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulator.data import builtin_dir
from simulator.scoring import default_detector, load_catalogue
from simulator.scoring.patterns import Lexicon, PatternError, compile_matcher

# (id, example present, example not present) from the catalogue table (shared/spec/criteria.md).
CATALOGUE_EXAMPLES = [
    ("mindset.labelling", "该讲的都讲了，你还要怎么样？", "您反映的问题我们一直记着。"),
    ("mindset.one_voice", "他们部门那是瞎说，别听他们的。", "我们会内部统一意见后正式答复您。"),
    ("listen.acknowledge_feelings", "跑了好几趟，确实不容易，我理解您的心情。", "请出示身份证。"),
    ("listen.invite_to_speak", "您别急，慢慢说，我听着。", "说重点。"),
    ("listen.hospitality", "您先坐，我给您倒杯茶。", None),
    ("listen.cut_off", "长话短说，我后面还有人。", "您说得很清楚，我再确认一下。"),
    ("classify.record", "我先把您反映的情况详细记录下来。", None),
    ("classify.ask_evidence", "请您实事求是地提供相关证据和线索。", None),
    ("classify.refer_department", "这事归区人社局劳动监察大队管，地址在……", "不归我们管。"),
    ("classify.suggestion_feedback", "您的建议我们会转有关部门研究，采纳与否都会告诉您。", None),
    ("classify.psych_support", "要不要请我们的心理咨询老师和您聊聊？", None),
    ("statement.rash_promise", "您放心，这事包在我身上，保证给您解决。", "结果我现在没法向您保证。"),
    ("statement.point_to_leader", "这个只有局长才能拍板，您得去找他。", "我会向领导汇报后答复您。"),
    ("statement.deny_responsibility", "这不归我们管，我也不知道该找谁。", "这不归我们管，您可以去区市场监管局反映。"),
    ("statement.procedure_timeline", "受理后一般60日内办结，到时书面答复您。", "我们尽快。"),
    ("statement.speculation", "按理说应该能批下来吧。", "这个政策我核实清楚后再答复您。"),
    ("handle.transfer_and_track", "我们转给街道办理，并会跟踪督办。", "我转给街道了。"),
    ("handle.forward_and_forget", "材料转过去了，后面的事您自己找他们。", None),
    ("handle.check_records", "我去调阅一下当年的分房档案。", None),
    ("aftercare.progress_updates", "留个电话，有进展我第一时间告诉您。", None),
    ("aftercare.other_remedies", "如果对处理意见不服，可以在30日内申请复查。", None),
    ("aftercare.follow_up_visit", "下周我们和社区一起上门看看您。", None),
]


@pytest.fixture(scope="module")
def detect():
    detector = default_detector()
    return lambda text: set(detector.detect(text).present)


def test_catalogue_has_every_contract_id():
    ids = {cid for cid, _, _ in CATALOGUE_EXAMPLES}
    catalogue = load_catalogue()
    assert ids <= set(catalogue.criteria)
    for criterion in catalogue.criteria.values():
        assert 1 <= criterion.section <= 7
        assert criterion.title and criterion.description
        assert criterion.feedback_shown if criterion.kind == "bad" else criterion.feedback_missing
    assert set(catalogue.sections) == set(range(1, 8))


@pytest.mark.parametrize(("cid", "present", "absent"), CATALOGUE_EXAMPLES, ids=[c[0] for c in CATALOGUE_EXAMPLES])
def test_catalogue_examples(detect, cid, present, absent):
    assert cid in detect(present)
    if absent is not None:
        assert cid not in detect(absent)


@pytest.mark.parametrize(
    ("text", "cid"),
    [
        ("我不能保证结果。", "statement.rash_promise"),
        ("这种事我可不敢打包票。", "statement.rash_promise"),
        ("我们从来没有觉得您是来找麻烦的。", "mindset.labelling"),
        ("您别觉得我们把您当刺头。", "mindset.labelling"),
        ("不是不归我们管，是需要先核实。", "statement.deny_responsibility"),
        ("我们绝不会一转了之。", "handle.forward_and_forget"),
    ],
)
def test_negated_forms_are_not_present(detect, text, cid):
    assert cid not in detect(text)


@pytest.mark.parametrize(
    ("text", "cid"),
    [
        ("我不能跟您说“肯定没问题”。", "statement.rash_promise"),
        ("我没说只有领导才能解决。", "statement.point_to_leader"),
        ("之前有同事跟您说只有局长能拍板，这个说法不准确。", "statement.point_to_leader"),
        ("他们说您是刺头，我可不这么认为。", "mindset.labelling"),
    ],
)
def test_quoted_or_mentioned_to_reject_is_not_present(detect, text, cid):
    assert cid not in detect(text)


def test_contrast_judges_each_clause(detect):
    found = detect("结果我没法保证，但我保证按程序办理，60日内书面答复您。")
    assert "statement.rash_promise" not in found
    assert "statement.procedure_timeline" in found
    found = detect("这事不归我们管，不过您可以去区人社局劳动监察大队反映。")
    assert "classify.refer_department" in found
    assert "statement.deny_responsibility" not in found


def test_double_negative_is_affirmative(detect):
    assert "statement.deny_responsibility" not in detect("这事我们不能不管。")
    assert "listen.acknowledge_feelings" in detect("您这一趟趟跑，不是不辛苦，是太不容易了。")


@pytest.mark.parametrize(("text", "words", "expected"), [
    ("这事我们不能不管。", "我们不", True),    # 不能不: the words' own 不 is cancelled
    ("这事我们不是不想办。", "们不", True),
    ("这事我们不管。", "我们不", False),
    ("我们不管，不归这儿。", "我们不", False),   # the next 不 is in another clause
    ("我们不会忘记您。", "我们", False),         # no negator in the words
])
def test_a_negator_in_the_deciding_words_may_be_cancelled(text, words, expected):
    from simulator.scoring.patterns import Context, cancelled
    from simulator.scoring.text import split

    start = text.index(words)
    assert cancelled(Context(text, split(text)), start, start + len(words)) is expected


def test_promise_of_process_is_not_a_promise_of_outcome(detect):
    assert "statement.rash_promise" not in detect("我保证按程序办理，及时答复您。")
    assert "statement.rash_promise" in detect("我保证给您解决。")


def test_refusal_that_names_where_to_go_is_a_referral(detect):
    found = detect("这不归我们管，您去区市场监管局反映。")
    assert "classify.refer_department" in found
    assert "statement.deny_responsibility" not in found
    assert "statement.deny_responsibility" in detect("这不归我们管，您回去吧。")


def test_transfer_without_follow_up_is_not_transfer_and_track(detect):
    assert "handle.transfer_and_track" not in detect("材料我转给街道了。")
    assert "handle.transfer_and_track" in detect("材料我转给街道了，后面我会盯着进度，催他们办。")


def test_neutral_mention_of_a_leader(detect):
    assert "statement.point_to_leader" not in detect("我会向领导汇报后答复您。")


def test_words_with_negator_characters_that_do_not_negate(detect):
    found = detect("您别着急，慢慢说，跑这么多趟真不容易。")
    assert {"listen.invite_to_speak", "listen.acknowledge_feelings"} <= found


def test_conditional_remedy_is_present(detect):
    assert "aftercare.other_remedies" in detect("如果不服，可以依法申请复核。")


def test_traditional_characters(detect):
    assert "listen.hospitality" in detect("您先坐，我給您倒杯茶。")


def test_evidence_is_original_text():
    found = default_detector().detect("您先坐，我給您倒杯茶。受理後一般六十日內辦結")
    assert "倒杯" in found.evidence["listen.hospitality"][-1] or "倒杯茶" in "".join(found.evidence["listen.hospitality"])
    assert any("六十日內" in s for s in found.evidence["statement.procedure_timeline"])


@pytest.mark.parametrize(
    "text",
    ["", " ", "\x00\x01\x02", "😀" * 50, "\u202e请坐\u202c", "OK, please sit down 请坐", "请坐" * 50_000,
     "\ud800 lone surrogate 请坐", "“" * 1000, "但" * 1000, "不" * 5000],
)
def test_bad_text_never_crashes(text):
    found = default_detector().detect(text)
    for cid, spans in found.spans.items():
        for a, b in spans:
            assert 0 <= a <= b <= len(text), cid


@pytest.mark.parametrize(
    ("line", "key"),
    [
        (b"not json", "error"),
        (b'{"no_text": 1}', "error"),
        (b'{"text": 5}', "error"),
        (b"[1, 2]", "error"),
        (b"", "error"),
        (b'{"text": "\\u8bf7\\u5750", "id": 7}', "present"),
        ('{"text": "\\ud800请坐"}'.encode(), "present"),
        (b"\xff\xfe garbage", "error"),
        (b"[" * 100_000, "error"),
    ],
)
def test_detect_json_line_contract(line, key):
    out = default_detector().detect_json_line(line)
    record = json.loads(out)
    assert key in record
    out.encode("utf-8")  # always writable


def test_pattern_vocabulary_errors_are_specific():
    lexicon = Lexicon({"tea": ["茶", "水"]})
    with pytest.raises(PatternError, match="未定义的同义词集合 @coffee"):
        compile_matcher({"any": ["喝@coffee"]}, lexicon)
    with pytest.raises(PatternError, match="括号"):
        compile_matcher({"any": ["(喝|倒"]}, lexicon)
    with pytest.raises(PatternError, match="未知的键"):
        compile_matcher({"any": ["茶"], "unless": ["x"]}, lexicon)
    with pytest.raises(PatternError, match="scope"):
        compile_matcher({"any": [{"all": ["茶"], "scope": "page"}]}, lexicon)
    with pytest.raises(PatternError, match="“\\$”不是词表符号"):
        compile_matcher({"any": ["找…去$"]}, lexicon)
    with pytest.raises(PatternError, match="@odd 中的“.\\*”"):
        compile_matcher({"any": ["@odd"]}, Lexicon({"odd": ["茶", ".*"]}))


def test_pattern_vocabulary_features():
    from simulator.scoring.patterns import Context
    from simulator.scoring.text import normalise, split

    lexicon = Lexicon({"tea": ["茶", "热水"]})

    def hits(spec, text):
        norm = normalise(text).text
        return bool(compile_matcher(spec, lexicon).find(Context(norm, split(norm))))

    assert hits({"any": ["倒(杯|碗)?@tea"]}, "我给您倒杯热水")
    assert hits({"any": ["保证…解决"]}, "保证给您尽快解决")
    assert not hits({"any": ["保证…解决"]}, "保证，以后再解决")  # the gap stays in one clause
    assert hits({"any": ["#个工作日"]}, "十五个工作日")
    assert hits({"any": [{"all": ["转给", "跟踪"], "scope": "answer"}]}, "转给街道。我会跟踪")
    assert not hits({"any": [{"all": ["转给", "跟踪"]}]}, "转给街道。我会跟踪")
    assert not hits({"any": [{"all": ["茶"], "not": ["不喝"]}]}, "茶我就不喝了")


def test_phrases_mixed_with_gaps_and_numbers_match_the_same_on_the_fast_path():
    """A part mixing plain phrases with gap or number alternatives is split so the phrases
    stay on the one-pass scan; the scan and the plain regex path must agree."""
    from simulator.scoring.patterns import Context
    from simulator.scoring.text import normalise, split

    lexicon = Lexicon({"send": ["转给", "交给…办理"]})
    matcher = compile_matcher({"any": [{
        "all": ["@send|递过去", "跟踪|#天内(给您)?回复"],
        "not": ["@send…就不管", "以前"],
        "scope": "sentence"}]}, lexicon)
    assert len(matcher.rules) == 4  # (phrases | gaps) x (phrases | numbers)
    scanner = lexicon.scanner()

    def hits(text, scanner):
        norm = normalise(text).text
        return bool(matcher.find(Context(norm, split(norm), scanner)))

    cases = {
        "我转给街道，会跟踪到底。": True,
        "交给街道办理，十五天内给您回复。": True,
        "材料递过去了，我跟踪。": True,
        "转给街道就不管了，你跟踪什么。": False,  # excluded by a gap alternative of `not`
        "以前转给街道，跟踪过。": False,  # excluded by a plain one
        "交给街道办理。": False,
        "十五天内给您回复。": False,
    }
    for text, expected in cases.items():
        assert hits(text, scanner) == hits(text, None) == expected, text


def test_phrases_are_normalised_as_answers_are():
    """Answers are matched in normalised form (三天两头 is 3天两头 by then); a phrase a
    trainer writes the natural way must still match, on the scan and on the regex path."""
    from simulator.scoring.patterns import Context
    from simulator.scoring.text import normalise, split

    lexicon = Lexicon({})
    matcher = compile_matcher({"any": ["三天两头(来|跑)|十五日内(答复|回复)|這件事"]}, lexicon)
    scanner = lexicon.scanner()
    for text in ["他三天两头来一趟", "我们十五日内答复您", "這件事我记下了", "这件事我记下了"]:
        norm = normalise(text).text
        assert matcher.find(Context(norm, split(norm), scanner)), text
        assert matcher.find(Context(norm, split(norm))), text
    assert not matcher.find(Context("三天后再来", split("三天后再来")))


def test_a_gap_part_with_words_answers_never_hold_is_refused():
    """A part with a gap or a number is a regex over normalised answers: words that
    normalisation would change are refused, with the form to write instead."""
    with pytest.raises(PatternError, match="“15日”"):
        compile_matcher({"any": ["十五日…答复"]}, Lexicon({}))
    with pytest.raises(PatternError, match="“这”"):
        compile_matcher({"any": ["這…#天"]}, Lexicon({}))
    compile_matcher({"any": ["15日…答复|#日内…答复"]}, Lexicon({}))  # written normalised: fine


def test_rubric_files_read_the_same_without_libyaml():
    """PyYAML's own parser is stricter than libyaml's (an unquoted ``?`` in a flow list):
    an install without libyaml must read the built-in rubrics all the same."""
    for name in ("guidance.yaml", "criteria.yaml"):
        text = (builtin_dir("rubrics") / name).read_text(encoding="utf-8")
        fast = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        assert yaml.load(text, Loader=yaml.SafeLoader) == fast, name


def test_detections_do_not_depend_on_the_hash_seed():
    """The catalogue is compiled from sets (phrases, alternatives); the regexes it makes
    must not follow their iteration order, which changes with each process's hash seed.
    Two ties in length once put a regex's alternatives in either order, and the evidence
    of handle.forward_and_forget came out one character shorter in some processes."""
    script = (
        "import json, pathlib, sys\n"
        "from simulator.scoring import default_detector\n"
        "d = default_detector()\n"
        "texts = [json.loads(line)['text'] for p in sorted(pathlib.Path(sys.argv[1]).glob('dev_*.jsonl'))\n"
        "         for line in p.read_text('utf-8').splitlines() if line.strip()]\n"
        "print(json.dumps([d.detect(t).spans for t in texts]))\n"
    )
    data = str(Path(__file__).parent / "data")
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "SIMULATOR_CACHE": "off"}
        done = subprocess.run([sys.executable, "-c", script, data], capture_output=True, text=True,
                              env=env, check=True, cwd=Path(__file__).parent.parent)
        outputs.add(done.stdout)
    assert len(outputs) == 1
