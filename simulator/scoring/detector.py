"""The criteria catalogue (loaded from ``rubrics/``) and the detector that applies it.

``load_catalogue`` reads the guidance map, the criteria with their detectors and the
learned check (the built-in catalogue, once compiled, is kept in the user cache:
``simulator.cache``); ``Detector.detect`` finds which criteria one answer shows (the
rules, then the learned check's vetoes and additions), with evidence spans in the
answer's own words. ``detect_json_line`` is the ``simulator detect`` contract for one
input line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import compress
from pathlib import Path
from typing import Any, NamedTuple

from simulator import cache, model
from simulator.data import builtin_dir
from simulator.model import Criterion, Detection, Section
from simulator.scoring import learned, patterns, text
from simulator.scoring.learned import LearnedCheck
from simulator.scoring.patterns import (
    ANCHOR,
    Context,
    Lexicon,
    PatternError,
    PhraseScanner,
    cancelled,
    compile_matcher,
    mentioned,
    negators,
)
from simulator.scoring.text import normalise, split

_CRITERION_KEYS = {"id", "kind", "section", "title", "description", "feedback_shown",
                   "feedback_missing", "weight", "detect"}


class RubricError(ValueError):
    """A rubric file that cannot be used; the message names the file and the entry."""


class Catalogue(NamedTuple):
    """The guidance sections, the criteria by id, the lexicon their detectors use, the
    one-pass scan for every phrase in them, and the learned check."""

    sections: dict[int, Section]
    criteria: dict[str, Criterion]
    lexicon: Lexicon
    scanner: PhraseScanner
    #: the second opinion trained on the labelled answers (``learned.tsv``), if any
    learned: LearnedCheck | None = None

    def compile_local(self, cid: str, spec: dict[str, Any], where: str = "") -> Criterion:
        """A step's local criterion, in the same vocabulary (raises ``PatternError``)."""
        return _criterion({"id": cid, **spec}, self.lexicon, where or cid, local=True)


def _read(path: Path) -> Any:
    import yaml  # only here: a catalogue from the cache needs no YAML

    try:
        with path.open("rb") as fh:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            return yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError) as exc:
        raise RubricError(f"{path}: 无法读取评分标准文件：{exc}") from None


def _criterion(raw: dict[str, Any], lexicon: Lexicon, where: str, local: bool = False) -> Criterion:
    unknown = set(raw) - _CRITERION_KEYS
    if unknown:
        raise PatternError(f"未知的键：{', '.join(sorted(unknown))}", where)
    kind = raw.get("kind", "good")
    if kind not in ("good", "bad"):
        raise PatternError("kind 应为 good 或 bad", f"{where}.kind")
    section = raw.get("section", 0 if local else None)
    if not isinstance(section, int) or not (0 if local else 1) <= section <= 7:
        raise PatternError("section 应为 1 到 7 的整数", f"{where}.section")
    if "detect" not in raw:
        raise PatternError("缺少 detect（检测规则）", where)
    weight = raw.get("weight", 1.0 if kind == "good" else 30.0)
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
        raise PatternError("weight 应为非负数", f"{where}.weight")
    return Criterion(
        id=str(raw["id"]),
        kind=kind,
        section=section,
        title=str(raw.get("title") or raw["id"]),
        description=str(raw.get("description", "")),
        feedback_shown=str(raw.get("feedback_shown", "")),
        feedback_missing=str(raw.get("feedback_missing", "")),
        weight=float(weight),
        detector=compile_matcher(raw["detect"], lexicon, f"{where}.detect"),
    )


def load_catalogue(folder: Path | None = None) -> Catalogue:
    """Load ``guidance.yaml`` and ``criteria.yaml`` from ``folder`` (default: built-in).

    The built-in catalogue comes from the cache when its files and the code that compiles
    them are unchanged, and goes into it when it had to be compiled.
    """
    if folder is not None:
        return _compile_catalogue(folder)
    folder = builtin_dir("rubrics")
    return cache.cached("catalogue", catalogue_key(folder), _CODEC, Catalogue,
                        lambda: _compile_catalogue(folder))


def catalogue_key(folder: Path) -> str | None:
    """The cache key of the catalogue in ``folder``: its files and the code that compiles them."""
    return cache.key(folder / "guidance.yaml", folder / "criteria.yaml", folder / LEARNED, *CODE)


#: The code that turns the rubric files into a catalogue: a change to it is a new key.
#: Normalisation is part of it: rule phrases are normalised as answers are when compiled.
CODE = (*(Path(m.__file__) for m in (model, patterns, text, learned, cache)), text.TRIGGERS_FILE,
        Path(__file__))
_CODEC = cache.Codec(*cache.classes_of(model, patterns), LearnedCheck, Catalogue)
#: The learned check's file in a rubric folder (optional: without it, the rules alone).
LEARNED = "learned.tsv"


def _compile_catalogue(folder: Path) -> Catalogue:
    guidance = _read(folder / "guidance.yaml") or {}
    sections = {
        int(s["section"]): Section(int(s["section"]), str(s["title"]), str(s["summary"]))
        for s in guidance.get("sections", [])
    }
    raw = _read(folder / "criteria.yaml") or {}
    lexicon = Lexicon(raw.get("lexicon") or {})
    criteria: dict[str, Criterion] = {}
    for entry in raw.get("criteria", []):
        cid = entry.get("id", "?") if isinstance(entry, dict) else "?"
        try:
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise PatternError("每条评分标准应为含 id 的映射")
            criteria[cid] = _criterion(entry, lexicon, cid)
        except PatternError as exc:
            raise RubricError(f"{folder / 'criteria.yaml'}: {exc.where or cid}: {exc}") from None
    for c in criteria.values():
        for other in c.detector.suppressed_by:
            if other not in criteria:
                raise RubricError(f"{folder / 'criteria.yaml'}: {c.id}: suppressed_by 引用了未知的标准 {other}")
    return Catalogue(sections, criteria, lexicon, lexicon.scanner(), _learned(folder, criteria))


def _learned(folder: Path, criteria: dict[str, Criterion]) -> LearnedCheck | None:
    path = folder / LEARNED
    if not path.is_file():
        return None
    try:
        check = LearnedCheck.read(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RubricError(f"{path}: 无法读取学习模型：{exc}") from None
    unknown = [cid for cid in check.criteria if cid not in criteria]
    if unknown:
        raise RubricError(f"{path}: 学习模型中有评分标准目录里没有的标准：{', '.join(unknown)}")
    return check


class Detector:
    """Finds the criteria one answer shows (catalogue plus any local criteria)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.scanner = catalogue.scanner
        self.learned = catalogue.learned
        #: criteria whose hits suppress others: looked for even when the check would veto them
        self._suppressors = {s for c in catalogue.criteria.values() for s in c.detector.suppressed_by}
        #: criteria another one's hit can suppress
        self._suppressed = {cid for cid, c in catalogue.criteria.items() if c.detector.suppressed_by}
        #: criterion id -> its place in the catalogue (and in the detection)
        self._order = {cid: k for k, cid in enumerate(catalogue.criteria)}
        #: criterion id -> its number in the learned check's scores
        self._position = {cid: k for k, cid in enumerate(self.learned.criteria)} if self.learned else {}
        # A rule can only hit when the phrase scan saw every phrase part (or anchor) it
        # needs. Each rule is filed under one of those scanner keys, so an answer looks
        # only at the rules filed under the keys its scan saw; a rule that needs nothing
        # from the scan is looked at every time.
        keys = self.scanner.keys
        self._by_key: dict[str, list[tuple[str, int, frozenset[str] | None]]] = {}
        self._always: dict[str, list[int]] = {}
        for cid, criterion in catalogue.criteria.items():
            for i, rule in enumerate(criterion.detector.rules):
                needs = [key for key in (_scan_key(part.pattern, keys) for part in rule.parts) if key]
                if needs:  # filed under the first; the others checked when it is seen
                    self._by_key.setdefault(needs[0], []).append(
                        (cid, i, frozenset(needs) if len(set(needs)) > 1 else None))
                else:
                    self._always.setdefault(cid, []).append(i)
        #: the keys some rule is filed under (the scan also sees exclusions, anchors, later parts)
        self._filed = frozenset(self._by_key)

    def detect(self, text: str, extra: dict[str, Criterion] | None = None) -> Detection:
        norm = normalise(text)
        ctx = Context(norm.text, split(norm.text), self.scanner)
        scanned = ctx.scanned
        todo: dict[str, list[int] | None] = {cid: list(rules) for cid, rules in self._always.items()}
        for key in scanned & self._filed:
            for cid, i, needs in self._by_key[key]:
                if needs is None or needs <= scanned:
                    if cid in todo:
                        todo[cid].append(i)
                    else:
                        todo[cid] = [i]
        check = self.learned
        if check is not None:
            scores, grams = check.scores(ctx.text, ctx.segments)
            # A rule hit the learned check would veto need not be looked for, unless it
            # would suppress another criterion before the veto.
            for cid in self._vetoed(todo, scores) - self._suppressors:
                del todo[cid]
        criteria, order, suppressed = self.catalogue.criteria, self._order, self._suppressed
        if extra:  # a step's own criteria: every rule
            criteria = {**criteria, **extra}
            order = {cid: k for k, cid in enumerate(criteria)}
            suppressed = suppressed | {cid for cid, c in extra.items() if c.detector.suppressed_by}
            todo.update(dict.fromkeys(extra))
        found: dict[str, list[tuple[int, int]]] = {}
        for cid in sorted(todo, key=order.__getitem__):  # found in the catalogue's order
            spans = criteria[cid].detector.find(ctx, todo[cid])
            if spans:
                found[cid] = spans
        for cid in [cid for cid in found if cid in suppressed]:
            if any(s in found for s in criteria[cid].detector.suppressed_by):
                del found[cid]
        if check is not None:
            self._second_opinion(ctx, found, scores, grams)
        if norm.starts is None:  # offsets unchanged by normalisation
            return Detection(text, {cid: tuple(_merge(spans)) for cid, spans in found.items()})
        return Detection(text, {
            cid: tuple(_merge(norm.to_original(a, b) for a, b in spans))
            for cid, spans in found.items()
        })

    def _vetoed(self, cids: Iterable[str], scores: list[int]) -> set[str]:
        """Those of ``cids`` the learned check finds all but impossible (score below its veto)."""
        position, veto = self._position, self.learned.veto
        return {cid for cid in cids if cid in position and scores[position[cid]] < veto}

    def _second_opinion(self, ctx: Context, found: dict[str, list[tuple[int, int]]],
                        scores: list[int], grams: set[int]) -> None:
        """Drop the rule hits the learned check finds very unlikely, add the criteria it
        is confident of (see ``simulator.scoring.learned``)."""
        check = self.learned
        for cid in self._vetoed(found, scores):
            del found[cid]
        for k in compress(range(len(scores)), map(check.add.__le__, scores)):  # score >= add
            cid = check.criteria[k]
            if cid in found:
                continue
            spans = check.evidence(ctx.text, grams, k)
            # The words that weighed most must stand as the clerk's own, plainly: no
            # negator bears on them (not even two: 这事我们不能不管 is no refusal), none
            # of their own is cancelled (the 我们不 there), and they are not quoted or
            # reported to be rejected.
            if spans and not (negators(ctx, *spans[0]) or cancelled(ctx, *spans[0])
                              or (ctx.may_mention and mentioned(ctx, *spans[0]))):
                found[cid] = spans

    def detect_json_line(self, line: bytes | str) -> str:
        """One ``simulator detect`` output line for one input line (never raises)."""
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as exc:
            return json.dumps({"error": f"不是有效的 JSON：{exc}"}, ensure_ascii=False)
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            return json.dumps({"error": "缺少字符串字段 text"}, ensure_ascii=False)
        try:
            found = self.detect(record["text"])
        except Exception as exc:  # noqa: BLE001 - the contract: one line out, always
            return json.dumps({"error": f"检测失败：{type(exc).__name__}"}, ensure_ascii=False)
        out = _json_line(found)
        try:
            out.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates in the input: escape them
            out = json.dumps({"present": found.present, "evidence": found.evidence})
        return out


def _json_line(found: Detection) -> str:
    """``json.dumps({"present": …, "evidence": …}, ensure_ascii=False)``, written out: 2.6
    µs a line against the encoder's 6.0 for its walk over the dicts (a test holds them equal)."""
    quote, text = _QUOTE, found.text
    evidence = ", ".join(f"{quote(cid)}: [{', '.join(quote(text[a:b]) for a, b in spans)}]"
                         for cid, spans in found.spans.items())
    return f'{{"present": [{", ".join(map(quote, found.spans))}], "evidence": {{{evidence}}}}}'


#: A JSON string literal, as ``json.dumps(…, ensure_ascii=False)`` writes it (in C).
_QUOTE = json.encoder.encode_basestring


def detect_lines(lines: Iterable[bytes | str]) -> Iterator[str]:
    """``simulator detect``: one output line for each input line, in order."""
    return map(default_detector().detect_json_line, lines)


def _scan_key(pattern: str, keys: frozenset[str]) -> str | None:
    """The scanner key that must be seen for ``pattern`` to match (itself or its anchor)."""
    if pattern in keys:
        return pattern
    return ANCHOR + pattern if ANCHOR + pattern in keys else None


def _merge(spans: Any) -> list[tuple[int, int]]:
    """Sort spans and merge overlapping ones, so evidence never repeats a character."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


@lru_cache(maxsize=1)
def default_detector() -> Detector:
    """The detector over the built-in catalogue, built once per process."""
    return Detector(load_catalogue())
