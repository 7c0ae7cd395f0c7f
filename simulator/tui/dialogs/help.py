"""Help (F1): the key bindings of every screen and how answers are scored."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from simulator.tui.widgets.markdown import ChineseMarkdown

HELP = """\
## 按键

| 按键 | 作用 |
|---|---|
| F1 | 打开或关闭本帮助 |
| F3 | 切换学员（用工号和姓名签到） |
| F4 | 练习记录：历次得分、各部分变化、推荐练习 |
| F5 | 参加考试：选择考试、签到，限时作答 |
| F6 | 人工复核（培训老师）：修改某一步的判定或得分，写明复核人和理由 |
| Ctrl+P | 命令面板：按名称开始任一场景、切换主题 |
| Ctrl+T | 切换浅色／深色主题 |
| Ctrl+Q | 退出 |

**场景库**：直接打字即可筛选；↑↓ 选择场景；Enter 阅读接待简报；Esc 清除筛选。

**接待简报**：Enter 开始接待；Esc 返回场景库。

**接待对话**：在底部输入框写下你要说的话，Enter 提交；选择题按数字键 1–9，\
或用 ↑↓ 加 Enter；F2 显示或隐藏本步提示；Esc 放弃本次练习（会先确认）。

**讲评**：R 再练一次；Esc 返回场景库。鼠标可以点选列表、按钮和底部按键。

**练习记录**：↑↓ 选择推荐的场景，Enter 开始“练这个”；Esc 返回。每一步回答都会立即保存，\
程序意外退出后再打开，可以接着没做完的练习往下答。

**考试**：顶部显示剩余时间；考试中没有提示、不显示评分；一个场景结束后自动进入下一个；\
时间到自动交卷；Esc 提前交卷（会先确认）。交卷后才显示成绩和逐步点评。

## 评分怎么算

- 每一步都列出了**要做到的要点**（如体谅情绪、请对方坐下慢慢说）和**要避免的做法**\
（如贴标签、随口许诺）。每个要点都对应接待工作指引的一个部分（§1–§7）。
- 系统在你的回答里找出每个要点的**证据**（原话片段），点评里会高亮标出。
- 本步得分 = 做到的要点所占的权重比例 × 100，再减去每个要避免的做法的扣分，\
限定在 0–100 分之间。
- 总分是各步得分的加权平均；有些不理想的结局会给总分设上限。
- 等级：90 分以上优秀，75 分以上良好，60 分以上合格，其余为需改进。
- 讲评中的“按指引各部分的表现”把所有步骤按 §1–§7 汇总，帮你找出薄弱的环节。
- 你的回答还会影响来访者的情绪和信任（右侧的指示条），进而决定对话走向和结局。
"""


class HelpDialog(ModalScreen[None]):
    """Key bindings and scoring rules; Esc, F1 or Q closes it."""

    BINDINGS = [Binding("escape,f1,q", "close", "关闭帮助")]

    DEFAULT_CSS = """
    HelpDialog {
        align: center middle;
        background: $background 60%;
        & > Vertical {
            width: 90;
            max-width: 95%;
            height: 90%;
            border: thick $accent;
            border-title-color: $accent;
            background: $surface;
            padding: 0 1;
        }
        & #help-scroll { height: 1fr; }
        & Markdown { padding: 0; margin: 0; }
        & #help-footer { height: 1; color: $text-muted; text-align: center; }
    }
    """

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "帮助"
            with VerticalScroll(id="help-scroll"):
                yield ChineseMarkdown(HELP, id="help-text")
            yield Static("按 Esc 或 F1 关闭", id="help-footer")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
