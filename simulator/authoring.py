"""Trainers' authoring tools: a scenario skeleton, the branch graph, the coverage matrix.

* ``skeleton`` / ``write_skeleton`` — ``simulator new``: a commented scenario that
  validates and passes ``simulator test``, with the schema line for editors;
* ``graph`` — ``simulator graph``: steps, branches (labelled with their conditions) and
  endings (with the score range the path analysis found) as Mermaid or Graphviz text;
* ``coverage`` and its renderers — ``simulator coverage``: which guidance sections (§1–§7)
  and which criteria each scenario trains, and the criteria no scenario trains.

Nothing here plays a visit: the graph asks ``simulator.paths`` for score ranges, and
everything else reads loaded ``Scenario`` models.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.model import Scenario, Step

# ------------------------------------------------------------------ simulator new

SCHEMA = Path(__file__).resolve().parent / "schema" / "scenario.schema.json"

_SKELETON = """\
# yaml-language-server: $schema={schema}
# 场景骨架（由 simulator new 生成）。按注释改写内容，改完后：
#   simulator validate {name}.yaml   检查格式、引用和分支
#   simulator test {name}.yaml       运行每一步的示例答案
#   simulator graph {name}.yaml      画出分支图（可贴进 Markdown）
# 键用英文，内容用中文；写法说明见 simulator/schema/scenario.schema.json。
id: {name}                     # 小写字母、数字和连字符，与文件名相同
title: 新场景：请改写标题
category: 申诉求决             # 建议意见 | 检举控告 | 申诉求决
situations: [情绪激动]          # 情形标签
difficulty: 2                  # 难度 1–5
minutes: 6                     # 预计用时（分钟）
description: 一句话介绍这个场景，显示在场景列表中。
visitor_name: "{{{{ visitor.name }}}}"
vars:                          # 模板变量：在文字里写 {{{{ unit }}}}、{{{{ visitor.name }}}}
  unit: 区住房保障中心
  visitor: {{name: 王先生}}
briefing: |
  你是{{{{ unit }}}}信访接待室的接待员。{{{{ visitor.name }}}}为一件拖了三个月的事第二次来访，
  进门时情绪不太好。先接住情绪，再讲清怎么办理（§3、§5）。
meters:                        # 计量：效果（effects）改变它们，分支和结局的条件读取它们
  mood: {{start: 70, min: 0, max: 100, label: 情绪激动, higher_is: worse}}
  trust: {{start: 30, label: 信任}}
steps:                         # 第一步开始接待
  # 自由作答：学员写一句话，按 good（应做到）和 bad（应避免）中的评分标准打分。
  # 评分标准编号见 simulator criteria；也可以用 local 为这一步加本地标准。
  - id: arrival
    visitor: 我的事拖了三个月了，你们{{{{ unit }}}}到底管不管？
    good: [listen.acknowledge_feelings, listen.hospitality, listen.invite_to_speak]
    bad: [mindset.labelling, listen.cut_off]
    effects:
      good: {{mood: -30, trust: 30}}     # 按做到的 good 所占比例缩放
      bad: {{mood: 30, trust: -20}}      # 出现任何一个 bad 时生效一次
    next:                        # 依次判断，第一个成立的分支生效；不带 when 的是“否则”
      - when: "'mindset.labelling' in shown or 'listen.cut_off' in shown"
        goto: walked_out
      - goto: next_step
    hint: 先体谅他跑了几趟的辛苦，请他坐下，再请他慢慢说（§3）。
    model_answer: 您为这件事跑了好几趟，确实不容易。先请坐，喝口水，慢慢说，我听着。
    examples:                    # simulator test 逐条检查：应检出 present，不应检出 absent
      - answer: 您为这件事跑了好几趟，确实不容易。先请坐，喝口水，慢慢说，我听着。
        present: [listen.acknowledge_feelings, listen.hospitality, listen.invite_to_speak]
      - answer: 怎么又是你？该说的都说了。
        present: [mindset.labelling]
        absent: [listen.acknowledge_feelings]

  # 选择题：学员从编号选项中选一个，每个选项用 shows 标出它体现的评分标准。
  - id: next_step
    visitor: 那你们到底打算怎么办？
    answer: choice
    options:
      - text: 把{{{{ visitor.name }}}}反映的情况详细记录下来，讲清受理程序和答复时限
        shows: [classify.record, statement.procedure_timeline]
      - text: 告诉他这事只有领导才能拍板，让他去找领导
        shows: [statement.point_to_leader]
    good: [classify.record, statement.procedure_timeline]
    bad: [statement.point_to_leader]
    effects:
      good: {{mood: -30, trust: 40}}
      bad: {{mood: 30, trust: -30}}
    hint: 先记录，再讲清程序和时限；不要把人往领导那里推（§4、§5）。
    model_answer: 选 1：先详细记录，再讲清受理程序和答复时限。
    examples:                    # 选择题的示例答案写选项编号
      - answer: "1"
        present: [classify.record, statement.procedure_timeline]
      - answer: "2"
        present: [statement.point_to_leader]

endings:                         # 依次判断，第一个 when 成立的结局生效；不带 when 的是默认结局
  - id: settled
    title: 情绪平复，按程序办理
    outcome: good                # good | neutral | bad
    when: >-
      mood < 40 and trust >= 60 and seen.isdisjoint([
      'mindset.labelling', 'listen.cut_off', 'statement.point_to_leader'])
    text: |
      {{{{ visitor.name }}}}的情绪平复下来，留下了联系电话，同意按程序等待答复。
  - id: walked_out
    title: 不欢而散
    outcome: bad
    score_cap: 59                # 以这个结局结束时，总分最多 59 分
    text: |
      {{{{ visitor.name }}}}没有得到想要的态度和答复，带着火气离开了（§3、§5）。
"""


class AuthoringError(Exception):
    """A request the tools cannot carry out; the message is for the trainer."""


def schema_reference(folder: Path) -> str:
    """The ``$schema`` value for a scenario written in ``folder``: a relative path inside
    the checkout that holds this package, else the schema file's URI."""
    root = SCHEMA.parents[2]
    folder = folder.resolve()
    if (root / "pyproject.toml").is_file() and folder.is_relative_to(root):
        return Path(os.path.relpath(SCHEMA, folder)).as_posix()
    return SCHEMA.as_uri()


def skeleton(name: str, folder: Path) -> str:
    """The text of a new scenario ``name`` to be written in ``folder``."""
    return _SKELETON.format(name=name, schema=schema_reference(folder))


def write_skeleton(name: str, folder: Path) -> Path:
    """Write ``folder/name.yaml`` (the folder is created); never overwrites a file."""
    path = folder / f"{name}.yaml"
    if path.exists():
        raise AuthoringError(f"{path} 已经存在，不会覆盖；请换一个名字，或先移走原文件")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(skeleton(name, folder))
    except FileExistsError:
        raise AuthoringError(f"{path} 已经存在，不会覆盖；请换一个名字，或先移走原文件") from None
    except OSError as exc:
        raise AuthoringError(f"无法写入 {path}：{exc.strerror or exc}") from None
    return path


# ------------------------------------------------------------------ simulator graph

_KIND = {"good": "好结局", "neutral": "一般结局", "bad": "坏结局"}
_FILL = {"good": ("#d9f2d9", "#2e7d32"), "neutral": ("#eeeeee", "#616161"),
         "bad": ("#f9d6d5", "#c62828")}
_EXCERPT = 18


@dataclass(frozen=True, slots=True)
class _Edge:
    source: str
    target: str
    label: str
    #: Taken when no branch of the step holds: the endings are picked by their own ``when``.
    fallthrough: bool = False


def _edges(s: Scenario, ids: dict[str, str]) -> list[_Edge]:
    """Each step's branches in order up to the first unconditional one; when there is none,
    the endings in order up to the default one (dashed)."""
    out: list[_Edge] = []
    for i, step in enumerate(s.steps):
        source = f"s{i + 1}"
        unconditional = False
        for branch in step.next:
            if branch.goto in ids:
                out.append(_Edge(source, ids[branch.goto], _condition(branch.when)))
            if branch.when is None:
                unconditional = True
                break
        if unconditional:
            continue
        for k, ending in enumerate(s.endings):
            out.append(_Edge(source, f"e{k + 1}", _condition(ending.when), fallthrough=True))
            if ending.when is None:
                break
    return out


def _condition(when: str | None) -> str:
    return "否则" if when is None else " ".join(when.split())


def _step_label(step: Step, render: Any) -> str:
    kind = f"选择题（{len(step.options)} 个选项）" if step.answer == "choice" else "自由作答"
    line = " ".join(render(step.visitor).split())
    line = line if len(line) <= _EXCERPT else line[:_EXCERPT] + "……"
    return f"{step.id}\n{kind}\n{line}" if line else f"{step.id}\n{kind}"


def _ending_label(ending: Any, ranges: dict[str, tuple[float, float]]) -> str:
    found = ranges.get(ending.id)
    if found is None:
        score = "分析中没有路径走到"
    elif found[0] == found[1]:
        score = f"得分 {found[0]:g}"
    else:
        score = f"得分 {found[0]:g}–{found[1]:g}"
    return f"{ending.title}（{ending.id}）\n{_KIND[ending.outcome]} · {score}"


def graph(scenario: Scenario, fmt: str = "mermaid", analysis: Any = None,
          render: Any = None) -> str:
    """The branch graph of a scenario as Mermaid (``flowchart TD``) or Graphviz (``dot``).

    ``analysis`` (``simulator.paths.Analysis``) puts each ending's score range on it;
    ``render`` fills in a visitor line's template (default: shown as written).
    """
    render = render or (lambda text: text)
    ranges = {eid: (r.low, r.high) for eid, r in analysis.ranges.items()} if analysis else {}
    ids = {e.id: f"e{k + 1}" for k, e in enumerate(scenario.endings) if e.id}
    ids.update({st.id: f"s{i + 1}" for i, st in enumerate(scenario.steps) if st.id})
    steps = [(f"s{i + 1}", st, _step_label(st, render))
             for i, st in enumerate(scenario.steps)]
    endings = [(f"e{k + 1}", e, _ending_label(e, ranges)) for k, e in enumerate(scenario.endings)]
    edges = _edges(scenario, ids)
    note = ""
    if analysis is not None:
        how = "已穷尽所有路径" if analysis.complete else "未穷尽，范围只含已覆盖的路径"
        note = f"得分范围来自路径分析（{how}，{analysis.paths} 条路径）"
    if fmt == "dot":
        return _dot(scenario, steps, endings, edges, note)
    return _mermaid(scenario, steps, endings, edges, note)


def _mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label: entity codes for what the parser would take as
    syntax (``#`` first, since every code starts with it), ``<br/>`` for line breaks."""
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"),
                       ("&", "#amp;"), ("|", "#124;"), ("`", "#96;")):
        text = text.replace(char, code)
    return text.replace("\n", "<br/>")


def _mermaid(s: Scenario, steps: list, endings: list, edges: list[_Edge], note: str) -> str:
    lines = [f"%% 场景：{' '.join(s.title.split())}（{s.id}）"]
    if note:
        lines.append(f"%% {note}")
    lines += ["flowchart TD", '    start(("开始"))']
    for node, step, label in steps:
        open_, close = ("{{", "}}") if step.answer == "choice" else ("[", "]")
        lines.append(f'    {node}{open_}"{_mermaid_text(label)}"{close}')
    for node, _, label in endings:
        lines.append(f'    {node}(["{_mermaid_text(label)}"])')
    if steps:
        lines.append("    start --> s1")
    for edge in edges:
        arrow = "-.->" if edge.fallthrough else "-->"
        lines.append(f'    {edge.source} {arrow}|"{_mermaid_text(edge.label)}"| {edge.target}')
    for outcome, (fill, stroke) in _FILL.items():
        lines.append(f"    classDef {outcome} fill:{fill},stroke:{stroke}")
    for outcome in _FILL:
        nodes = [node for node, ending, _ in endings if ending.outcome == outcome]
        if nodes:
            lines.append(f"    class {','.join(nodes)} {outcome}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    """A Graphviz double-quoted string (backslash and quote escaped, ``\\n`` line breaks)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot(s: Scenario, steps: list, endings: list, edges: list[_Edge], note: str) -> str:
    title = f"{' '.join(s.title.split())}（{s.id}）" + (f"\n{note}" if note else "")
    font = '"Noto Sans CJK SC"'
    lines = [
        f"digraph {_dot_text(s.id)} {{",
        f"    graph [rankdir=TB, labelloc=t, fontname={font}, label={_dot_text(title)}];",
        f"    node [fontname={font}, fontsize=11];",
        f"    edge [fontname={font}, fontsize=10];",
        '    start [shape=circle, label="开始"];',
    ]
    for node, step, label in steps:
        shape = "hexagon" if step.answer == "choice" else "box"
        lines.append(f"    {node} [shape={shape}, label={_dot_text(label)}];")
    for node, ending, label in endings:
        fill, stroke = _FILL[ending.outcome]
        lines.append(f'    {node} [shape=doubleoctagon, style=filled, fillcolor="{fill}", '
                     f'color="{stroke}", label={_dot_text(label)}];')
    if steps:
        lines.append("    start -> s1;")
    for edge in edges:
        style = ", style=dashed" if edge.fallthrough else ""
        lines.append(f"    {edge.source} -> {edge.target} [label={_dot_text(edge.label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ simulator coverage


@dataclass(slots=True)
class ScenarioCoverage:
    """What one scenario trains: steps per guidance section and per criterion."""

    id: str
    title: str
    steps: int
    sections: dict[int, int] = field(default_factory=dict)
    #: criterion id -> (steps that expect it in good/bad, steps that offer it in an option,
    #: steps that do either)
    criteria: dict[str, tuple[int, int, int]] = field(default_factory=dict)


@dataclass(slots=True)
class Coverage:
    """The library's coverage matrix and the criteria it leaves untrained."""

    scenarios: list[ScenarioCoverage]
    catalogue: Any

    def section_total(self, section: int) -> int:
        return sum(sc.sections.get(section, 0) for sc in self.scenarios)

    def criterion_total(self, cid: str) -> int:
        return sum(sc.criteria[cid][2] for sc in self.scenarios if cid in sc.criteria)

    @property
    def untrained(self) -> list[str]:
        return [cid for cid in self.catalogue.criteria if not self.criterion_total(cid)]

    @property
    def untrained_sections(self) -> list[int]:
        return [n for n in sorted(self.catalogue.sections) if not self.section_total(n)]


def coverage(scenarios: list[Scenario], catalogue: Any) -> Coverage:
    """Count, for each scenario, the steps that train each section and each criterion.

    A step trains a criterion when it expects it (``good`` or ``bad``) or offers it in an
    option; it trains a section when it trains a criterion of that section (local
    criteria count for their section, but are not catalogue rows).
    """
    out = []
    for s in scenarios:
        entry = ScenarioCoverage(s.id, s.title, len(s.steps))
        counts: dict[str, list[int]] = {}
        for step in s.steps:
            expected = {*step.good, *step.bad}
            offered = {cid for option in step.options for cid in option.shows}
            sections = set()
            for cid in expected | offered:
                criterion = step.local.get(cid) or catalogue.criteria.get(cid)
                if criterion is not None and 1 <= criterion.section <= 7:
                    sections.add(criterion.section)
                if cid in catalogue.criteria and cid not in step.local:
                    row = counts.setdefault(cid, [0, 0, 0])
                    row[0] += cid in expected
                    row[1] += cid in offered
                    row[2] += 1
            for section in sections:
                entry.sections[section] = entry.sections.get(section, 0) + 1
        entry.criteria = {cid: (a, b, c) for cid, (a, b, c) in counts.items()}
        out.append(entry)
    return Coverage(out, catalogue)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _table(rows: list[list[str]], right_from: int) -> list[str]:
    widths = [max(_width(row[c]) for row in rows) for c in range(len(rows[0]))]
    return ["  ".join(_pad(cell, widths[c], c >= right_from) for c, cell in enumerate(row)).rstrip()
            for row in rows]


def _sections(cov: Coverage) -> dict[int, Any]:
    return dict(sorted(cov.catalogue.sections.items()))


def _section_note(cov: Coverage, section: int) -> str:
    note = "没有任何场景的步骤训练这一章节"
    if not any(c.section == section for c in cov.catalogue.criteria.values()):
        note += "（评分标准目录中没有这一章节的标准，可在场景中用本地评分标准 local 训练）"
    return note


def coverage_text(cov: Coverage) -> str:
    """The plain-text report: sections by scenario, criteria by scenario, the untrained."""
    sections = _sections(cov)
    lines = ["一、各场景训练到的指导意见章节（数字为涉及该章节评分标准的步骤数）", ""]
    rows = [["场景", "步骤", *(f"§{n}" for n in sections)]]
    rows += [[sc.id, str(sc.steps), *(str(sc.sections.get(n, 0)) for n in sections)]
             for sc in cov.scenarios]
    rows.append(["合计", str(sum(sc.steps for sc in cov.scenarios)),
                 *(str(cov.section_total(n)) for n in sections)])
    lines += _table(rows, 1)
    lines += ["", "  " + "；".join(f"§{n} {sec.title}" for n, sec in sections.items()), ""]
    lines += ["二、各场景训练到的评分标准（数字为期望做到、应避免或在选项中出现它的步骤数）", ""]
    numbers = [str(k) for k in range(1, len(cov.scenarios) + 1)]
    rows = [["", "§", "评分标准", "标题", *numbers, "合计"]]
    for cid, c in cov.catalogue.criteria.items():
        cells = [str(sc.criteria.get(cid, (0, 0, 0))[2]) for sc in cov.scenarios]
        rows.append(["＋" if c.kind == "good" else "－", str(c.section), cid, c.title, *cells,
                     str(cov.criterion_total(cid))])
    lines += _table(rows, 4)
    lines += ["", "  场景编号：" + "；".join(f"{k} {sc.id}" for k, sc in enumerate(cov.scenarios, 1)), ""]
    lines.append("三、没有任何场景训练的评分标准和章节")
    lines.append("")
    untrained = cov.untrained
    for cid in untrained:
        c = cov.catalogue.criteria[cid]
        lines.append(f"  {'＋' if c.kind == 'good' else '－'} §{c.section} {cid}  {c.title}")
    if not untrained:
        lines.append("  （无：每一条评分标准都至少有一个场景训练）")
    for n in cov.untrained_sections:
        lines.append(f"  §{n} {cov.catalogue.sections[n].title}：{_section_note(cov, n)}")
    return "\n".join(lines) + "\n"


def coverage_json(cov: Coverage) -> str:
    """The same report for machines (ids, counts; see the ``simulator coverage`` help)."""
    sections = _sections(cov)
    data = {
        "scenarios": [{
            "id": sc.id, "title": sc.title, "steps": sc.steps,
            "sections": {str(n): sc.sections.get(n, 0) for n in sections},
            "criteria": {cid: {"expected": a, "offered": b, "steps": c}
                         for cid, (a, b, c) in sorted(sc.criteria.items())},
        } for sc in cov.scenarios],
        "sections": {str(n): {"title": sec.title, "steps": cov.section_total(n),
                              "scenarios": sum(1 for sc in cov.scenarios if sc.sections.get(n))}
                     for n, sec in sections.items()},
        "criteria": [{"id": cid, "kind": c.kind, "section": c.section, "title": c.title,
                      "steps": cov.criterion_total(cid),
                      "scenarios": sum(1 for sc in cov.scenarios
                                       if sc.criteria.get(cid, (0, 0, 0))[2])}
                     for cid, c in cov.catalogue.criteria.items()],
        "untrained": cov.untrained,
        "untrained_sections": cov.untrained_sections,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _md(text: str) -> str:
    return re.sub(r"([|\\`*_\[\]<>])", r"\\\1", text)


def coverage_markdown(cov: Coverage) -> str:
    """The report as Markdown tables, for a trainer's notes."""
    sections = _sections(cov)
    lines = ["# 场景库覆盖情况", "", "## 各场景训练到的指导意见章节", "",
             "数字为涉及该章节评分标准的步骤数。", "",
             "| 场景 | 标题 | 步骤 | " + " | ".join(f"§{n}" for n in sections) + " |",
             "|---|---|--:|" + "--:|" * len(sections)]
    for sc in cov.scenarios:
        lines.append(f"| `{sc.id}` | {_md(sc.title)} | {sc.steps} | "
                     + " | ".join(str(sc.sections.get(n, 0)) for n in sections) + " |")
    lines.append(f"| **合计** | | {sum(sc.steps for sc in cov.scenarios)} | "
                 + " | ".join(str(cov.section_total(n)) for n in sections) + " |")
    lines += ["", "；".join(f"§{n} {_md(sec.title)}" for n, sec in sections.items()), "",
              "## 各场景训练到的评分标准", "",
              "数字为期望做到、应避免或在选项中出现该标准的步骤数；列号见下方场景编号。", "",
              "| | § | 评分标准 | 标题 | "
              + " | ".join(str(k) for k in range(1, len(cov.scenarios) + 1)) + " | 合计 |",
              "|---|--:|---|---|" + "--:|" * (len(cov.scenarios) + 1)]
    for cid, c in cov.catalogue.criteria.items():
        cells = [str(sc.criteria.get(cid, (0, 0, 0))[2]) for sc in cov.scenarios]
        lines.append(f"| {'＋' if c.kind == 'good' else '－'} | {c.section} | `{cid}` | "
                     f"{_md(c.title)} | " + " | ".join(cells) + f" | {cov.criterion_total(cid)} |")
    lines += ["", "场景编号：" + "；".join(f"{k} `{sc.id}`" for k, sc in enumerate(cov.scenarios, 1)),
              "", "## 没有任何场景训练的评分标准和章节", ""]
    untrained = cov.untrained
    for cid in untrained:
        c = cov.catalogue.criteria[cid]
        lines.append(f"- {'＋' if c.kind == 'good' else '－'} §{c.section} `{cid}` {_md(c.title)}")
    if not untrained:
        lines.append("无：每一条评分标准都至少有一个场景训练。")
    for n in cov.untrained_sections:
        lines.append(f"- §{n} {_md(cov.catalogue.sections[n].title)}：{_section_note(cov, n)}")
    return "\n".join(lines) + "\n"
