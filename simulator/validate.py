"""Semantic checks over loaded scenarios: what the loader cannot see in a single field.

The loader reports what is wrong with a field on its own (syntax, types, unknown keys);
this module checks what the fields mean together, each problem at the line of the
offending node (``Scenario.marks``):

* criteria: ids in good/bad, option tags, examples and weights exist in the catalogue or
  among the step's local criteria, and sit on the right side (a warned-against criterion
  is not expected as good);
* flow: ids are unique, every ``goto`` names a step or an ending, a step from which no
  ending can be reached is an error, unreachable steps and endings are warnings, a
  default ending exists, choice steps have 1 to 9 options;
* meters: bounds make sense, effects name real meters;
* templates (visitor_name, briefing, visitor lines, options, model answers, hints,
  ending texts) parse and use only the scenario's vars and meters;
* conditions compile in the sandbox and use only the names the engine gives them;
* paths (``simulator.paths``, when nothing above is an error): a warned-against answer
  that still reaches the best ending, a good ending whose score range overlaps a bad one.
  The path analysis has a work budget per scenario, shared out by ``validate_paths`` over
  the files of one run, so a large library stays fast (``simulator.paths.validate_budget``).

``validate_paths`` runs loader and checks over files and folders for ``simulator validate``
(a large library in several processes), and ``example_mismatches`` runs each step's
examples for ``simulator test``.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from simulator.engine import CONDITION_NAMES, sandbox
from simulator.loader import Problem, Severity, Where, load_scenario
from simulator.model import Scenario

#: Files per worker process before ``validate_paths`` checks in parallel.
PARALLEL_FROM = 64
_SIMPLE_VAR = re.compile(r"\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*-?\}\}")
_CRITERION_LIKE = re.compile(r"[a-z_]+\.[a-z_]+\Z")
# jinja2's wording for the usual template and condition mistakes, in the trainer's language.
_JINJA = (
    (re.compile(r"unexpected 'end of template'|Unexpected end of template"),
     "没有写完（少了右括号、}}、引号或 endif？）"),
    (re.compile(r"Expected an expression, got '(.*)'"), r"这里应为表达式，却是“\1”"),
    (re.compile(r"expected token '(.*?)', got '(.*)'"), r"这里应为“\1”，却是“\2”"),
    (re.compile(r"unexpected char '(.*)' at \d+"), r"无法识别的字符“\1”"),
    (re.compile(r"Encountered unknown tag '(.*?)'.*"), r"未知的标签“\1”"),
    (re.compile(r"unexpected '(.*)'"), r"意外的“\1”"),
)


def validate_paths(paths: Iterable[str | Path], catalogue: Any = None,
                   workers: int | None = None) -> list[Problem]:
    """Every problem in the scenario files at ``paths`` (files, or folders searched for YAML).

    A large library is checked by several processes (``workers``: default one per CPU
    once there are ``PARALLEL_FROM`` files for each); the result is the same, in order.
    """
    from simulator.paths import validate_budget

    problems: list[Problem] = []
    files = scenario_files(paths, problems)
    check = partial(check_file, path_budget=validate_budget(len(files)))
    if catalogue is None:
        from simulator.scoring import default_detector

        catalogue = default_detector().catalogue  # loaded before forking: workers inherit it
        if workers is None:
            workers = min(os.cpu_count() or 1, len(files) // PARALLEL_FROM)
    results = _check_in_parallel(check, files, workers) if workers and workers > 1 else None
    if results is None:
        results = [check(path, catalogue) for path in files]
    first_file: dict[str, str] = {}
    for path, (scenario_id, id_at, found) in zip(files, results, strict=True):
        if scenario_id in first_file:
            found.append(Problem(str(path), *id_at, "error",
                                 f"场景 id “{scenario_id}” 与 {first_file[scenario_id]} 重复"))
        elif scenario_id:
            first_file[scenario_id] = str(path)
        problems += sorted(found, key=lambda p: (p.line, p.col))
    return problems


def _check_in_parallel(check: Any, files: list[Path], workers: int) -> list[Any] | None:
    """``check_file`` over ``files`` in forked worker processes; None where that is not possible.

    Forked only: a worker started afresh would re-run ``python -m simulator`` itself, and
    would load the catalogue again, which costs more than it saves.
    """
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(check, files, chunksize=max(1, len(files) // (8 * workers))))
    except (OSError, BrokenProcessPool):
        return None  # no worker processes here: the caller checks in this one


def check_file(path: Path, catalogue: Any = None,
               path_budget: int | None = None) -> tuple[str, tuple[int, int], list[Problem]]:
    """One file, loaded and checked: (scenario id or "", where the id is, problems).

    A file in a folder named ``exams`` is an exam definition and is checked as one.
    ``path_budget``: steps the path analysis may compute (default: one scenario's share).
    """
    from simulator.exam import is_exam_file

    if is_exam_file(path):
        from simulator.exam import validate_exam

        return "", (1, 1), validate_exam(path)
    if catalogue is None:
        from simulator.scoring import default_detector

        catalogue = default_detector().catalogue
    scenario, found = load_scenario(path, catalogue=catalogue, strict=False)
    if scenario is None:
        return "", (1, 1), found
    found += validate_scenario(scenario, catalogue, path_budget)
    if scenario.id and path.stem != scenario.id:
        found.append(_problem(scenario, ("id",), "error",
                              f"场景 id “{scenario.id}” 应与文件名一致（{path.stem}）"))
    return scenario.id, scenario.marks.get(("id",), (1, 1)), found


def scenario_files(paths: Iterable[str | Path], problems: list[Problem]) -> list[Path]:
    """The YAML files named or inside the folders named; a missing path is an error."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                problems.append(Problem(str(path), 1, 1, "warning", "文件夹中没有 .yaml 场景文件"))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), 1, 1, "error", "找不到这个文件或文件夹"))
    return files


def validate_scenario(scenario: Scenario, catalogue: Any,
                      path_budget: int | None = None) -> list[Problem]:
    """The semantic problems of one loaded scenario (positions from ``scenario.marks``).

    The path analysis runs only on a scenario without errors so far, with ``path_budget``
    steps at most (default: ``simulator.paths.DEEP_BUDGET``).
    """
    out: list[Problem] = []
    _check_criteria(scenario, catalogue.criteria, out)
    _check_flow(scenario, out)
    _check_meters(scenario, out)
    _check_text(scenario, catalogue.criteria, out)
    if not any(p.severity == "error" for p in out):
        from simulator.paths import DEEP_BUDGET, path_warnings

        out += path_warnings(scenario, catalogue,
                             DEEP_BUDGET if path_budget is None else path_budget)
    return out


def _problem(scenario: Scenario, where: Where, severity: Severity, message: str) -> Problem:
    marks = scenario.marks
    while where and where not in marks:
        where = where[:-1]
    line, col = marks.get(where, (1, 1))
    return Problem(scenario.path, line, col, severity, message)


def _unknown(what: str, value: str, known: Iterable[str]) -> str:
    """"未知的评分标准 x，是不是 y？" — ``what`` names the kind of thing."""
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f"{what} {value}" + (f"，是不是 {close[0]}？" if close else "")


def _check_criteria(s: Scenario, catalogue: dict[str, Any], out: list[Problem]) -> None:
    for i, step in enumerate(s.steps):
        at: Where = ("steps", i)
        known = {**catalogue, **step.local}

        def check(where: Where, cid: str, side: str | None = None, known: dict = known) -> None:
            criterion = known.get(cid)
            if criterion is None:
                out.append(_problem(s, where, "error", _unknown("未知的评分标准", cid, known)))
            elif side is not None and criterion.kind != side:
                what = "应做到的（good）" if criterion.kind == "good" else "应避免的（bad）"
                out.append(_problem(s, where, "error", f"{cid} 是{what}行为，应列在 {criterion.kind} 中"))

        for side in ("good", "bad"):
            for j, cid in enumerate(getattr(step, side)):
                check((*at, side, j), cid, side)
        for cid in step.local:
            if cid in catalogue:
                out.append(_problem(s, (*at, "local", cid), "error",
                                    f"本地评分标准 {cid} 与评分标准目录中的编号重名，请换一个名字"))
            elif step.local[cid].kind == "good" and cid not in step.good:
                out.append(_problem(s, (*at, "local", cid), "warning",
                                    f"本地评分标准 {cid} 没有列在 good 中，不会计分"))
        for cid in step.weights:
            check((*at, "weights", cid), cid)
            if cid in known and cid not in step.good and cid not in step.bad:
                out.append(_problem(s, (*at, "weights", cid), "warning",
                                    f"{cid} 不在本步的 good 或 bad 中，这个权重不起作用"))
        for k, option in enumerate(step.options):
            for j, cid in enumerate(option.shows):
                check((*at, "options", k, "shows", j), cid)
        for k, example in enumerate(step.examples):
            for side in ("present", "absent"):
                for j, cid in enumerate(getattr(example, side)):
                    check((*at, "examples", k, side, j), cid)
            for cid in sorted(set(example.present) & set(example.absent)):
                out.append(_problem(s, (*at, "examples", k), "error",
                                    f"{cid} 同时列在 present 和 absent 中"))
            if step.answer == "choice" and not (
                    example.answer.strip().isdigit()
                    and 1 <= int(example.answer.strip()) <= len(step.options)):
                out.append(_problem(s, (*at, "examples", k, "answer"), "error",
                                    f"选择题的示例答案应为选项编号 1 到 {len(step.options)}，"
                                    f"这里是“{example.answer}”"))
        if step.answer == "choice" and not 1 <= len(step.options) <= 9:
            out.append(_problem(s, (*at, "options") if step.options else at, "error",
                                f"选择题应有 1 到 9 个选项，这里有 {len(step.options)} 个"))
        elif step.answer == "free" and step.options:
            out.append(_problem(s, (*at, "options"), "warning",
                                "options 只在 answer: choice 时使用，这一步是自由作答"))


def _check_flow(s: Scenario, out: list[Problem]) -> None:
    where_id: dict[str, Where] = {}
    for kind, items in (("steps", s.steps), ("endings", s.endings)):
        for i, item in enumerate(items):
            if item.id in where_id:
                out.append(_problem(s, (kind, i, "id"), "error",
                                    f"id “{item.id}” 重复（步骤和结局的 id 不能相同）"))
            elif item.id:
                where_id[item.id] = (kind, i)
    ending_ids = [e.id for e in s.endings if e.id]
    default = next((i for i, e in enumerate(s.endings) if e.when is None), None)
    fallthrough = ending_ids if default is None else [e.id for e in s.endings[:default + 1] if e.id]
    if default is None and s.endings:
        out.append(_problem(s, ("endings",), "warning",
                            "没有默认结局（不带 when 的结局）：条件都不满足时，"
                            f"将以最后一个结局 {s.endings[-1].id} 结束"))
    edges: dict[str, list[str]] = {}
    for i, step in enumerate(s.steps):
        targets: list[str] = []
        unconditional = False
        for k, branch in enumerate(step.next):
            if unconditional:
                out.append(_problem(s, ("steps", i, "next", k), "warning",
                                    "前面已有不带 when 的分支，这个分支永远不会被选中"))
            if branch.goto in where_id:
                targets.append(branch.goto)
            elif branch.goto:
                out.append(_problem(s, ("steps", i, "next", k, "goto"), "error",
                                    _unknown("未知的步骤或结局", branch.goto, where_id)))
            unconditional = unconditional or branch.when is None
        if not unconditional:
            targets += fallthrough
        if step.id:
            edges.setdefault(step.id, []).extend(targets)
    if not s.steps or not s.steps[0].id:
        return
    reachable = _closure([s.steps[0].id], edges)
    reverse: dict[str, list[str]] = {}
    for source, targets in edges.items():
        for target in targets:
            reverse.setdefault(target, []).append(source)
    finishing = _closure(ending_ids, reverse)
    for i, step in enumerate(s.steps):
        if not step.id:
            continue
        if step.id not in finishing:
            out.append(_problem(s, ("steps", i), "error",
                                f"从步骤 {step.id} 出发永远到不了任何结局（分支形成了死循环？）"))
        if step.id not in reachable:
            out.append(_problem(s, ("steps", i), "warning", f"步骤 {step.id} 永远不会被走到"))
    for i, ending in enumerate(s.endings):
        if ending.id and ending.id not in reachable:
            out.append(_problem(s, ("endings", i), "warning", f"结局 {ending.id} 永远不会被走到"))


def _closure(start: Iterable[str], edges: dict[str, list[str]]) -> set[str]:
    seen = set(start)
    todo = list(seen)
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _check_meters(s: Scenario, out: list[Problem]) -> None:
    meter_ids = {m.id for m in s.meters}
    for m in s.meters:
        if m.min >= m.max:
            out.append(_problem(s, ("meters", m.id, "max"), "error",
                                f"计量 {m.id} 的 max（{m.max}）应大于 min（{m.min}）"))
        elif not m.min <= m.start <= m.max:
            out.append(_problem(s, ("meters", m.id, "start"), "error",
                                f"计量 {m.id} 的 start（{m.start}）应在 {m.min} 到 {m.max} 之间"))
        if m.id in s.vars:
            out.append(_problem(s, ("meters", m.id), "error",
                                f"计量 {m.id} 与 vars 中的变量同名，模板和条件里会分不清"))
    for i, step in enumerate(s.steps):
        for kind, deltas in step.effects.items():
            for meter in deltas:
                if meter not in meter_ids:
                    out.append(_problem(s, ("steps", i, "effects", kind, meter), "error",
                                        _unknown("未知的计量", meter, meter_ids)))


def _check_text(s: Scenario, catalogue: dict[str, Any], out: list[Problem]) -> None:
    """Templates and conditions: syntax, and every name they use."""
    meters = {m.id for m in s.meters}
    template_names = {*s.vars, *meters, *sandbox().globals}
    condition_names = {*template_names, *CONDITION_NAMES}
    templates: list[tuple[Where, str]] = [(("visitor_name",), s.visitor_name),
                                          (("briefing",), s.briefing)]
    conditions: list[tuple[Where, str | None, dict[str, Any]]] = []
    all_local = {cid: c for step in s.steps for cid, c in step.local.items()}
    for i, step in enumerate(s.steps):
        at: Where = ("steps", i)
        templates += [((*at, "visitor"), step.visitor), ((*at, "model_answer"), step.model_answer),
                      ((*at, "hint"), step.hint)]
        templates += [((*at, "options", k, "text"), o.text) for k, o in enumerate(step.options)]
        conditions += [((*at, "next", k, "when"), b.when, step.local) for k, b in enumerate(step.next)]
    for k, ending in enumerate(s.endings):
        templates.append((("endings", k, "text"), ending.text))
        conditions.append((("endings", k, "when"), ending.when, all_local))
    for where, source in templates:
        if "{" not in source:
            continue
        names, paths, error = _template_names(source)
        if error:
            out.append(_problem(s, where, "error", f"模板有语法错误：{error}"))
        for name in sorted(names - template_names):
            out.append(_problem(s, where, "error",
                                _unknown("未定义的模板变量", name, template_names)))
        for chain in paths:
            missing = _missing_field(s.vars, chain)
            if missing:
                out.append(_problem(s, where, "error", missing))
    for where, source, local in conditions:
        if source is None:
            continue
        names, strings, error = _condition_names(source)
        if error:
            out.append(_problem(s, where, "error", f"条件无法编译：{error}"))
            continue
        for name in sorted(names - condition_names):
            out.append(_problem(s, where, "error",
                                _unknown("条件中用了未定义的名字", name, condition_names)))
        for value in sorted(strings):
            if _CRITERION_LIKE.match(value) and value not in catalogue and value not in local:
                out.append(_problem(s, where, "error",
                                    _unknown("条件中用了未知的评分标准", value,
                                             {*catalogue, *local})))


def _missing_field(variables: dict[str, Any], chain: tuple[str, ...]) -> str:
    """A message when ``a.b.c`` walks into a dict var that has no such key, else ""."""
    value: Any = variables
    for depth, key in enumerate(chain):
        if not isinstance(value, dict):
            return ""
        if key not in value:
            if depth == 0:
                return ""  # an undefined top-level name is reported on its own
            fields = "、".join(map(str, value)) or "无"
            return f"变量 {'.'.join(chain[:depth])} 中没有 {key}（有：{fields}）"
        value = value[key]
    return ""


@lru_cache(maxsize=4096)
def _template_names(source: str) -> tuple[frozenset[str], tuple[tuple[str, ...], ...], str]:
    """(names a template looks up, attribute chains like ("visitor", "name"), syntax error).

    A template whose only jinja2 parts are ``{{ name }}`` / ``{{ a.b }}`` is read directly;
    anything else goes through the sandbox's parser.
    """
    chains = tuple(tuple(m.group(1).split(".")) for m in _SIMPLE_VAR.finditer(source))
    rest = _SIMPLE_VAR.sub("", source)
    if "{{" not in rest and "{%" not in rest and "{#" not in rest:
        return frozenset(c[0] for c in chains), chains, ""
    from jinja2 import TemplateSyntaxError, meta, nodes

    try:
        ast = sandbox().parse(source)
    except TemplateSyntaxError as exc:
        return frozenset(), (), f"第 {exc.lineno} 行：{_jinja_message(exc)}"
    refused = _refused_by_compiler(ast)
    if refused:
        return frozenset(), (), refused
    chains = tuple(chain for node in ast.find_all(nodes.Getattr) if (chain := _chain(node)))
    return frozenset(meta.find_undeclared_variables(ast)), chains, ""


def _chain(node: Any) -> tuple[str, ...]:
    from jinja2 import nodes

    parts: list[str] = []
    while isinstance(node, nodes.Getattr):
        parts.append(node.attr)
        node = node.node
    return (node.name, *reversed(parts)) if isinstance(node, nodes.Name) else ()


def _refused_by_compiler(ast: Any) -> str:
    """What jinja2's compiler refuses in a tree that parsed: an unknown filter or test."""
    from jinja2 import nodes

    env = sandbox()
    for node in _find(ast, nodes.Filter):
        if node.name not in env.filters:
            return f"未知的过滤器 {node.name}"
    for node in _find(ast, nodes.Test):
        if node.name not in env.tests:
            return f"未知的测试 {node.name}"
    return ""


def _find(node: Any, kind: type) -> list[Any]:
    """``node`` and its descendants of type ``kind`` (jinja2's ``find_all`` skips the node itself)."""
    return [node, *node.find_all(kind)] if isinstance(node, kind) else list(node.find_all(kind))


@lru_cache(maxsize=4096)
def parse_condition(source: str) -> tuple[Any, str]:
    """(expression tree, "") as the sandbox's ``compile_expression`` parses a condition, or
    (None, why it does not parse). The tree is shared: read it, never change it."""
    from jinja2 import TemplateSyntaxError
    from jinja2.parser import Parser

    try:
        parser = Parser(sandbox(), source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            raise TemplateSyntaxError("表达式后面还有多余的内容", parser.stream.current.lineno)
    except TemplateSyntaxError as exc:
        return None, _jinja_message(exc)
    return expr, ""


@lru_cache(maxsize=4096)
def _condition_names(source: str) -> tuple[frozenset[str], frozenset[str], str]:
    """(names a condition reads, string constants in it, why it does not compile).

    Parsed by ``parse_condition``, then checked for what the compiler would refuse;
    generating the code itself is left to the engine (it is the slow part, and a
    condition that gets this far compiles).
    """
    from jinja2 import nodes

    expr, error = parse_condition(source)
    if expr is None:
        return frozenset(), frozenset(), error
    names = frozenset(n.name for n in _find(expr, nodes.Name) if n.ctx == "load")
    strings = frozenset(c.value for c in _find(expr, nodes.Const) if isinstance(c.value, str))
    return names, strings, _refused_by_compiler(expr)


def _jinja_message(exc: Any) -> str:
    message = str(exc.message or exc)
    for pattern, chinese in _JINJA:
        if pattern.match(message):
            return pattern.sub(chinese, message, count=1)
    return message


def example_mismatches(scenario: Scenario, detector: Any) -> list[Problem]:
    """``simulator test``: every step example whose detected criteria differ from what it says.

    A free-text example runs through the detector with the step's local criteria; a
    choice example (an option number) shows that option's tags.
    """
    out: list[Problem] = []
    rules_alone = _RulesAlone(detector)
    for i, step in enumerate(scenario.steps):
        for k, example in enumerate(step.examples):
            where: Where = ("steps", i, "examples", k)
            quoted = example.answer if len(example.answer) <= 24 else example.answer[:24] + "……"
            if step.answer == "choice":
                number = example.answer.strip()
                if not (number.isdigit() and 1 <= int(number) <= len(step.options)):
                    out.append(_problem(scenario, where, "error",
                                        f"示例“{quoted}”不是有效的选项编号（1 到 {len(step.options)}）"))
                    continue
                found: dict[str, list[str]] = {c: [] for c in step.options[int(number) - 1].shows}
            else:
                found = detector.detect(example.answer, extra=step.local or None).evidence
            for cid in example.present:
                if cid not in found:
                    vetoed = step.answer != "choice" and rules_alone.differ(example.answer, step, cid, False)
                    out.append(_problem(scenario, where, "error",
                                        f"步骤 {step.id} 的示例“{quoted}”应检出 {cid}，但没有检出"
                                        + (f"（规则检出了它，但{_CHECK}认为几乎不可能，否决了）"
                                           if vetoed else "")))
            for cid in example.absent:
                if cid in found:
                    evidence = "、".join(f"“{e}”" for e in found[cid])
                    added = step.answer != "choice" and rules_alone.differ(example.answer, step, cid, True)
                    out.append(_problem(scenario, where, "error",
                                        f"步骤 {step.id} 的示例“{quoted}”不应检出 {cid}，但检出了"
                                        + (f"（证据：{evidence}）" if evidence else "")
                                        + (f"（规则没有检出，是{_CHECK}补上的）" if added else "")))
    return out


_CHECK = "学习检查（rubrics/learned.tsv）"


class _RulesAlone:
    """The rules without the learned check, to say which of the two decided a mismatch:
    built only when one is found (and only where the detector has a check)."""

    def __init__(self, detector: Any) -> None:
        catalogue = getattr(detector, "catalogue", None)
        self._catalogue = catalogue if getattr(catalogue, "learned", None) is not None else None
        self._kind = type(detector)
        self._rules: Any = None

    def differ(self, answer: str, step: Any, cid: str, detected: bool) -> bool:
        """Whether the rules alone judge ``cid`` otherwise than the detector (which
        ``detected`` it or not): then the learned check decided."""
        if self._catalogue is None:
            return False
        if self._rules is None:
            self._rules = self._kind(self._catalogue._replace(learned=None))
        return (cid in self._rules.detect(answer, extra=step.local or None).evidence) != detected
