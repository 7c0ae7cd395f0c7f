"""Normalisation and clause splitting (simulator.scoring.text)."""

import pytest

from simulator.scoring import text as text_module
from simulator.scoring.text import chinese_to_int, normalise, split


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("十五", 15), ("六十", 60), ("一百二十", 120), ("两", 2), ("三十", 30), ("二〇二四", 2024), ("十", 10)],
)
def test_chinese_numerals(numeral, value):
    assert chinese_to_int(numeral) == value


def test_numerals_before_a_unit_become_digits():
    assert normalise("十五日内答复").text == "15日内答复"
    assert normalise("六十天").text == "60天"
    assert normalise("十五个工作日").text == "15个工作日"


def test_numerals_without_a_unit_stay():
    assert normalise("一直在听").text == "一直在听"
    assert normalise("十分感谢").text == "十分感谢"


def test_full_width_and_punctuation_are_folded():
    norm = normalise("ＡＢＣ１２３，“好”！")
    assert norm.text == 'abc123,"好"!'


def test_traditional_to_simplified():
    assert normalise("這個問題我們會轉給有關部門").text == "这个问题我们会转给有关部门"


def test_control_and_bidi_marks_are_dropped_keeping_offsets():
    text = "请\u200f坐\x07下"
    norm = normalise(text)
    assert norm.text == "请坐下"
    assert norm.to_original(1, 2) == (2, 3)


def test_spaces_between_chinese_characters_are_dropped():
    text = "别 着 急 ， 我 记 下 来"
    norm = normalise(text)
    assert norm.text == "别着急,我记下来"
    start = norm.text.index("记下来")
    a, b = norm.to_original(start, start + 3)
    assert text[a:b] == "记 下 来"


def test_a_space_between_words_is_a_pause_that_ends_a_clause():
    text = "这个不归我们管 您去辖区派出所 就在前面"
    norm = normalise(text)
    assert norm.text == "这个不归我们管,您去辖区派出所,就在前面"
    assert len(split(norm.text).clauses) == 3
    start = norm.text.index("您去")
    assert norm.to_original(start, start + 2) == (text.index("您去"), text.index("您去") + 2)
    assert normalise("您 好").text == "您好"  # single characters: typed apart, no pause


def test_offsets_map_back_after_numerals_change_length():
    text = "我们六十日内答复您"
    norm = normalise(text)
    start = norm.text.index("60日内")
    a, b = norm.to_original(start, start + len("60日内"))
    assert text[a:b] == "六十日内"


def test_offsets_after_nfkc_expansion():
    text = "面积㎡很大，请坐"
    norm = normalise(text)
    start = norm.text.index("请坐")
    a, b = norm.to_original(start, start + 2)
    assert text[a:b] == "请坐"


def per_character_edit(norm, edits):
    """``text._edit`` the slow way: one piece per character, then rebuilt."""
    chars = text_module._pieces(norm)
    pieces, last = [], 0
    for a, b, new in edits:
        pieces += chars[last:a]
        pieces.append((new, chars[a][1], chars[b - 1][2]))
        last = b
    pieces += chars[last:]
    return text_module._rebuild(pieces, norm.original)


@pytest.mark.parametrize("original", ["我们六十日内答复您", "面积㎡很大，十五日内答复", "別 着 急，三十天",
                                      "两个月 后 再来", "ａ　十 五 日"])
def test_edits_map_every_character_back_as_the_per_character_way(original):
    for norm in (text_module.Normalised(original, original), normalise(original)):
        n = len(norm.text)
        for edits in ([(0, 1, "")], [(0, 2, "15")], [(1, 3, ""), (4, n, "七")], [(n - 1, n, "xyz")]):
            if n >= 5:
                fast, slow = text_module._edit(norm, edits), per_character_edit(norm, edits)
                assert fast == slow, (original, edits)
                assert [fast.to_original(i, i + 1) for i in range(len(fast.text))] == \
                    [slow.to_original(i, i + 1) for i in range(len(slow.text))]


def test_clauses_split_on_punctuation_and_contrast_words():
    text = normalise("我不能保证结果，但是会按程序办理。您先坐").text
    clauses = [text[a:b] for a, b in split(text).clauses]
    assert clauses == ["我不能保证结果", "但是会按程序办理", "您先坐"]


def test_contrast_inside_words_does_not_split():
    text = normalise("他不但来了，我们从不过问").text
    clauses = [text[a:b] for a, b in split(text).clauses]
    assert clauses == ["他不但来了", "我们从不过问"]


def test_decimal_point_does_not_split():
    text = normalise("补偿3.5万元").text
    assert [text[a:b] for a, b in split(text).clauses] == ["补偿3.5万元"]


def test_sentences():
    text = normalise("第一句，还是第一句。第二句！").text
    assert [text[a:b] for a, b in split(text).sentences] == ["第一句,还是第一句", "第二句"]
