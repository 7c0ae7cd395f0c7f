"""Pilot tests of the whole practice flow: home, briefing, conversation, debrief, dialogs."""

from __future__ import annotations

import shutil

from textual.command import CommandInput, CommandPalette
from textual.widgets import Input, Markdown
from tui_helpers import (
    BAD_ARRIVAL,
    DEMO,
    GOOD_ARRIVAL,
    GOOD_REFERRAL,
    answer,
    choose,
    fixture_detector,
    make_app,
    settle,
    start,
    type_text,
)

from simulator.tui.app import SimulatorApp
from simulator.tui.dialogs.confirm import ConfirmAbandon
from simulator.tui.dialogs.help import HelpDialog
from simulator.tui.screens.briefing import BriefingScreen
from simulator.tui.screens.conversation import ConversationScreen
from simulator.tui.screens.debrief import DebriefScreen, StepReview
from simulator.tui.screens.home import HomeScreen
from simulator.tui.widgets.answer import ChoiceList
from simulator.tui.widgets.bars import MeterPanel
from simulator.tui.widgets.feedback import FeedbackPanel, HintPanel
from simulator.tui.widgets.library import ScenarioList


def plain(widget) -> str:
    """The text a Static shows (its content, before wrapping)."""
    return str(widget.render())


def texts(screen, selector: str) -> list[str]:
    return [plain(w) for w in screen.query(selector)]


def visitor_lines(screen) -> list[str]:
    return texts(screen, ".visitor-line")


class Recorder:
    """Collects what the app hands to a store."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.attempts: list[tuple[str | None, bool]] = []

    def step_scored(self, session, result) -> None:
        self.steps.append(result.step)

    def attempt_ended(self, session, attempt, abandoned) -> None:
        self.attempts.append((attempt.ending, abandoned))


# -- home ------------------------------------------------------------------------------


async def test_home_lists_the_library_with_details():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        listing = app.screen.query_one(ScenarioList)
        assert [o.id for o in listing.options] == ["road-suggestion-demo", "wage-arrears-demo"]
        assert app.screen.focused is app.screen.query_one("#filter")
        details = plain(app.screen.query_one("#details"))
        assert "修路的建议" in details and "一位退休教师" in details
        await pilot.press("down")
        details = plain(app.screen.query_one("#details"))
        assert "讨薪的农民工" in details and "申诉求决" in details and "约 5 分钟" in details


async def test_filter_by_typing_and_clear():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        listing = app.screen.query_one(ScenarioList)
        await type_text(pilot, "#filter", "建议意见")
        assert [o.id for o in listing.options] == ["road-suggestion-demo"]
        await pilot.press("z", "z")
        assert listing.option_count == 0
        assert "没有符合筛选条件" in plain(app.screen.query_one("#details"))
        await pilot.press("escape")
        assert listing.option_count == 2
        # typing while the list has focus still goes to the filter
        listing.focus()
        await pilot.press("w", "a", "g", "e")
        assert app.screen.query_one("#filter", Input).value == "wage"
        assert [o.id for o in listing.options] == ["wage-arrears-demo"]


async def test_broken_scenario_files_are_reported_not_listed(tmp_path):
    shutil.copy(DEMO, tmp_path)
    (tmp_path / "broken.yaml").write_text("id: broken\ntitle: [未闭合\n", encoding="utf-8")
    app = SimulatorApp(scenario_dirs=[tmp_path], detector=fixture_detector())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert [o.id for o in app.screen.query_one(ScenarioList).options] == ["wage-arrears-demo"]
        [note] = app._notifications
        assert note.title == "有 1 个场景文件无法载入" and "broken.yaml:" in note.message


async def test_mouse_click_opens_briefing():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        listing = app.screen.query_one(ScenarioList)
        await pilot.click(ScenarioList, offset=(4, 6))  # second entry: 3 lines, a rule, then it
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen)
        assert app.screen.scenario.id == listing.options[1].id
        await pilot.click("#back")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


# -- briefing and conversation -----------------------------------------------------------


async def test_briefing_renders_and_enter_starts():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await type_text(pilot, "#filter", "讨薪")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen)
        markdown = app.screen.query_one("#briefing-text", Markdown)
        assert "区住房保障中心" in markdown.source and "{{" not in markdown.source
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        assert app.screen.focused is app.screen.query_one("#answer-input")
        [line] = visitor_lines(app.screen)
        assert "王师傅（情绪激动：很高）" in line and "区住房保障中心到底管不管" in line


async def test_free_and_choice_answers_reach_the_good_ending_and_debrief():
    recorder = Recorder()
    app = make_app(recorder=recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        screen = app.screen
        meters = screen.query_one(MeterPanel)
        await answer(pilot, GOOD_ARRIVAL)
        assert meters.values == {"mood": 50, "trust": 50}
        assert meters.deltas == {"mood": -30, "trust": 30}
        said = screen.query(".trainee-line").first().render()  # evidence highlighted
        assert {said.plain[s.start:s.end] for s in said.spans} >= {"你", "跑了这么多趟", "辛苦了"}
        [panel] = screen.query(FeedbackPanel)
        heads = texts(panel, ".verdict-head")
        assert "✓ 体谅来访者的情绪  §3 耐心倾听" in heads
        details = texts(panel, ".verdict-detail")
        assert details[0].startswith("「跑了这么多趟」「辛苦了」 先接住")
        assert panel.border_title.startswith("点评 · 本步 100 分")
        # the choice step: numbered actions, picked with a digit
        choices = screen.query_one(ChoiceList)
        assert choices.display and screen.focused is choices
        assert "1. 拿出登记表" in str(choices.get_option_at_index(0).prompt)
        await choose(pilot, 1)
        assert "你的选择" in texts(screen, ".trainee-line")[-1]
        await answer(pilot, GOOD_REFERRAL)
        assert screen.session.finished
        assert "情绪平复，转办跟进" in texts(screen, ".ending-line")[0]
        assert len(screen.query(FeedbackPanel)) == 3
        assert recorder.steps == ["arrival", "choose_action", "referral"]
        assert recorder.attempts == [("settled", False)]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DebriefScreen)
        debrief = app.screen
        assert debrief.attempt.ending == "settled"
        assert debrief.attempt.score == 100.0
        assert debrief.query_one("#score").value == "100"
        assert "优秀" in plain(debrief.query_one("#level"))
        assert len(debrief.query(StepReview)) == 3
        model = texts(debrief, ".model-answer")
        assert len(model) == 3 and "参考答案" in model[2] and "劳动监察大队" in model[2]
        said = texts(debrief, ".said")
        assert "王师傅（情绪激动：很高）：我都跑了五个部门了" in said[0] and GOOD_ARRIVAL in said[0]
        assert "你的选择：1. 拿出登记表" in said[1]
        heads = texts(debrief, ".verdict-head")
        assert any("✓ 指明该找的部门" in h for h in heads)


async def test_bad_answer_branches_to_walked_out_ending():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        await answer(pilot, BAD_ARRIVAL)
        screen = app.screen
        assert screen.session.ending.id == "walked_out"
        [panel] = screen.query(FeedbackPanel)
        heads = texts(panel, ".verdict-head")
        assert any(h.startswith("⚠ 给来访者贴标签  §1") for h in heads)
        assert any(d.startswith("「该说的都说了」") for d in texts(panel, ".verdict-detail"))
        assert any("✗ 热情接待" in h for h in heads)
        assert "来访者愤而离开" in texts(screen, ".ending-line")[0]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.attempt.score <= 40


async def test_choice_with_arrows_and_enter():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        await answer(pilot, GOOD_ARRIVAL)
        await pilot.press("down", "enter")
        await settle(pilot)
        result = app.screen.session.results[-1]
        assert result.choice == 2
        assert "statement.deny_responsibility" in result.present
        assert "2. 告诉他" in texts(app.screen, ".trainee-line")[-1]


async def test_choice_by_mouse_and_escape_home_after_the_ending():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot, "修路")
        await pilot.click(ChoiceList, offset=(4, 1))  # the first action
        await settle(pilot)
        assert app.screen.session.results[-1].choice == 1
        await answer(pilot, "您的建议我们会转有关部门研究，采纳与否都会告诉您。")
        assert app.screen.session.ending.id == "thanked"
        await pilot.press("escape")  # over: no question asked
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_empty_answer_is_not_submitted():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.session.results == []
        assert "请先输入回答" in plain(app.screen.query_one("#answer-status"))


async def test_hint_toggles_with_f2():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        hint = app.screen.query_one(HintPanel)
        assert not hint.display
        await pilot.press("f2")
        assert hint.display
        shown = plain(hint)
        assert "先体谅他跑了好几趟的辛苦" in shown and "体谅来访者的情绪" in shown and "要避免" in shown
        await answer(pilot, GOOD_ARRIVAL)
        assert "先把情况记下来" in plain(hint)  # follows the current step
        await pilot.press("f2")
        assert not hint.display


async def test_scoring_error_keeps_the_answer():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        session = app.screen.session
        real = session.answer

        def broken(text):
            raise RuntimeError("boom")

        session.answer = broken
        await answer(pilot, GOOD_ARRIVAL)
        box = app.screen.query_one("#answer-input", Input)
        assert box.value == GOOD_ARRIVAL and not box.disabled
        assert [n.title for n in app._notifications] == ["评分出错"]
        assert "内部错误" in next(iter(app._notifications)).message
        session.answer = real
        app.screen.query_one("#answer-input", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert [r.answer for r in session.results] == [GOOD_ARRIVAL]


# -- debrief, retry, abandon -----------------------------------------------------------


async def test_retry_starts_a_fresh_visit():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        await answer(pilot, BAD_ARRIVAL)
        old = app.screen.session
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        assert app.screen.session is not old and app.screen.session.results == []
        assert len(visitor_lines(app.screen)) == 1
        await pilot.press("escape")  # unfinished: asks first
        await settle(pilot)
        assert isinstance(app.screen, ConfirmAbandon)


async def test_debrief_escape_goes_home():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        await answer(pilot, BAD_ARRIVAL)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert len(app.screen_stack) == 1


async def test_escape_asks_before_abandoning():
    recorder = Recorder()
    app = make_app(recorder=recorder)
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        await answer(pilot, GOOD_ARRIVAL)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmAbandon)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        assert recorder.attempts == []
        await pilot.press("escape")
        await settle(pilot)
        await pilot.click("#abandon")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert recorder.attempts == [(None, True)]
        assert recorder.steps == ["arrival"]


# -- help, palette, theme, mode ---------------------------------------------------------


async def test_help_opens_and_closes():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpDialog)
        source = app.screen.query_one(Markdown).source
        assert "评分怎么算" in source and "F2" in source
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_command_palette_starts_a_scenario_by_name():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert CommandPalette.is_open(app)
        palette = app.screen.query_one(CommandInput)
        palette.insert_text_at_cursor("修路")
        await pilot.pause(0.5)
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, BriefingScreen)
        assert app.screen.scenario.id == "road-suggestion-demo"


async def test_command_palette_speaks_chinese():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        palette = app.screen.query_one(CommandInput)
        assert palette.placeholder == "输入场景名称或命令……"
        palette.insert_text_at_cursor("zzzz")
        await pilot.pause(1.0)
        shown = [str(o.prompt) for o in app.screen.query_one("CommandList").options]
        assert shown == ["没有找到匹配的场景或命令"]
        palette.value = ""
        palette.insert_text_at_cursor("主题")
        await pilot.pause(0.5)
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.theme == "textual-light"
        assert app.screen.query_one("HeaderIcon").tooltip == "打开命令面板（Ctrl+P）"


async def test_theme_toggles():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"


async def test_exam_mode_hides_feedback_and_hints():
    app = make_app(mode="exam")
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        await pilot.press("f2")
        assert not app.screen.query_one(HintPanel).display
        await answer(pilot, GOOD_ARRIVAL)
        assert len(app.screen.query(FeedbackPanel)) == 0
        assert len(app.screen.session.results) == 1
        said = app.screen.query(".trainee-line").last().render()
        assert said.plain.endswith(GOOD_ARRIVAL) and not [s for s in said.spans if s.start > 1]
