"""Every sub-command of ``simulator``: parse the arguments, call the core, print.

Thin on purpose: each command imports what it needs only when it runs, so
``simulator detect`` never pays for Textual and start-up stays fast. Contracts for
outside checks are in ``shared/spec/design.md``; keep their output exact.
"""

from __future__ import annotations

import argparse
import json
import sys


def cmd_criteria(args: argparse.Namespace) -> int:
    from simulator.scoring import load_catalogue

    catalogue = load_catalogue()
    rows = [
        {"id": c.id, "kind": c.kind, "section": c.section, "title": c.title}
        for c in catalogue.criteria.values()
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            mark = "＋" if row["kind"] == "good" else "－"
            print(f"{mark} §{row['section']} {row['id']:<32} {row['title']}")
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
    from simulator.scoring import default_detector

    detector = default_detector()
    out = sys.stdout
    for line in sys.stdin.buffer:
        out.write(detector.detect_json_line(line))
        out.write("\n")
    out.flush()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simulator",
        description="信访接待模拟训练。不带参数运行时打开训练界面。",
    )
    parser.add_argument("--data", metavar="DIR", help="数据目录（默认为用户数据目录）")
    sub = parser.add_subparsers(dest="command", metavar="命令")

    p = sub.add_parser("criteria", help="列出评分标准目录")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_criteria)

    p = sub.add_parser("detect", help="从标准输入读取 JSON Lines，逐行检测评分标准")
    p.set_defaults(func=cmd_detect)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from simulator.tui.app import run_app

        return run_app(data_dir=args.data)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
