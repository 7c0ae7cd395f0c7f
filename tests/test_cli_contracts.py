"""Command-line contracts outside checks rely on: `criteria --json`, `detect`; and `serve`."""

import json
import subprocess
import sys

from simulator.scoring import load_catalogue


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator", *args], input=stdin,
                          capture_output=True, timeout=60)


def test_criteria_json_lists_the_catalogue():
    result = run("criteria", "--json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert {r["id"] for r in rows} == set(load_catalogue().criteria)
    for row in rows:
        assert set(row) == {"id", "kind", "section", "title"}
        assert row["kind"] in ("good", "bad") and 1 <= row["section"] <= 7


def test_detect_one_line_out_per_line_in_and_in_order():
    lines = [
        {"text": "您先坐，喝口水，慢慢说。", "id": 1},
        "not json",
        {"no_text": True},
        {"text": 42},
        {"text": ""},
        {"text": "这不归我们管，我也不知道该找谁。"},
    ]
    payload = "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
    result = run("detect", stdin=(payload + "\n").encode())
    assert result.returncode == 0
    out = [json.loads(row) for row in result.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    assert {"listen.hospitality", "listen.invite_to_speak"} <= set(out[0]["present"])
    assert out[0]["evidence"]["listen.hospitality"]
    assert "error" in out[1] and "error" in out[2] and "error" in out[3]
    assert out[4] == {"present": [], "evidence": {}}
    assert out[5]["present"] == ["statement.deny_responsibility"]


def test_detect_survives_hostile_input():
    payload = b"\n".join([
        json.dumps({"text": "请坐" * 50_000}).encode(),
        b"\xff\xfe\x00garbage",
        json.dumps({"text": "\u202e\u200f\x00\x07😀 請坐 OK"}).encode(),
        b"[" * 50_000,
    ]) + b"\n"
    result = run("detect", stdin=payload)
    assert result.returncode == 0
    assert b"Traceback" not in result.stderr
    out = [json.loads(row) for row in result.stdout.decode().splitlines()]
    assert len(out) == 4
    assert "listen.hospitality" in out[0]["present"]
    assert "error" in out[1] and "error" in out[3]
    assert "listen.hospitality" in out[2]["present"]


def test_detect_writes_each_line_as_json_dumps_would():
    from pathlib import Path

    from simulator.scoring.detector import detect_lines

    data = Path(__file__).parent / "data"
    texts = [json.loads(line)["text"] for path in sorted(data.glob("dev_*.jsonl"))
             for line in path.read_text("utf-8").splitlines()[:40] if line.strip()]
    texts += ['您说"请坐"\\，\t先坐\x07下\u2028喝水😀', "請坐，喝口水", "lone \ud800 请坐"]
    lines = [json.dumps({"text": text}) for text in texts]
    for line, out in zip(lines, detect_lines(lines), strict=True):
        found = json.loads(out)
        assert set(found) == {"present", "evidence"}
        ensure_ascii = "\ud800" in line and any("\ud800" in e for v in found["evidence"].values() for e in v)
        assert out == json.dumps(found, ensure_ascii=ensure_ascii), line
    assert "listen.hospitality" in json.loads(out)["present"]


def test_detect_does_not_import_textual():
    code = ("import sys, io; sys.stdin = io.TextIOWrapper(io.BytesIO(b'{\"text\": \"x\"}\\n'));"
            "from simulator.cli import main; main(['detect']);"
            "assert not any(m.startswith('textual') for m in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_serve_without_the_web_extra_says_how_to_install(monkeypatch, capsys):
    from simulator.cli import main

    monkeypatch.setitem(sys.modules, "textual_serve", None)
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    assert main(["serve"]) == 1
    assert "pip install -e '.[web]'" in capsys.readouterr().err


def test_only_the_named_subcommand_parser_is_built():
    from simulator.cli import _PARSERS, _command_of, build_parser

    argv = ["--data", "d", "run", "x", "--answers", "f", "--json"]
    assert _command_of(argv) == "run"
    parser = build_parser(_command_of(argv))
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    assert list(sub.choices) == ["run"]
    args = parser.parse_args(argv)
    assert (args.data, args.scenario, args.answers, args.json) == ("d", "x", "f", True)
    # Help, an unknown command or none at all: every command, for argparse to list.
    for other in (["--help"], ["bogus"], [], ["--data=d"], ["-h", "run"]):
        assert _command_of(other) is None
    (sub,) = [a for a in build_parser()._actions if a.dest == "command"]
    assert list(sub.choices) == list(_PARSERS)
