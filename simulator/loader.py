"""YAML -> model: one scenario file to a ``Scenario``, every problem as ``path:line:col``.

Owns reading a scenario file safely and turning it into ``simulator.model`` objects:

* bytes first: over 1 MiB is refused unread, non-UTF-8 is named (GBK when it decodes as
  GBK), a UTF-8 BOM and CRLF line ends are fine, control characters are pointed at;
* then YAML nodes with their marks (line, column) from PyYAML's safe loader (libyaml's
  composer when present). Composing does not expand aliases and constructs nothing, so
  ``!!python/...`` and any other custom tag only sits on a node, is reported and never
  runs. Absurd input is refused early and in bounded memory: a large file has its nodes
  counted on the event stream before anything is kept (at most ``MAX_NODES``), nesting
  stops at ``MAX_DEPTH`` (libyaml's own limit is deeper), and reading the nodes counts
  every alias expansion against ``MAX_NODES`` too, so an alias bomb stops at once;
* then the model, field by field from the nodes: duplicate keys, unknown keys (with a
  did-you-mean), missing keys and wrong types are reported and loading goes on, so one
  run lists every problem of the file. Local criteria are compiled with the catalogue's
  pattern vocabulary here, so a broken ``detect`` block is reported at its line.

Templates and conditions stay raw text: ``simulator.validate`` checks them and
``simulator.engine`` renders them. ``Scenario.marks`` keeps every field's position so
later checks can point at the right line too. ``read_nodes`` (the first two stages) is
also how other YAML files of the project are read.
"""

from __future__ import annotations

import gc
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from simulator.data import SCENARIO_ID
from simulator.model import (
    CATEGORIES,
    Branch,
    Criterion,
    Ending,
    Example,
    Meter,
    Option,
    Scenario,
    Step,
)

#: Larger files are refused before they are read.
MAX_BYTES = 1 << 20
#: Nodes in a file, every alias counted at its full expanded size.
MAX_NODES = 50_000
#: Nesting of collections, aliases expanded.
MAX_DEPTH = 40

#: The keys each kind of mapping accepts (the JSON Schema lists the same; a test checks).
KEYS: dict[str, tuple[str, ...]] = {
    "scenario": ("id", "title", "category", "situations", "difficulty", "minutes", "description",
                 "visitor_name", "vars", "briefing", "meters", "steps", "endings"),
    "meter": ("start", "min", "max", "label", "higher_is"),
    "step": ("id", "visitor", "answer", "options", "good", "bad", "weights", "local", "effects",
             "next", "hint", "model_answer", "weight", "examples"),
    "option": ("text", "shows"),
    "local": ("kind", "section", "title", "description", "feedback_shown", "feedback_missing",
              "weight", "detect"),
    "effects": ("good", "bad"),
    "branch": ("when", "goto"),
    "example": ("answer", "present", "absent"),
    "ending": ("id", "title", "outcome", "when", "text", "score_cap"),
}

STEP_ID = re.compile(r"[a-z0-9_-]+\Z")
METER_ID = re.compile(r"[a-z_][a-z0-9_]*\Z")
LOCAL_ID = re.compile(r"[a-z0-9_][a-z0-9_.-]*\Z")
VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: Files with more characters have their nodes counted before they are composed.
COUNT_FROM = 64 * 1024
_YAML = "tag:yaml.org,2002:"
_TAGS = {None, "!", *(_YAML + t for t in ("str", "int", "float", "bool", "null", "seq", "map"))}
_NULLS = {"", "~", "null", "Null", "NULL"}
_PLAIN = (None, "")  # a plain scalar's style (pure-Python loader, libyaml)
_TAG_MARK = re.compile(r"(?:^|[\s\[\]{},])!", re.MULTILINE)  # where a tag could start
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_CONSTRUCT = {
    _YAML + "int": _CONSTRUCTOR.construct_yaml_int,
    _YAML + "float": _CONSTRUCTOR.construct_yaml_float,
    _YAML + "bool": _CONSTRUCTOR.construct_yaml_bool,
    _YAML + "null": _CONSTRUCTOR.construct_yaml_null,
}
# What YAML does not allow in a file: control characters (but tab and line ends), lone
# surrogates and the two non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")

# libyaml's and PyYAML's wording for the usual mistakes, in the trainer's language.
_SYNTAX = {
    "mapping values are not allowed": "这里不能出现“键: 值”（冒号后少了空格，或缩进不对？）",
    "could not find expected ':'": "找不到应有的冒号“:”",
    "did not find expected key": "找不到应有的键（缩进不对？）",
    "did not find expected '-' indicator": "找不到应有的列表项“- ”（缩进不对？）",
    "did not find expected ',' or ']'": "方括号列表没有闭合，或缺少逗号",
    "did not find expected ',' or '}'": "花括号映射没有闭合，或缺少逗号",
    "found unexpected end of stream": "文件意外结束（引号或括号没有闭合？）",
    "found a tab character": "用了制表符（Tab），缩进请改用空格",
    "found character that cannot start any token": "这个字符不能出现在值的开头（@ 或 ` 开头的文字请加引号）",
    "found undefined tag handle": "未定义的标签前缀",
    "found undefined alias": "未定义的别名",
    "second occurrence": "锚点重复定义",
    "but found another document": "一个场景文件只能有一个 YAML 文档（这里开始了第二个“---”）",
    "found unknown escape character": "双引号字符串中有无效的转义字符（要写反斜杠请用单引号）",
    "exceeded maximum nesting depth": "嵌套层级过深",
    "found incompatible YAML document": "不支持的 YAML 版本",
    "found unexpected ':'": "出现了意外的冒号“:”",
    "expected a comment or a line break": "这里应为注释或换行",
    "did not find expected node content": "找不到应有的内容",
    "did not find expected <document start>": "找不到文档开头“---”",
    "found unexpected document indicator": "出现了意外的文档分隔符",
    "block sequence entries are not allowed": "这里不能出现列表项“- ”（缩进不对？）",
    "found unknown directive name": "未知的 % 指令",
    "could not find expected directive name": "% 后应为指令名",
    "found duplicate %YAML directive": "%YAML 指令重复",
    "did not find expected whitespace or line break": "这里应为空格或换行",
    "did not find expected comment or line break": "这里应为注释或换行",
    "did not find expected alphabetic or numeric character": "锚点或别名的名字应由字母或数字组成",
}


Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (``error``) or suspicious (``warning``) in a file, with its position."""

    path: str
    line: int
    col: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        message = " ".join(self.message.split("\n"))
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {message}"


Node = yaml.Node


class _Composer(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """PyYAML's safe loader used only to compose nodes, which keep their marks.

    Types are not resolved while composing (the resolver's hooks run in Python for every
    node and would cost more than the composing itself); the builder resolves the few
    scalars whose type matters, from the node's text and style.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> None:
        return None

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


class Refused(Exception):
    """Loading stops here: too many nodes (an alias bomb) or too deep."""

    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line, self.col = line, col


def load_scenario(path: str | Path, *, catalogue: Any = None,
                  strict: bool = True) -> tuple[Scenario | None, list[Problem]]:
    """Load one scenario file. ``strict``: no scenario when any error was found.

    With ``strict=False`` a best-effort scenario is returned whenever the file is a YAML
    mapping, so ``simulator validate`` can go on to check what did load; such a scenario
    is for checking only, never for playing (a step that is not a mapping stands as a
    placeholder with an empty id, so list indexes still match the file).
    ``catalogue`` compiles local criteria (default: the built-in one, loaded on demand).
    """
    name = str(path)
    try:
        with open(path, "rb") as fh:
            size = _file_size(fh)
            if size > MAX_BYTES:
                return None, [Problem(name, 1, 1, "error", _too_big(size))]
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return None, [Problem(name, 1, 1, "error", f"无法读取文件：{exc.strerror or exc}")]
    return load_scenario_text(data, name, catalogue=catalogue, strict=strict)


def load_scenario_text(data: str | bytes, path: str = "<text>", *, catalogue: Any = None,
                       strict: bool = True) -> tuple[Scenario | None, list[Problem]]:
    """Load a scenario from its text (``path`` only names it in messages)."""
    # Nodes and the model make no reference cycles (only a recursive alias does, and it is
    # collected later), so the cyclic garbage collector has nothing to do here; left on, it
    # rescans the growing tree over and over while it is built, doubling the time a file takes.
    collecting = gc.isenabled()
    gc.disable()
    try:
        root, problems = read_nodes(data, path)
        if root is None:
            return None, problems
        scenario = Builder(path, catalogue, problems).scenario(root)
    except Refused as exc:
        problems.append(Problem(path, exc.line, exc.col, "error", str(exc)))
        return None, problems
    finally:
        if collecting:
            gc.enable()
    problems.sort(key=lambda p: (p.line, p.col))
    if strict and any(p.severity == "error" for p in problems):
        return None, problems
    return scenario, problems


def read_nodes(data: str | bytes, path: str = "<text>") -> tuple[Node | None, list[Problem]]:
    """A YAML file's node tree (with marks) after every check short of its meaning.

    Size, encoding, control characters, syntax, tags and node limits, as for a scenario;
    other YAML files of the project (exams) can read themselves through this and
    ``Builder``'s generic readers.
    """
    problems: list[Problem] = []
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            return None, [Problem(path, 1, 1, "error", _too_big(len(data)))]
        text = _decode(data, path, problems)
        if text is None:
            return None, problems
    else:
        text = data
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_BYTES:
            return None, [Problem(path, 1, 1, "error", _too_big(size))]
    text = text.removeprefix("\ufeff")
    for match in _CONTROL.finditer(text):
        line, col = _position(text, match.start())
        problems.append(Problem(path, line, col, "error",
                                f"文件中有不可见的控制字符 U+{ord(match.group()):04X}，请删除"))
        if len(problems) >= 10:
            return None, problems
    if problems:
        return None, problems

    def report(line: int, col: int, message: str) -> None:
        problems.append(Problem(path, line, col, "error", message))

    return compose(text, report), problems


def _file_size(fh: Any) -> int:
    try:
        return os.fstat(fh.fileno()).st_size
    except OSError:
        return 0


def _too_big(size: int) -> str:
    return f"文件太大（{size / 1024 / 1024:.1f} MiB），场景文件不能超过 1 MiB"


def _position(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _decode(data: bytes, path: str, problems: list[Problem]) -> str | None:
    """The file's text, or None with the reason when it is not UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.append(Problem(path, 1, 1, "error", "文件是 UTF-16 编码，请另存为 UTF-8"))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
    line_start = data.rfind(b"\n", 0, bad) + 1
    line = data.count(b"\n", 0, bad) + 1
    col = len(data[line_start:bad].decode("utf-8", "replace")) + 1
    try:
        looks_gbk = re.search("[\u4e00-\u9fff]", data.decode("gbk")) is not None
    except UnicodeDecodeError:
        looks_gbk = False
    if looks_gbk:
        message = ("文件不是 UTF-8 编码，看起来是 GBK 编码（Windows 上常见）；"
                   "请在编辑器中以 UTF-8 编码重新保存")
    else:
        message = f"文件不是有效的 UTF-8 编码（此处有无效字节 0x{data[bad]:02X}），请以 UTF-8 编码保存"
    problems.append(Problem(path, line, col, "error", message))
    return None


# ------------------------------------------------------------------ composing


def compose(text: str, report: Any) -> Node | None:
    """The node tree of a one-document YAML text, or None after ``report(line, col, message)``."""
    try:
        if len(text) > COUNT_FROM:
            _count_nodes(text)
        loader = _Composer(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except Refused as exc:
        report(exc.line, exc.col, str(exc))
    except RecursionError:  # the pure-Python composer on deep nesting
        report(1, 1, f"嵌套层级过深（超过 {MAX_DEPTH} 层）")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        at = text.split("\n", line)[line - 1][col - 1:col] if mark else ""
        report(line, col, "YAML 语法错误：用了制表符（Tab），缩进请改用空格" if at == "\t"
               else _syntax_message(exc))
    except yaml.YAMLError as exc:  # a reader error: position is an offset in the text
        position = getattr(exc, "position", 0) or 0
        report(*_position(text, min(position, len(text))),
               f"YAML 无法读取：{getattr(exc, 'reason', None) or type(exc).__name__}")
    else:
        if root is None:
            report(1, 1, "文件是空的：场景文件应为一个映射（id、title、steps……）")
        elif "!" in text and _TAG_MARK.search(text):
            _report_tags(root, report)
        return root
    return None


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    problem = str(exc.problem or exc.context or "")
    for english, chinese in _SYNTAX.items():
        if problem.startswith(english):
            return f"YAML 语法错误：{chinese}"
    return f"YAML 语法错误：{problem}"


def _count_nodes(text: str) -> None:
    """Refuse a large file with too many nodes or too deep nesting, keeping nothing."""
    loader = _Composer(text)
    count = depth = 0
    try:
        while True:
            event = loader.get_event()
            cls = type(event)
            if cls is yaml.StreamEndEvent:
                return
            if cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                depth += 1
                if depth > MAX_DEPTH:
                    raise Refused(*_at(event), f"嵌套层级过深（超过 {MAX_DEPTH} 层）")
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                depth -= 1
                continue
            elif cls is not yaml.ScalarEvent and cls is not yaml.AliasEvent:
                continue
            count += 1
            if count > MAX_NODES:
                raise Refused(*_at(event), f"节点过多（超过 {MAX_NODES} 个），已拒绝")
    finally:
        loader.dispose()


def _report_tags(root: Node, report: Any) -> None:
    """Every node with a tag other than the plain YAML ones (each node once)."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag is not None and node.tag not in _TAGS:
            report(*_at(node), f"不支持的标签 {node.tag}：场景文件只能用普通的 YAML 值"
                               "（出于安全考虑，带标签的对象不会被执行）")
        if node.id == "sequence":
            todo.extend(node.value)
        elif node.id == "mapping":
            for key, value in node.value:
                todo += (key, value)


def _at(node: Any) -> tuple[int, int]:
    """1-based (line, column) of a node or event."""
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


# ------------------------------------------------------------------ building the model

#: Where a node sits in the file: keys and list indexes from the root.
Where = tuple[str | int, ...]


def _label(path: Where) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "场景文件"


def _subject(path: Where) -> str:
    """``_label`` ready to go before Chinese text (a space after an identifier)."""
    return f"{_label(path)} " if path else "场景文件"


def _describe(node: Node) -> str:
    if node.id == "sequence":
        return "列表"
    if node.id == "mapping":
        return "映射"
    text = node.value if len(node.value) <= 20 else node.value[:20] + "……"
    return f"“{text}”"


def _null(node: Node) -> bool:
    """An empty value (``key:`` with nothing after it, ``~``, ``null``)."""
    return node.id == "scalar" and node.tag is None and node.style in _PLAIN and node.value in _NULLS


def _did_you_mean(word: str, choices: Any) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"，是不是 {close[0]}？" if close else ""


class Builder:
    """Builds the model from the node tree, collecting problems as it goes."""

    def __init__(self, path: str, catalogue: Any = None, problems: list[Problem] | None = None) -> None:
        self.path = path
        self.problems = problems if problems is not None else []
        self.marks: dict[Where, tuple[int, int]] = {}
        self._catalogue = catalogue
        self._budget = MAX_NODES  # nodes left to read, aliases expanded

    def error(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.path, *_at(node), "error", message))

    def _spend(self, node: Node) -> None:
        """Count a collection's children against the budget (an alias bomb stops here)."""
        self._budget -= len(node.value)
        if self._budget < 0:
            raise Refused(*_at(node), f"节点过多（别名展开后超过 {MAX_NODES} 个），"
                                       "疑似“别名炸弹”，已拒绝")

    # -- generic readers ---------------------------------------------------------------

    def _pairs(self, node: Node, depth: int = 0) -> list[tuple[Node, Node, bool]]:
        """A mapping's (key, value, merged) pairs; ``<<`` merges come after the own keys."""
        if depth > MAX_DEPTH:
            raise Refused(*_at(node), f"合并键 << 嵌套过深（超过 {MAX_DEPTH} 层，或引用了自己）")
        self._spend(node)
        own: list[tuple[Node, Node, bool]] = []
        merged: list[tuple[Node, Node, bool]] = []
        for key, value in node.value:
            if key.value == "<<" and key.id == "scalar" and key.style in _PLAIN:
                for source in (value.value if value.id == "sequence" else [value]):
                    if source.id != "mapping":
                        self.error(source, "合并键 << 的值应为映射或映射的列表")
                        continue
                    merged += ((k, v, True) for k, v, _ in self._pairs(source, depth + 1))
            else:
                own.append((key, value, False))
        return own + merged if merged else own

    def entries(self, node: Node, path: Where, allowed: tuple[str, ...] | None = None,
                pattern: re.Pattern[str] | None = None, what: str = "键") -> dict[str, Node]:
        """A mapping's values by key: duplicate, unknown and badly named keys reported."""
        if node.id != "mapping":
            if not _null(node):
                self.error(node, f"{_label(path)} 应为映射（键: 值），这里是{_describe(node)}")
            return {}
        out: dict[str, Node] = {}
        marks = self.marks
        for key, value, merged in self._pairs(node):
            if key.id != "scalar":
                self.error(key, f"{_subject(path)}的键应为文本，这里是{_describe(key)}")
                continue
            name = key.value
            if name in out:
                if not merged:
                    self.error(key, f"重复的键 {name}（第 {marks[(*path, name)][0]} 行已有），"
                                    "后一个会覆盖前一个")
                continue
            if allowed is not None and name not in allowed:
                self.error(key, f"{_subject(path)}中有未知的键 {name}{_did_you_mean(name, allowed)}")
                continue
            if pattern is not None and not pattern.match(name):
                self.error(key, f"{what} “{name}” 的写法不对（应为 {pattern.pattern[:-2]}）")
                continue
            out[name] = value
            mark = key.start_mark
            marks[(*path, name)] = (mark.line + 1, mark.column + 1)
        return out

    def fields(self, node: Node, kind: str, path: Where,
               required: tuple[str, ...] = ()) -> dict[str, Node]:
        out = self.entries(node, path, KEYS[kind])
        if node.id == "mapping":
            for name in required:
                if name not in out:
                    self.error(node, f"{_subject(path)}缺少必填的键 {name}")
        return out

    def items(self, node: Node, path: Where) -> list[Node]:
        if node.id == "sequence":
            self._spend(node)
            marks = self.marks
            for i, item in enumerate(node.value):
                mark = item.start_mark
                marks[(*path, i)] = (mark.line + 1, mark.column + 1)
            return node.value
        if not _null(node):
            self.error(node, f"{_label(path)} 应为列表（每项以“- ”开头），这里是{_describe(node)}")
        return []

    def text(self, node: Node | None, path: Where, default: str = "") -> str:
        if node is None:
            return default
        if node.id == "scalar":
            return default if _null(node) else node.value
        self.error(node, f"{_label(path)} 应为文本，这里是{_describe(node)}")
        return default

    def ident(self, node: Node | None, path: Where, pattern: re.Pattern[str], what: str) -> str:
        value = self.text(node, path)
        if node is not None and not pattern.match(value):
            if value:
                self.error(node, f"{what} “{value}” 的写法不对（应为 {pattern.pattern[:-2]}）")
            else:
                self.error(node, f"{what}不能为空")
        return value

    def choice(self, node: Node | None, path: Where, allowed: tuple[str, ...], default: str) -> str:
        value = self.text(node, path, default)
        if node is not None and value not in allowed:
            self.error(node, f"{_label(path)} 应为 {' | '.join(allowed)} 之一，这里是“{value}”"
                             f"{_did_you_mean(value, allowed)}")
            return default
        return value

    def ids(self, node: Node | None, path: Where) -> tuple[str, ...]:
        if node is None:
            return ()
        out = []
        for i, item in enumerate(self.items(node, path)):
            value = self.text(item, (*path, i))
            if value:
                out.append(value)
        return tuple(out)

    def integer(self, node: Node | None, path: Where, lo: int, hi: int, default: int) -> int:
        if node is None:
            return default
        text = node.value
        if (node.id == "scalar" and node.tag is None and node.style in _PLAIN and text.isascii()
                and text.lstrip("-").isdigit() and not text.lstrip("-").startswith("0")):
            value: Any = int(text)  # the usual plain decimal, without the resolver
        else:
            value = self.value(node, path)
        if type(value) is not int or not lo <= value <= hi:
            self.error(node, f"{_label(path)} 应为 {lo} 到 {hi} 的整数，这里是{_describe(node)}")
            return default
        return value

    def number(self, node: Node | None, path: Where, default: float) -> float:
        if node is None:
            return default
        value = self.value(node, path)
        if type(value) not in (int, float) or not 0 <= value <= 1000:
            self.error(node, f"{_label(path)} 应为 0 到 1000 的数，这里是{_describe(node)}")
            return default
        return float(value)

    def value(self, node: Node, path: Where) -> Any:
        """Plain data (vars, detect blocks): scalars typed as YAML 1.1 says, keys as text."""
        if node.id == "scalar":
            return self._scalar(node, path)
        if len(path) > MAX_DEPTH:
            raise Refused(*_at(node), f"嵌套层级过深（超过 {MAX_DEPTH} 层，或别名引用了包含它自己的节点）")
        if node.id == "sequence":
            return [self.value(item, (*path, i)) for i, item in enumerate(self.items(node, path))]
        return {k: self.value(v, (*path, k)) for k, v in self.entries(node, path).items()}

    def _scalar(self, node: Node, path: Where) -> Any:
        tag = node.tag
        if tag is None and node.style in _PLAIN:
            tag = _RESOLVER.resolve(yaml.ScalarNode, node.value, (True, False))
        if tag is None or tag == "!" or tag not in _TAGS or tag == _YAML + "str":
            return node.value
        construct = _CONSTRUCT.get(tag)
        if construct is None:  # timestamps and the like stay as written
            return node.value
        try:
            return construct(yaml.ScalarNode(tag, node.value))
        except (ValueError, KeyError, IndexError):
            self.error(node, f"{_label(path)} 的值“{node.value}”与标签 {tag} 不符")
            return node.value

    # -- the scenario ------------------------------------------------------------------

    def scenario(self, root: Node) -> Scenario | None:
        if root.id != "mapping":
            self.error(root, f"场景文件应为一个映射（id、title、steps……），这里是{_describe(root)}")
            return None
        f = self.fields(root, "scenario", (), ("id", "title", "category", "steps", "endings"))
        meters = self.meters(f["meters"]) if "meters" in f else ()
        vars_node = f.get("vars")
        variables = (self.value_map(vars_node, ("vars",), VAR_NAME, "变量名")
                     if vars_node is not None else {})
        steps = [self.step(node, i)
                 for i, node in enumerate(self.items(f["steps"], ("steps",)))] if "steps" in f else []
        endings = [self.ending(node, i) for i, node in
                   enumerate(self.items(f["endings"], ("endings",)))] if "endings" in f else []
        for key, items in (("steps", steps), ("endings", endings)):
            if key in f and not items and f[key].id == "sequence":
                self.error(f[key], f"{key} 至少要有一项")
        return Scenario(
            id=self.ident(f.get("id"), ("id",), SCENARIO_ID, "场景 id"),
            title=self.text(f.get("title"), ("title",)),
            category=self.choice(f.get("category"), ("category",), CATEGORIES, CATEGORIES[-1]),
            steps=tuple(steps),
            endings=tuple(endings),
            situations=self.ids(f.get("situations"), ("situations",)),
            difficulty=self.integer(f.get("difficulty"), ("difficulty",), 1, 5, 1),
            minutes=self.integer(f.get("minutes"), ("minutes",), 1, 240, 10),
            description=self.text(f.get("description"), ("description",)),
            briefing=self.text(f.get("briefing"), ("briefing",)),
            vars=variables,
            meters=meters,
            visitor_name=self.text(f.get("visitor_name"), ("visitor_name",), "来访者"),
            path=self.path,
            marks=self.marks,
        )

    def value_map(self, node: Node, path: Where, pattern: re.Pattern[str], what: str) -> dict[str, Any]:
        return {k: self.value(v, (*path, k))
                for k, v in self.entries(node, path, pattern=pattern, what=what).items()}

    def meters(self, node: Node) -> tuple[Meter, ...]:
        out = []
        for mid, spec in self.entries(node, ("meters",), pattern=METER_ID, what="计量 id").items():
            path = ("meters", mid)
            f = self.fields(spec, "meter", path, ("start",))
            out.append(Meter(
                id=mid,
                label=self.text(f.get("label"), (*path, "label"), mid),
                start=self.integer(f.get("start"), (*path, "start"), -10_000, 10_000, 0),
                min=self.integer(f.get("min"), (*path, "min"), -10_000, 10_000, 0),
                max=self.integer(f.get("max"), (*path, "max"), -10_000, 10_000, 100),
                higher_is=self.choice(f.get("higher_is"), (*path, "higher_is"),
                                      ("better", "worse"), "better"),
            ))
        return tuple(out)

    def step(self, node: Node, index: int) -> Step:
        path: Where = ("steps", index)
        if node.id != "mapping":
            self.error(node, f"{_label(path)} 应为映射（id、visitor……），这里是{_describe(node)}")
            return Step(id="", visitor="", line=_at(node)[0])  # keeps later steps' indexes
        f = self.fields(node, "step", path, ("id", "visitor"))
        step_id = self.ident(f.get("id"), (*path, "id"), STEP_ID, "步骤 id")
        return Step(
            id=step_id,
            visitor=self.text(f.get("visitor"), (*path, "visitor")),
            answer=self.choice(f.get("answer"), (*path, "answer"), ("free", "choice"), "free"),
            options=self.options(f["options"], (*path, "options")) if "options" in f else (),
            good=self.ids(f.get("good"), (*path, "good")),
            bad=self.ids(f.get("bad"), (*path, "bad")),
            weights=({k: self.number(v, (*path, "weights", k), 1.0)
                      for k, v in self.entries(f["weights"], (*path, "weights")).items()}
                     if "weights" in f else {}),
            local=self.local(f["local"], (*path, "local"), step_id) if "local" in f else {},
            effects=self.effects(f["effects"], (*path, "effects")) if "effects" in f else {},
            next=self.branches(f["next"], (*path, "next")) if "next" in f else (),
            examples=self.examples(f["examples"], (*path, "examples")) if "examples" in f else (),
            model_answer=self.text(f.get("model_answer"), (*path, "model_answer")),
            hint=self.text(f.get("hint"), (*path, "hint")),
            weight=self.number(f.get("weight"), (*path, "weight"), 1.0),
            line=_at(node)[0],
        )

    def options(self, node: Node, path: Where) -> tuple[Option, ...]:
        out = []
        for i, item in enumerate(self.items(node, path)):
            f = self.fields(item, "option", (*path, i), ("text",))
            out.append(Option(text=self.text(f.get("text"), (*path, i, "text")),
                              shows=self.ids(f.get("shows"), (*path, i, "shows"))))
        return tuple(out)

    def effects(self, node: Node, path: Where) -> dict[str, dict[str, int]]:
        out = {}
        for kind, deltas in self.fields(node, "effects", path).items():
            out[kind] = {
                meter: self.integer(v, (*path, kind, meter), -10_000, 10_000, 0)
                for meter, v in self.entries(deltas, (*path, kind)).items()
            }
        return out

    def branches(self, node: Node, path: Where) -> tuple[Branch, ...]:
        out = []
        for i, item in enumerate(self.items(node, path)):
            f = self.fields(item, "branch", (*path, i), ("goto",))
            when = self.text(f.get("when"), (*path, i, "when"))
            out.append(Branch(goto=self.text(f.get("goto"), (*path, i, "goto")), when=when or None))
        return tuple(out)

    def examples(self, node: Node, path: Where) -> tuple[Example, ...]:
        out = []
        for i, item in enumerate(self.items(node, path)):
            f = self.fields(item, "example", (*path, i), ("answer",))
            out.append(Example(answer=self.text(f.get("answer"), (*path, i, "answer")),
                               present=self.ids(f.get("present"), (*path, i, "present")),
                               absent=self.ids(f.get("absent"), (*path, i, "absent"))))
        return tuple(out)

    def ending(self, node: Node, index: int) -> Ending:
        path: Where = ("endings", index)
        if node.id != "mapping":
            self.error(node, f"{_label(path)} 应为映射（id、title、text……），这里是{_describe(node)}")
            return Ending(id="", title="", text="")
        f = self.fields(node, "ending", path, ("id", "title", "text"))
        cap = f.get("score_cap")
        return Ending(
            id=self.ident(f.get("id"), (*path, "id"), STEP_ID, "结局 id"),
            title=self.text(f.get("title"), (*path, "title")),
            text=self.text(f.get("text"), (*path, "text")),
            when=self.text(f.get("when"), (*path, "when")) or None,
            outcome=self.choice(f.get("outcome"), (*path, "outcome"),
                                ("good", "neutral", "bad"), "neutral"),
            score_cap=self.integer(cap, (*path, "score_cap"), 0, 100, 100) if cap is not None else None,
        )

    def local(self, node: Node, path: Where, step_id: str) -> dict[str, Criterion]:
        from simulator.scoring import PatternError

        out = {}
        for cid, spec in self.entries(node, path, pattern=LOCAL_ID, what="本地评分标准 id").items():
            where: Where = (*path, cid)
            f = self.fields(spec, "local", where, ("detect",))
            if "detect" not in f:
                continue
            raw: dict[str, Any] = {"kind": self.choice(f.get("kind"), (*where, "kind"),
                                                       ("good", "bad"), "good")}
            for key in ("title", "description", "feedback_shown", "feedback_missing"):
                if key in f:
                    raw[key] = self.text(f[key], (*where, key))
            if "section" in f:
                raw["section"] = self.integer(f["section"], (*where, "section"), 0, 7, 0)
            if "weight" in f:
                raw["weight"] = self.number(f["weight"], (*where, "weight"), 1.0)
            raw["detect"] = self.value(f["detect"], (*where, "detect"))
            try:
                out[cid] = self.catalogue().compile_local(cid, raw, cid)
            except PatternError as exc:
                at = _locate(f["detect"], exc.where.removeprefix(f"{cid}.detect"))
                self.error(at, f"本地评分标准 {cid} 的检测规则有误：{exc}")
                # Known but unusable (no detector): later checks do not call it unknown.
                out[cid] = Criterion(cid, raw["kind"], 0, raw.get("title", cid))
        return out

    def catalogue(self) -> Any:
        if self._catalogue is None:
            from simulator.scoring import default_detector

            self._catalogue = default_detector().catalogue
        return self._catalogue


def _locate(node: Node, where: str) -> Node:
    """The node a ``PatternError.where`` suffix (``.any[1].all``) names, as near as it gets."""
    for token in re.findall(r"\[(\d+)\]|([^.\[\]]+)", where):
        index, key = token
        if index and node.id == "sequence" and int(index) < len(node.value):
            node = node.value[int(index)]
        elif key and node.id == "mapping":
            found = next((v for k, v in node.value if k.value == key), None)
            if found is None:
                break
            node = found
        else:
            break
    return node
