"""What the rubric says to the trainee: the hint before an answer, the feedback after it.

Every verdict row names the criterion (catalogue title), its guidance section and the
evidence found in the answer, with one line on doing better under it. The same rows are
used by the practice feedback panel and by the debrief.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from simulator.model import Criterion, Section, Step, StepResult, Verdict
from simulator.tui.widgets.prose import prose

GOOD_STYLE = "bold $success underline"
BAD_STYLE = "bold $error underline"


def section_label(criterion: Criterion, sections: dict[int, Section]) -> str:
    """``§3 耐心倾听`` for a catalogue criterion, ``本案要点`` for a step's local one."""
    if not criterion.section:
        return "本案要点"
    section = sections.get(criterion.section)
    return f"§{criterion.section} {section.title}" if section else f"§{criterion.section}"


def highlight_answer(text: str, verdicts: tuple[Verdict, ...]) -> Content:
    """The answer with each evidence span styled: good in green, warned-against in red."""
    content = Content(text)
    for verdict in verdicts:
        if not verdict.present:
            continue
        style = GOOD_STYLE if verdict.kind == "good" else BAD_STYLE
        for start, end in verdict.spans:
            content = content.stylize(style, start, end)
    return content


def _lookup(step: Step, criteria: dict[str, Criterion], cid: str) -> Criterion | None:
    return step.local.get(cid) or criteria.get(cid)


def verdict_rows(
    step: Step, result: StepResult, criteria: dict[str, Criterion], sections: dict[int, Section]
) -> list[tuple[Content, Content | None]]:
    """(head, detail) per verdict: ✓ shown, ✗ missed, ⚠ warned-against shown, ＋ beyond the step.

    Warned-against criteria the answer avoided are summed up in one last row.
    """
    rows: list[tuple[Content, Content | None]] = []
    avoided: list[str] = []
    for verdict in result.verdicts:
        criterion = _lookup(step, criteria, verdict.criterion)
        if criterion is None:
            continue
        if verdict.kind == "bad" and not verdict.present:
            avoided.append(criterion.title)
            continue
        if verdict.kind == "good" and verdict.present:
            mark, style = ("✓" if verdict.expected else "＋"), "$success"
            advice = criterion.feedback_shown
        elif verdict.kind == "good":
            mark, style = "✗", "$warning"
            advice = criterion.feedback_missing or f"可以做到：{criterion.description}"
        else:
            mark, style = "⚠", "$error"
            advice = criterion.feedback_shown or criterion.description
        head = [(f"{mark} ", f"bold {style}"), (criterion.title, "bold"),
                (f"  {section_label(criterion, sections)}", "$text-muted")]
        if not verdict.expected:
            head.append(("（额外做到）" if verdict.kind == "good" else "（本步未列出）", "$text-muted"))
        quotes = "".join(f"「{e}」" for e in verdict.evidence if e)
        detail = Content.assemble((quotes, style), (" " if quotes and advice else ""),
                                  (advice, "$text-muted"))
        rows.append((Content.assemble(*head), detail if detail.plain else None))
    if avoided:
        rows.append((Content.assemble(("○ 已避免：", "$text-muted"), ("、".join(avoided), "$text-muted")),
                     None))
    if not rows:
        rows.append((Content.styled("本步没有需要评判的要点。", "$text-muted"), None))
    return rows


class VerdictList(Vertical):
    """Verdict rows: the head, then the evidence and the advice indented under it."""

    DEFAULT_CSS = """
    VerdictList {
        height: auto;
        & > .verdict-head { height: auto; }
        & > .verdict-detail { height: auto; padding-left: 2; }
    }
    """

    def __init__(self, rows: list[tuple[Content, Content | None]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows = rows

    def compose(self) -> ComposeResult:
        for head, detail in self.rows:
            yield Static(prose(head), classes="verdict-head")
            if detail is not None:
                yield Static(prose(detail), classes="verdict-detail")


class FeedbackPanel(VerdictList):
    """The practice-mode feedback after one answer, titled with the step's score."""

    DEFAULT_CSS = """
    FeedbackPanel {
        border: round $secondary;
        border-title-color: $secondary;
        padding: 0 1;
        margin: 1 0 0 2;
    }
    """

    def __init__(self, step: Step, result: StepResult, criteria: dict[str, Criterion],
                 sections: dict[int, Section], **kwargs) -> None:
        super().__init__(verdict_rows(step, result, criteria, sections), **kwargs)
        self.border_title = f"点评 · 本步 {result.score:g} 分（{result.level}）"


def hint_content(step: Step, criteria: dict[str, Criterion], sections: dict[int, Section]) -> Content:
    """What this step expects, before the trainee answers."""
    lines: list[Content] = []
    if step.hint:
        lines.append(Content.assemble(("提示：", "bold"), step.hint))
    for title, style, ids in (("要做到：", "bold $success", step.good),
                              ("要避免：", "bold $error", step.bad)):
        found = [c for c in (_lookup(step, criteria, cid) for cid in ids) if c]
        if found:
            items = "；".join(f"{c.title}（{section_label(c, sections)}）" for c in found)
            lines.append(Content.assemble((title, style), items))
    if not lines:
        lines.append(Content.styled("这一步没有特别的提示。", "$text-muted"))
    return Content("\n").join(lines)


class HintPanel(Static):
    """What the current step expects; toggled by the trainee before answering."""

    DEFAULT_CSS = """
    HintPanel {
        border: round $accent;
        border-title-color: $accent;
        padding: 0 1;
        height: auto;
        max-height: 8;
    }
    """

    def on_mount(self) -> None:
        self.border_title = "本步提示（F2 隐藏）"

    def show_for(self, step: Step, criteria: dict[str, Criterion], sections: dict[int, Section]) -> None:
        self.update(prose(hint_content(step, criteria, sections)))
