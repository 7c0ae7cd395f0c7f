"""The learned check: its features, its two fast paths, the file it is kept in, the
trainer that writes it, and the two ways the detector uses it (veto, addition)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from simulator import cache
from simulator.data import builtin_dir
from simulator.model import Example
from simulator.scoring import Detector, RubricError, default_detector, load_catalogue
from simulator.scoring.learned import NEGATED, UNIT, LearnedCheck, features
from simulator.scoring.text import normalise, split

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT / "tools"))

import train_learned  # noqa: E402


def labelled_texts() -> list[str]:
    return [json.loads(line)["text"] for path in sorted(DATA.glob("dev_tune*.jsonl"))
            for line in path.read_text("utf-8").splitlines() if line.strip()]


def plain_features(text: str) -> set[str]:
    """The features as first written: every slice, every negator by hand."""
    found = {text[i:i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)}
    found -= {" ", ",", "."}
    clauses = split(text).clauses
    for i, ch in enumerate(text):
        if ch in "不没别未无":
            end = next((b for a, b in clauses if a <= i < b), len(text))
            for start in range(i + 1, min(i + 5, end)):
                for size in (1, 2, 3):
                    if start + size <= end:
                        found.add(NEGATED + text[start:start + size])
    return found


@pytest.fixture(scope="module")
def normalised() -> list[str]:
    texts = labelled_texts() + ["", "不", "好", "别。不", "我们不能不管,这事没有人不知道", "a,b.c 不 d"]
    return [normalise(text).text for text in texts]


def test_features_are_every_ngram_and_the_negated_ones(normalised):
    for text in normalised:
        assert features(text, split(text)) == plain_features(text), text


def test_scores_walk_and_automaton_give_the_plain_sums(normalised):
    check = default_detector().catalogue.learned
    fresh = LearnedCheck(**check.__getstate__())
    walk = [fresh.scores(text, split(text))[0] for text in normalised[:200]]  # before the automaton
    fresh._build_automaton()
    assert fresh._automaton is not None
    for text, walked in zip(normalised, walk + [None] * len(normalised), strict=False):
        plain = list(fresh.bias)
        for gram in features(text, split(text)) & fresh._index.keys():
            i = fresh._index[gram]
            for j in range(fresh._starts[i], fresh._starts[i + 1]):
                plain[fresh._ks[j]] += fresh._ws[j]
        assert fresh.scores(text, split(text))[0] == plain, text
        if walked is not None:
            assert walked == plain, text


def test_a_typed_negation_mark_makes_no_negated_feature_walked_or_not():
    check = default_detector().catalogue.learned
    fresh = LearnedCheck(**check.__getstate__())
    marked = next(gram for gram in fresh._index if gram[0] == NEGATED and len(gram) > 1)
    text = "好" + marked  # the mark itself typed: plain characters, not a negator
    walked = fresh.scores(text, split(text))[0]
    fresh._build_automaton()
    assert fresh.scores(text, split(text))[0] == walked


def test_the_shipped_model_is_trained_on_the_current_tuning_sets():
    check = load_catalogue(builtin_dir("rubrics")).learned
    assert check is not None
    current = {p.name: cache.checksum(p.read_bytes()) for p in sorted(DATA.glob("dev_tune*.jsonl"))}
    examples = train_learned.scenario_examples()
    current[train_learned.EXAMPLES] = train_learned.examples_checksum(examples)
    assert check.trained_on == current, "python tools/train_learned.py (pip install -e '.[train]')"
    assert len(examples) > 150 and all(e.answer and (e.present or e.absent) for e in examples)
    assert "dev_heldout.jsonl" not in check.trained_on
    assert check.criteria == list(default_detector().catalogue.criteria)


def test_training_writes_what_inference_reads(tmp_path):
    files = [DATA / "dev_tune.jsonl", DATA / "dev_tune2.jsonl"]
    criteria = list(default_detector().catalogue.criteria)
    biases, weights = train_learned.train(files, criteria)
    out, again = tmp_path / "learned.tsv", tmp_path / "again.tsv"
    train_learned.write(out, files, criteria, biases, weights)
    train_learned.write(again, files, criteria, *train_learned.train(files, criteria))
    assert out.read_bytes() == again.read_bytes()  # deterministic
    check = LearnedCheck.read(out)
    assert check.trained_on == {p.name: cache.checksum(p.read_bytes()) for p in files}
    for text in labelled_texts()[:300]:
        norm = normalise(text).text
        found = features(norm, split(norm))
        expected = [round(b * UNIT) for b in biases]
        for gram in found & weights.keys():
            for k, w in weights[gram].items():
                expected[k] += round(w * UNIT)
        assert check.scores(norm, split(norm))[0] == expected, text


def test_training_learns_from_what_an_example_says_and_nothing_else():
    """An example counts for the criteria it names (present or absent), not for the rest."""
    files = [DATA / "dev_tune2.jsonl"]
    criteria = list(default_detector().catalogue.criteria)
    plain = train_learned.train(files, criteria)
    text = "您先坐，我给您倒杯茶。"
    said = [Example(text, present=("listen.hospitality",))] * 30
    taught = train_learned.train(files, criteria, said)
    k = criteria.index("listen.hospitality")

    def score(model: tuple[list[float], dict[str, dict[int, float]]], k: int) -> float:
        biases, weights = model
        grams = train_learned.answer_features(text)
        return biases[k] + sum(weights[g].get(k, 0) for g in grams & weights.keys())

    assert score(taught, k) > score(plain, k)
    other = criteria.index("statement.rash_promise")
    assert score(taught, other) == score(plain, other)


def test_the_trainer_refuses_the_heldout_part(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["train_learned.py", str(DATA / "dev_heldout.jsonl")])
    with pytest.raises(SystemExit):
        train_learned.main()
    assert "held-out" in capsys.readouterr().err


def toy_check(tmp_path: Path, lines: list[str]) -> LearnedCheck:
    """A check that knows a few n-grams, all other criteria at a neutral bias."""
    criteria = list(default_detector().catalogue.criteria)
    head = {"criteria": criteria, "bias": [0.0] * len(criteria), "veto": 0.0001, "add": 0.8,
            "trained_on": {}}
    path = tmp_path / "learned.tsv"
    path.write_text("\n".join([json.dumps(head, ensure_ascii=False), *sorted(lines)]) + "\n",
                    encoding="utf-8")
    return LearnedCheck.read(path)


def test_a_confident_check_adds_a_criterion_with_its_words_as_evidence(tmp_path):
    k = list(default_detector().catalogue.criteria).index("listen.hospitality")
    check = toy_check(tmp_path, [f"蓝鲸\t{k}:5", f"鲸。\t{k}:9"])
    detector = Detector(default_detector().catalogue._replace(learned=check))
    found = detector.detect("先来看看蓝鲸。")
    assert found.present == ["listen.hospitality"]
    assert found.evidence["listen.hospitality"] == ["蓝鲸"]  # words, not punctuation
    # Its words must stand plainly: not negated, not even twice; not quoted to reject.
    for text in ("我可没让您看蓝鲸。", "不能不看蓝鲸。", "他说“先看蓝鲸”，这话不对。"):
        assert "listen.hospitality" not in detector.detect(text).present, text


def test_a_check_that_finds_a_rule_hit_all_but_impossible_vetoes_it(tmp_path):
    k = list(default_detector().catalogue.criteria).index("listen.hospitality")
    rules = default_detector()
    assert "listen.hospitality" in rules.detect("您请坐。").present
    check = toy_check(tmp_path, [f"请坐\t{k}:-12"])  # p ~ 6e-6
    vetoed = Detector(rules.catalogue._replace(learned=check))
    assert "listen.hospitality" not in vetoed.detect("您请坐。").present
    mild = toy_check(tmp_path, [f"请坐\t{k}:-5"])  # p ~ 0.007: the rule stands
    assert "listen.hospitality" in Detector(rules.catalogue._replace(learned=mild)).detect("您请坐。").present


def test_a_rubric_folder_without_a_model_has_the_rules_alone(tmp_path):
    folder = tmp_path / "rubrics"
    shutil.copytree(builtin_dir("rubrics"), folder)
    (folder / "learned.tsv").unlink()
    assert load_catalogue(folder).learned is None
    (folder / "learned.tsv").write_text('{"criteria": ["no.such"]}\n', encoding="utf-8")
    with pytest.raises(RubricError, match="learned.tsv"):
        load_catalogue(folder)
    (folder / "learned.tsv").write_text("not json\n", encoding="utf-8")
    with pytest.raises(RubricError, match="learned.tsv"):
        load_catalogue(folder)
