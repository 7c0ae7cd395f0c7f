"""The fast paths give exactly what the general ones give: jinja-free conditions and
templates against the jinja2 sandbox, the phrase scanner against a brute-force search, the
spaces-between-Chinese check against its regex, the negator shortcuts against the regexes
alone, and skipping OpenCC against converting.

``python tests/test_fast_paths.py`` rewrites ``simulator/scoring/t2s_triggers.txt`` from
the installed OpenCC's dictionaries (after an OpenCC upgrade, when its test says so).
Regexes loaded from their kept compiled programs are the ones ``re.compile`` makes."""

from __future__ import annotations

import itertools
import json
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from simulator.cache import compiled_program, from_program
from simulator.data import builtin_dir
from simulator.engine import (
    _placeholders,
    _simple_condition,
    compiled_condition,
    render_text,
    sandbox,
)
from simulator.loader import load_scenario
from simulator.scoring import text as text_module
from simulator.scoring.detector import load_catalogue
from simulator.scoring.patterns import Context, PhraseScanner
from simulator.scoring.text import _cjk_spaces, _converter, normalise, split

FAST = [
    "mood >= 90", "mood>=90", "mood < 70", "mood == 0", "mood != 5", "mood <= 10",
    "mood > 5 and trust < 3", "'a' in shown", "'a' not in shown", '"a" in seen or mood >= 90',
    "'a' in shown and 'b' in shown or mood <= 10 and trust > 50", "choice == 1", "choice >= 1",
    "score >= 60", "'x' in steps", "'x' in name", "mood >= 9 or name > 1", "missing >= 5",
    "'a' in missing", "missing == 5", "missing != 5 or mood > 1", "  mood\n>=\n 90  ",
    "'中文' in name", "mood >= 5 and mood < 8", "seen.isdisjoint(['a', 'b'])",
    "mood < 40 and seen.isdisjoint(['x',\n \"a\",])", "name.isdisjoint(['a'])",
    "steps.isdisjoint(['x'])", "other.isdisjoint(['a'])", "missing.isdisjoint(['a'])",
]
SLOW = [
    "mood >= 090", "mood >= 1_0", "mood >= 9.5", "mood >= -5", "not mood", "true == 1",
    "result >= 1", "self == 1", "'a'in shown", "'{{x}}' in shown", "'a\\'b' in shown",
    "mood >= 90 order", "seen.isdisjoint([])", "seen . isdisjoint(['a'])", "(mood > 1)",
    "not seen.isdisjoint(['a'])", "mood > 1 and", "1 < mood", "mood > 1 > 0", "visitor.age > 3",
]
NAMES = [
    {"mood": m, "trust": t, "shown": frozenset(s), "seen": frozenset(["a"]), "choice": c,
     "score": 61.5, "steps": {"x": {}}, "name": n, "other": o}
    for m, t, s, c, n, o in itertools.product(
        [0, 5, 90, 100], [2, 60], [(), ("a",), ("a", "b")], [None, 1], ["中文a", 3],
        [{"a"}, ["a"], {"a": 1}.keys()])
]


def outcome(function, names):
    try:
        return "value", function(**names)
    except Exception as exc:  # noqa: BLE001 - a failing condition is an outcome too
        return "error", type(exc).__name__


@pytest.mark.parametrize("source", FAST + SLOW)
def test_conditions_have_the_sandbox_value(source):
    assert (_simple_condition(source) is not None) == (source in FAST)
    try:
        jinja = sandbox().compile_expression(source)
    except Exception as exc:  # noqa: BLE001 - not a condition at all: the same error then
        with pytest.raises(type(exc)):
            compiled_condition(source)
        return
    for names in NAMES:
        fast, slow = outcome(compiled_condition(source), names), outcome(jinja, names)
        assert fast == slow or fast[0] == slow[0] == "error", (source, names)


def test_every_builtin_condition_takes_the_fast_path():
    for path in sorted(builtin_dir("scenarios").glob("*.yaml")):
        scenario, _ = load_scenario(path)
        conditions = [b.when for s in scenario.steps for b in s.next if b.when]
        conditions += [e.when for e in scenario.endings if e.when]
        assert all(_simple_condition(c) is not None for c in conditions), path


class Vars:
    vars = {"x": "X", "n": 3, "f": 2.5, "b": True, "none_": None, "d": {"a": 1},
            "visitor": {"name": "张"}, "dept": "科"}


@pytest.mark.parametrize("template", [
    "您好{{ dept }}的{{x}}", "a{{ x }}\n", "{{ x }}}", "{{{ x }}", "{{ self }}", "{{ missing }}",
    "{{ n }}", "{{ f }}", "{{ b }}", "{{ none_ }}", "{{ d }}", "{{ visitor.name }}",
    "x\r\n{{ x }}", "{{- x }}", "{{ x }} {{ x }}\n", "{{ x }}{% if n %}y{% endif %}", "{ x }",
    "{{ x }}{# c #}", "{{ mood }}", "{{ visitor.items }}", "{{ visitor.nam }}", "{{ d.a }}",
    "{{ x.a }}", "{{ visitor.__class__ }}", "{{ visitor.self }}", "到{{ visitor.name }}家",
])
def test_templates_render_as_in_the_sandbox(template):
    try:
        expected = sandbox().from_string(template).render({**Vars.vars, "mood": 7})
    except Exception:  # noqa: BLE001 - a broken template shows as written
        expected = template
    assert render_text(Vars, template, {"mood": 7}) == expected


def test_builtin_option_texts_take_the_fast_path():
    for path in sorted(builtin_dir("scenarios").glob("*.yaml")):
        scenario, _ = load_scenario(path)
        for step in scenario.steps:
            for option in step.options:
                if "{" in option.text:
                    assert _placeholders(option.text) is not None, (path, option.text)


def reference(parts: dict[str, frozenset[str]], text: str) -> dict[str, list[tuple[int, int]]]:
    """Every key's phrase spans, found by trying every stretch of the text in turn (by start,
    shorter first, keys in order): what the scanner must give, in the same order."""
    hits: dict[str, list[tuple[int, int]]] = {}
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            for key, phrases in parts.items():
                if text[start:end] in phrases:
                    hits.setdefault(key, []).append((start, end))
    return hits


def test_phrase_scanner_finds_every_phrase_in_order():
    parts = {"a": frozenset({"不", "不是", "是", ""}), "b": frozenset({"不是", "x"}),
             "c": frozenset({"是不是", "不"})}
    scanner = PhraseScanner(parts)
    random.seed(7)
    for _ in range(2000):
        text = "".join(random.choice("不是x是 ") for _ in range(random.randint(0, 9)))
        assert list(scanner.scan(text).items()) == list(reference(parts, text).items()), text


def test_phrase_scanner_over_the_catalogue_matches_brute_force():
    parts = load_catalogue(builtin_dir("rubrics")).lexicon.phrases  # compiled, not cached
    scanner = PhraseScanner(parts)
    assert len(parts) > 100
    for text in ["张先生，您先请坐，我给您倒杯热水。这件事跑了五趟，换了谁心里都窝火。",
                 "这不归我们管，你去找街道吧，我们不清楚。", "我们会在15个工作日内书面答复您。"]:
        norm = normalise(text).text
        assert list(scanner.scan(norm).items()) == list(reference(parts, norm).items())


def test_the_automaton_finds_what_the_walk_finds():
    """A long run switches the scan to pyahocorasick; the phrases, spans and their order
    must stay the same."""
    parts = {"a": frozenset({"不", "不是", "是", ""}), "b": frozenset({"不是", "x"}),
             "c": frozenset({"是不是", "不"})}
    walk, fast = PhraseScanner(parts), PhraseScanner(parts)
    fast.build_automaton()
    random.seed(11)
    for _ in range(2000):
        text = "".join(random.choice("不是x是 ") for _ in range(random.randint(0, 9)))
        assert fast.scan(text) == walk.scan(text) == reference(parts, text), text
    catalogue = load_catalogue(builtin_dir("rubrics"))
    walk = catalogue.scanner
    fast = PhraseScanner(catalogue.lexicon.phrases)
    fast.build_automaton()
    for path in sorted((Path(__file__).parent / "data").glob("dev_tune1*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            norm = normalise(json.loads(line)["text"]).text
            assert fast.scan(norm) == walk.scan(norm), norm


def test_negators_skip_only_words_the_regexes_find_nothing_in():
    """``negators`` looks at its regexes only when a negator's character is there, and the
    rules skip it for an answer without one; the counts are those of the regexes alone."""
    from simulator.scoring import patterns

    def by_regexes(ctx, start, end):
        c_start, c_end = ctx.clause(start)
        prefix = patterns._LEXICALISED.sub(" ", ctx.text[max(c_start, start - 12):start])
        return len(patterns._NEGATOR.findall(prefix)) + bool(
            patterns._POTENTIAL_NEGATION.match(ctx.text, end, c_end))

    random.seed(5)
    words = ["不", "没有", "别", "非常", "休想", "不过", "做不到", "安排", "保证", "好", "，", "。", "莫", "未来"]
    for _ in range(3000):
        text = normalise("".join(random.choice(words) for _ in range(random.randint(1, 8)))).text
        ctx = Context(text, split(text))
        for start in range(len(text)):
            for end in range(start + 1, min(len(text), start + 4) + 1):
                expected = by_regexes(ctx, start, end)
                assert patterns.negators(ctx, start, end) == expected, (text, start, end)
                assert ctx.may_negate or expected == 0, text


def test_regexes_from_kept_programs_are_the_compiled_ones():
    parts = load_catalogue().lexicon._compiled.values()
    gapped = [part for part in parts if not part.scanned]
    assert len(gapped) > 50
    for part in gapped:
        source = part._build()
        # Pattern equality compares the flags, the source and the compiled code itself.
        assert from_program(source, compiled_program(source)) == re.compile(source), part.pattern
    assert from_program("a…b", (0, (None,), b"\x01\x00\x00\x00junk")) is None  # refused, not run


def test_fixed_regexes_from_kept_programs_are_the_compiled_ones():
    from simulator import engine
    from simulator.scoring import patterns

    sources = [source for module in (engine, patterns, text_module) for source in module._REGEXES.asked]
    assert len(sources) >= 20
    for source in sources:  # named groups (engine's conditions), captures, lookarounds
        assert from_program(source, compiled_program(source)) == re.compile(source), source
    assert compiled_program("(?i)a") is None  # inline flags: compiled as usual


def test_spaces_between_chinese_as_the_regex_finds_them():
    regex = re.compile(r"(?<=[\u3000-\u9fff,。!?]) +(?=[\u3000-\u9fff,。!?])")
    alphabet = [" ", " ", "a", "中", ",", "。", "!", "?", "\u3000", "\u9fff", "\ua000", "\u2fff",
                "1", "\n"]
    random.seed(3)
    for _ in range(20000):
        text = "".join(random.choice(alphabet) for _ in range(random.randint(0, 10)))
        assert _cjk_spaces(text) == [m.span() for m in regex.finditer(text)], text


# --- OpenCC is skipped for text without any of its trigger characters ---------------------

_T2S_DICTS = ("TSPhrases", "TSCharacters", "TSCharactersExt", "CJK_Compatibility_Ideographs")


def t2s_triggers_from_opencc() -> str:
    """The trigger characters, from the installed OpenCC's t2s dictionaries (dumped as
    text by its own ``opencc_dict``): every character key whose first value differs,
    and for each changed phrase with none of those, its characters that are keys."""
    import opencc

    root = Path(opencc.__file__).parent / "clib"
    entries: dict[str, list[tuple[str, str]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in _T2S_DICTS:
            out = Path(tmp) / f"{name}.txt"
            subprocess.run([str(root / "bin" / "opencc_dict"), "-i", str(root / "share" / "opencc" / f"{name}.ocd2"),
                            "-o", str(out), "-f", "ocd2", "-t", "text"], check=True, capture_output=True)
            entries[name] = [tuple(line.split("\t")[:2]) for line in out.read_text(encoding="utf-8").splitlines()]
    char_keys = {k for name in _T2S_DICTS[1:] for k, _ in entries[name]}
    triggers = {k for name in _T2S_DICTS[1:] for k, v in entries[name] if v.split(" ")[0] != k}
    for phrase, value in entries["TSPhrases"]:
        if value.split(" ")[0] != phrase and triggers.isdisjoint(phrase):
            known = char_keys.intersection(phrase)
            assert known, f"t2s changes {phrase} with no character it knows"
            triggers |= known
    return "".join(sorted(triggers))


def test_t2s_triggers_match_the_installed_opencc():
    expected = t2s_triggers_from_opencc()
    assert text_module.TRIGGERS_FILE.read_text(encoding="utf-8").strip() == expected, (
        "OpenCC changed: run python tests/test_fast_paths.py")


def test_opencc_leaves_every_other_character_alone():
    converter, triggers = _converter(), text_module._t2s_triggers()
    ranges = [range(0x3400, 0x4DC0), range(0x4E00, 0xA000), range(0xF900, 0xFB00)]
    others = "".join(chr(c) for r in ranges for c in r if chr(c) not in triggers)
    assert len(others) > 20000
    assert converter.convert(others) == others


class _EveryText:
    """Stands in for the trigger set: no text is disjoint from it, so OpenCC always runs."""

    def isdisjoint(self, text: str) -> bool:
        return False


def test_normalising_without_opencc_where_it_changes_nothing_gives_the_same(monkeypatch):
    samples = ["深沈的夜里他說話", "這件事我們會處理", "乾隆年间的房子", "坏了的水管，後來呢？",
               "有序排队", "ＡＢＣ１２３，請坐", "憑藉這份材料"]
    for path in sorted((Path(__file__).parent / "data").glob("dev_*.jsonl")):
        samples += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    fast = [normalise(text) for text in samples]
    skipped = sum(text_module._t2s_triggers().isdisjoint(text) for text in samples)
    assert skipped > len(samples) * 0.9  # the point of it: most answers need no OpenCC
    monkeypatch.setattr(text_module, "_t2s_triggers", _EveryText)
    assert [normalise(text) for text in samples] == fast


if __name__ == "__main__":
    text_module.TRIGGERS_FILE.write_text(t2s_triggers_from_opencc() + "\n", encoding="utf-8")
    print(f"wrote {text_module.TRIGGERS_FILE}", file=sys.stderr)
