"""Chinese line breaking (kinsoku) used for every block of text in the TUI."""

from __future__ import annotations

from rich.cells import cell_len

from simulator.tui.widgets.prose import NO_END, NO_START, prose, wrap, wrap_offsets


def lines(text: str, width: int) -> list[str]:
    return wrap(prose(text), width).plain.split("\n")


def test_no_line_starts_with_closing_punctuation():
    text = "你好，我找王局长。上周你们窗口的同志说了，我这事只有王局长能拍板。"
    for width in range(6, 40):
        got = lines(text, width)
        assert "".join(got) == text
        assert all(cell_len(line) <= width for line in got)
        assert all(line[0] not in NO_START for line in got), (width, got)
        assert all(line[-1] not in NO_END for line in got), (width, got)


def test_section_mark_and_latin_words_stay_together():
    text = "一个座位、一杯热茶，比任何解释都更快让人平静下来（§3）。请拨打12345热线"
    for width in range(10, 40):
        got = lines(text, width)
        assert not any(line.endswith(("（", "§")) for line in got), (width, got)
        assert not any(line.startswith(("3）", "）", "2345", "345")) for line in got), (width, got)


def test_existing_newlines_and_styles_are_kept():
    text = "第一行\n第二行很长很长很长很长"
    assert wrap_offsets(text, 10) == [9, 14]  # the given newline resets the line
    styled = prose("很长很长很长很长的回答").stylize("bold", 5, 7)
    wrapped = wrap(prose(styled), 8)
    assert wrapped.plain == "很长很长\n很长很长\n的回答"
    assert [(s.start, s.end, s.style) for s in wrapped.spans] == [(6, 8, "bold")]


def test_markdown_soft_breaks_between_chinese_are_joined():
    from simulator.tui.widgets.prose import join_cjk_lines

    text = "她说大队已\n经立案，\n还约了人。\n\n- 先接住情绪；\n- 讲清楚。\n## 标题\nabc\n接着"
    assert join_cjk_lines(text) == "她说大队已经立案，还约了人。\n\n- 先接住情绪；\n- 讲清楚。\n## 标题\nabc\n接着"


def test_visitor_lines_keep_breaks_between_sentences():
    from simulator.tui.widgets.prose import join_cjk_lines

    text = "第二条，设个帮办代\n办的岗位，\n老人不会用。\n我看着着急！"
    assert join_cjk_lines(text, keep_sentences=True) == "第二条，设个帮办代办的岗位，老人不会用。\n我看着着急！"
