"""The persisted cache: the codec, the file checks, and the built-in catalogue and scenarios
read back from it — identical to a fresh load, rebuilt when a source changed or the file is
damaged, and a warm ``simulator run`` that imports neither YAML nor jinja2."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import cache, engine, model
from simulator.data import builtin_dir
from simulator.engine import Session, load_playable
from simulator.loader import load_scenario
from simulator.scoring import detector as detector_module
from simulator.scoring import patterns
from simulator.scoring.detector import Catalogue, Detector, load_catalogue
from simulator.store import APP_NAME

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_CACHE, str(folder))
    return folder


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


class Slotted:
    __slots__ = ("a", "b")


def test_codec_round_trip_keeps_types_and_sharing():
    codec = cache.Codec(Point, Slotted)
    shared = Point((1, 2), frozenset({"a", "b"}))
    slotted = Slotted()
    slotted.a, slotted.b = {("x", 1): [1.5, None, True]}, {3, 4}
    value = {"one": shared, "two": shared, 7: [shared, slotted, "文字", (shared, ())]}
    data = json.loads(json.dumps(codec.encode(value), ensure_ascii=False))
    back = codec.decode(data)
    assert back["one"] is back["two"] is back[7][0] is back[7][3][0]
    assert (back["one"].x, back["one"].y) == ((1, 2), frozenset({"a", "b"}))
    assert back[7][1].a == {("x", 1): [1.5, None, True]} and back[7][1].b == {3, 4}
    assert back[7][2:] == ["文字", (back["one"], ())]
    assert type(back[7][3][1]) is tuple


def test_codec_refuses_what_it_cannot_bring_back():
    codec = cache.Codec(Point)
    for value in (Slotted(), lambda: 1, b"bytes", Path("x"), [Point(1, Path("y"))]):
        with pytest.raises(TypeError):
            codec.encode(value)
    with pytest.raises(KeyError):  # a class it was not given
        codec.decode({"o": ["Slotted", {"t": [None, {"d": []}]}]})


def test_store_and_load_check_key_and_checksum(cache_dir):
    cache.store("thing", "k1", {"d": [[1, 2]]}, [b"\x00raw", "字".encode()])
    assert cache.load("thing", "k1") == ({"d": [[1, 2]]}, [b"\x00raw", "字".encode()])
    assert cache.load("thing", "k2") is None  # stale
    assert cache.load("other", "k1") is None  # missing
    path = cache_dir / "thing.json"
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"[[1,2]]", b"[[1,3]]"))  # damaged, still valid JSON
    assert cache.load("thing", "k1") is None
    path.write_bytes(raw.replace(b"raw", b"rAw"))  # a damaged blob
    assert cache.load("thing", "k1") is None
    head, _, body = raw.partition(b"\n")
    header = json.loads(head)
    header["parts"][1] += 1  # lengths that do not add up, checksum right
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    assert cache.load("thing", "k1") is None
    path.write_bytes(b"\x00garbage")
    assert cache.load("thing", "k1") is None
    assert not list(cache_dir.glob(".*.tmp"))


def test_codec_keeps_bytes_as_blobs():
    codec = cache.Codec(Point)
    blobs: list[bytes] = []
    data = codec.encode(Point(b"one", [b"two", "three"]), blobs)
    assert blobs == [b"one", b"two"]
    back = codec.decode(json.loads(json.dumps(data)), blobs)
    assert (back.x, back.y) == (b"one", [b"two", "three"])


def test_cache_off_reads_and_writes_nothing(cache_dir, monkeypatch):
    monkeypatch.setenv(cache.ENV_CACHE, "off")
    cache.store("thing", "k1", [1])
    assert cache.load("thing", "k1") is None
    assert not cache_dir.exists()


def test_key_follows_the_file_bytes(tmp_path):
    source = tmp_path / "a.yaml"
    source.write_text("a: 1\n", encoding="utf-8")
    first = cache.key(source)
    assert cache.key(source) == first
    source.write_text("a: 2\n", encoding="utf-8")
    assert cache.key(source) != first
    assert cache.key(tmp_path / "missing.yaml") is None


def test_app_name_matches_the_store():
    assert cache.APP_NAME == APP_NAME


def answers() -> list[str]:
    texts = [json.loads(line)["text"] for line in
             (ROOT / "tests" / "data" / "dev_heldout.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()][:300]
    return texts + ["您好，请坐。", "這個問題我們會在15個工作日內書面答覆您。", ""]


def detections(catalogue: Catalogue) -> list:
    found = Detector(catalogue)
    return [found.detect(text).spans for text in answers()]


def test_catalogue_from_the_cache_detects_as_a_fresh_one(cache_dir, monkeypatch):
    fresh = load_catalogue()
    assert (cache_dir / "catalogue.json").is_file(), "the built-in catalogue should be cacheable"

    def no_compiling(folder):
        raise AssertionError("compiled again although the cache is fresh")

    monkeypatch.setattr(detector_module, "_compile_catalogue", no_compiling)
    cached = load_catalogue()
    assert cached is not fresh and type(cached) is Catalogue
    assert cached.sections == fresh.sections
    assert list(cached.criteria) == list(fresh.criteria)
    assert cached.scanner.__getstate__() == fresh.scanner.__getstate__()
    assert cached.learned is not None and cached.learned.__getstate__() == fresh.learned.__getstate__()
    assert detections(cached) == detections(fresh)


def test_an_edited_rubric_rebuilds_the_cache(tmp_path, cache_dir, monkeypatch):
    rubrics = tmp_path / "rubrics"
    shutil.copytree(builtin_dir("rubrics"), rubrics)
    monkeypatch.setattr(detector_module, "builtin_dir",
                        lambda name: rubrics if name == "rubrics" else builtin_dir(name))
    compiled = []
    compile_catalogue = detector_module._compile_catalogue
    monkeypatch.setattr(detector_module, "_compile_catalogue",
                        lambda folder: compiled.append(folder) or compile_catalogue(folder))
    first = load_catalogue()
    load_catalogue()
    assert len(compiled) == 1
    cid = next(iter(first.criteria))
    criteria = rubrics / "criteria.yaml"
    text, count = re.subn(r"(\n\s*title:[ \t]*)[^\n]+", r"\1改过的标题", criteria.read_text("utf-8"),
                          count=1)
    assert count == 1
    criteria.write_text(text, encoding="utf-8")
    assert load_catalogue().criteria[cid].title == "改过的标题"
    assert load_catalogue().criteria[cid].title == "改过的标题"
    assert len(compiled) == 2  # compiled once more for the edit, then read back
    (rubrics / "guidance.yaml").write_text(
        (rubrics / "guidance.yaml").read_text("utf-8") + "\n# 只改了注释\n", encoding="utf-8")
    load_catalogue()
    assert len(compiled) == 3


def test_a_damaged_cache_file_is_ignored_and_rebuilt(cache_dir):
    fresh = load_catalogue()
    path = cache_dir / "catalogue.json"
    head, _, payload = path.read_bytes().partition(b"\n")
    for damage in (b"", b"not json", head + b"\n" + payload[: len(payload) // 2]):
        path.write_bytes(damage)
        again = load_catalogue()
        assert list(again.criteria) == list(fresh.criteria)
        assert path.read_bytes().startswith(head)  # written afresh
    # Valid JSON with the right key and checksum but not a catalogue: rebuilt too.
    cache.store("catalogue", json.loads(head)["key"], {"o": ["Section", [1, "t", "s"]]})
    assert list(load_catalogue().criteria) == list(fresh.criteria)


def model_answers(session: Session) -> list[str]:
    out = []
    while not session.finished:
        step = session.current
        out.append("1" if step.answer == "choice" else session.render(step.model_answer))
        session.answer(out[-1])
    return out


def encoded(codec: cache.Codec, value: object) -> tuple[object, list[bytes]]:
    blobs: list[bytes] = []
    return codec.encode(value, blobs), blobs


def test_builtin_scenarios_from_the_cache_play_as_fresh_ones(cache_dir):
    codec = cache.Codec(*cache.classes_of(model, patterns))
    for path in sorted(builtin_dir("scenarios").glob("*.yaml")):
        fresh, problems = load_scenario(path)
        assert fresh is not None and not problems, path
        first, _ = load_playable(path)  # builds and keeps it
        assert (cache_dir / f"scenario-{path.stem}.json").is_file(), path
        cached, problems = load_playable(path)
        assert cached is not None and not problems
        assert encoded(codec, cached) == encoded(codec, fresh), path
        played = model_answers(Session(fresh))
        assert Session.replay(cached, played).attempt() == Session.replay(fresh, played).attempt()


def test_an_edited_scenario_is_loaded_afresh(tmp_path, cache_dir, monkeypatch):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    source = builtin_dir("scenarios") / "angry-repeat-visitor.yaml"
    path = scenarios / source.name
    shutil.copy(source, path)
    monkeypatch.setattr(engine, "builtin_dir",
                        lambda name: scenarios if name == "scenarios" else builtin_dir(name))
    first, _ = load_playable(path)
    path.write_text(path.read_text(encoding="utf-8").replace(first.title, "改过的场景", 1),
                    encoding="utf-8")
    assert load_playable(path)[0].title == "改过的场景"
    (cache_dir / "scenario-angry-repeat-visitor.json").write_bytes(b"{broken")
    assert load_playable(path)[0].title == "改过的场景"


def test_a_scenario_outside_the_builtin_folder_is_not_cached(tmp_path, cache_dir):
    path = tmp_path / "mine.yaml"
    shutil.copy(ROOT / "tests" / "fixtures" / "branching.yaml", path)
    assert load_playable(path)[0] is not None
    assert not list(cache_dir.glob("scenario-*.json"))


def test_warm_run_imports_neither_yaml_nor_jinja(tmp_path, cache_dir):
    answers_file = tmp_path / "answers.txt"
    answers_file.write_text("您好，请坐。\n", encoding="utf-8")
    run = [sys.executable, "-X", "importtime", "-m", "simulator", "run", "angry-repeat-visitor",
           "--answers", str(answers_file), "--json"]
    env = {**os.environ, cache.ENV_CACHE: str(cache_dir)}
    outputs = []
    for _ in range(2):
        done = subprocess.run(run, capture_output=True, text=True, encoding="utf-8", env=env,
                              cwd=ROOT, check=True)
        outputs.append(done.stdout)
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "simulator.engine" in imported
    assert not imported & {"yaml", "jinja2", "textual", "platformdirs", "hashlib"}
    off = subprocess.run(run, capture_output=True, text=True, encoding="utf-8",
                         env={**env, cache.ENV_CACHE: "off"}, cwd=ROOT, check=True)
    assert outputs[0] == outputs[1] == off.stdout


def test_a_cached_catalogue_keeps_programs_for_gapped_parts_only(cache_dir):
    folder = builtin_dir("rubrics")
    load_catalogue()  # builds and keeps it
    data, blobs = cache.load("catalogue", detector_module.catalogue_key(folder))
    catalogue = detector_module._CODEC.decode(data, blobs)
    assert type(catalogue) is Catalogue
    for part in catalogue.lexicon._compiled.values():
        assert (part._program is None) == part.scanned, part.pattern
        if not part.scanned:
            assert part.regex == re.compile(part._build()), part.pattern


def test_fixed_regexes_are_kept_and_read_back(cache_dir, monkeypatch):
    source = "(?P<who>您|你)(?:好)?|[0-9]+天"
    first = cache.Regexes("test")
    pattern = first.compile(source)
    first.keep()
    path = cache_dir / "regexes-test.json"
    assert path.is_file()
    second = cache.Regexes("test")
    again = second.compile(source)
    assert again == pattern and not second.fresh  # from the kept program
    assert again.match("您好").group("who") == "您"
    path.write_bytes(path.read_bytes()[:-4] + b"\xff" * 4)  # a damaged program
    third = cache.Regexes("test")
    assert third.compile(source) == pattern and third.fresh  # compiled afresh
    monkeypatch.setenv(cache.ENV_CACHE, "off")
    off = cache.Regexes("other")
    assert off.compile(source) == pattern
    off.keep()
    assert not (cache_dir / "regexes-other.json").exists()
