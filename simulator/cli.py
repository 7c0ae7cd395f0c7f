"""Every sub-command of ``simulator``: parse the arguments, call the core, print.

Thin on purpose: each command imports what it needs only when it runs, so
``simulator detect`` never pays for Textual and start-up stays fast. Contracts for
outside checks are in ``shared/spec/design.md``; keep their output exact.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path
from typing import Any


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


def cmd_validate(args: argparse.Namespace) -> int:
    from simulator.validate import validate_paths

    problems = validate_paths(args.paths)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    print(f"{errors} 个错误，{warnings} 个警告", file=sys.stderr)
    return 1 if errors else 0


def cmd_run(args: argparse.Namespace) -> int:
    from simulator.engine import Session, resolve_scenario
    from simulator.loader import load_scenario

    path = resolve_scenario(args.scenario)
    if path is None:
        print(f"找不到场景：{args.scenario}（应为场景文件路径或内置场景 id）", file=sys.stderr)
        return 2
    try:
        raw = sys.stdin.buffer.read() if args.answers == "-" else Path(args.answers).read_bytes()
        answers = [(n, line.strip()) for n, line in
                   enumerate(raw.decode("utf-8-sig").splitlines(), 1) if line.strip()]
    except OSError as exc:
        print(f"无法读取答案文件 {args.answers}：{exc.strerror or exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"答案文件 {args.answers} 不是 UTF-8 编码", file=sys.stderr)
        return 2
    scenario, problems = load_scenario(path)
    if scenario is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    session = Session(scenario)
    for index, (number, text) in enumerate(answers):
        if session.finished:
            print(f"接待已经结束，答案文件第 {number} 行起还有 {len(answers) - index} 个答案没有用到",
                  file=sys.stderr)
            break
        try:
            session.answer(text)
        except ValueError as exc:
            print(f"答案文件第 {number} 行：{exc}", file=sys.stderr)
            return 1
    attempt = session.attempt()
    if args.json:
        print(json.dumps({
            "scenario": attempt.scenario,
            "ending": attempt.ending,
            "score": attempt.score,
            "level": attempt.level,
            "steps": [{"step": r.step, "answer": r.answer, "present": r.present, "score": r.score,
                       "meters": r.meters} for r in attempt.steps],
            "sections": {str(k): v for k, v in attempt.sections.items()},
        }, ensure_ascii=False, indent=2))
    else:
        print(_run_summary(session, attempt))
    return 0


def _run_summary(session: Any, attempt: Any) -> str:
    """``simulator run`` without --json: the visit in readable Chinese."""
    scenario, criteria = session.scenario, session.detector.catalogue.criteria
    labels = {m.id: m.label for m in scenario.meters}
    lines = [f"场景：{scenario.title}（{scenario.id}）"]
    for n, r in enumerate(attempt.steps, 1):
        step = scenario.step(r.step)
        said = f"{r.choice}. {session.render(step.options[r.choice - 1].text)}" if r.choice else r.answer
        meters = " · ".join(f"{labels[k]} {v}" for k, v in r.meters.items())
        lines += [f"{n}. {r.step}  {r.score:g} 分（{r.level}）  {meters}", f"   答：{said}"]
        for kind, title in (("good", "做到"), ("bad", "出现")):
            names = [(step.local.get(v.criterion) or criteria[v.criterion]).title
                     for v in r.verdicts if v.present and v.kind == kind]
            if names:
                lines.append(f"   {title}：{'、'.join(names)}")
    ending = session.ending
    lines.append(f"结局：{ending.title}（{ending.id}）" if ending else "结局：答案用完，接待没有结束")
    lines.append(f"总分：{attempt.score:g}（{attempt.level}）")
    if attempt.sections:
        sections = session.detector.catalogue.sections
        lines.append("分项：" + " · ".join(
            f"§{k}{sections[k].title if k in sections else ''} {v:g}" for k, v in attempt.sections.items()))
    return "\n".join(lines)


def cmd_test(args: argparse.Namespace) -> int:
    from simulator.data import builtin_dir
    from simulator.loader import load_scenario
    from simulator.scoring import default_detector
    from simulator.validate import example_mismatches, scenario_files

    detector = default_detector()
    problems: list[Any] = []
    files = scenario_files(args.paths or [builtin_dir("scenarios")], problems)
    for problem in problems:
        print(problem)
    failed = len(problems)
    examples = 0
    for path in files:
        scenario, found = load_scenario(path, catalogue=detector.catalogue)
        if scenario is None:
            for problem in found:
                print(problem)
            failed += 1
            continue
        examples += sum(len(step.examples) for step in scenario.steps)
        for problem in example_mismatches(scenario, detector):
            print(f"{problem.path}:{problem.line}: {problem.message}")
            failed += 1
    verdict = f"{failed} 处不符" if failed else "全部通过"
    print(f"{len(files)} 个场景，{examples} 个示例：{verdict}", file=sys.stderr)
    return 1 if failed else 0


def _fail(message: object, code: int = 1) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return code


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def cmd_history(args: argparse.Namespace) -> int:
    from simulator.progress import history, history_json, scenario_library
    from simulator.scoring import default_detector
    from simulator.store import Store, StoreError

    try:
        with Store.open(args.data) as store:
            trainee = args.trainee or getattr(store.current_trainee(), "id", None)
            if not trainee:
                return _fail("尚未设置当前学员，请用 --trainee 指定工号")
            record = history(store, trainee, scenario_library(), default_detector().catalogue)
    except StoreError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps(history_json(record), ensure_ascii=False, indent=2))
        return 0
    print(f"学员：{record.trainee.name}（工号 {record.trainee.id}），共 {len(record.attempts)} 次作答")
    for a in record.attempts:
        mode = "考试" if a.mode == "exam" else "练习"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(a.started_at))
        print(f"  {when}  {mode}  {record.titles.get(a.scenario, a.scenario)}  "
              f"{_num(a.final_score)} 分（{a.level or '—'}）")
    for w in record.weakest:
        print(f"薄弱：§{w.section} {w.title}，近期平均 {w.score:g} 分")
    for r in record.recommendations:
        print(f"练这个：{r.title}（{r.scenario}）——{r.reason}")
    for a in record.resumable:
        print(f"未完成，可继续：作答记录 {a.id}（{record.titles.get(a.scenario, a.scenario)}）")
    return 0


def _exam_definition(arg: str, paths: Any, library: Any = None) -> tuple[Any, list[str]]:
    """(Exam or None, problem lines) for an exam id or file."""
    from simulator.exam import exam_dirs, find_exam, load_exam
    from simulator.store import StoreError

    try:
        path = find_exam(arg, exam_dirs(paths))
    except StoreError as exc:
        return None, [str(exc)]
    exam, problems = load_exam(path, library)
    return exam, [str(p) for p in problems if p.severity == "error"]


def _answer_lines(stream: Any) -> Any:
    """The answers, one per line (blank lines skipped), read lazily (stdin as it comes)."""
    with stream:
        for line in stream:
            if line.strip():
                yield line.strip()


def _exam_json(run: Any) -> dict[str, Any]:
    from simulator.progress import iso

    s = run.sitting
    scenarios = []
    for sid, attempt, answers in run.transcript():
        scenarios.append({
            "scenario": sid,
            "status": attempt.status if attempt else "unreached",
            "ending": attempt.ending if attempt else None,
            "score": attempt.score if attempt else 0.0,
            "level": attempt.level if attempt else None,
            "steps": [{"step": a.step, "answer": a.answer,
                       "present": [v.criterion for v in a.verdicts if v.present],
                       "score": a.score, "meters": a.meters} for a in answers],
            "sections": {str(k): v for k, v in sorted(attempt.sections.items())} if attempt else {},
        })
    return {
        "exam": run.exam.id, "title": run.exam.title, "trainee": s.trainee,
        "status": s.status, "score": s.score, "level": s.level, "passed": s.passed,
        "pass_mark": run.exam.pass_mark, "started": iso(s.started_at),
        "deadline": iso(s.deadline), "finished": iso(s.finished_at),
        "scenarios": scenarios, "sections": {str(k): v for k, v in sorted(s.sections.items())},
    }


def cmd_exam(args: argparse.Namespace) -> int:
    from simulator.exam import check_in
    from simulator.progress import scenario_library
    from simulator.store import Store, StoreError, resolve_paths

    library = scenario_library()
    exam, errors = _exam_definition(args.exam, resolve_paths(args.data), library)
    if exam is None:
        for line in errors:
            print(line, file=sys.stderr)
        return 1
    try:  # open the answers before check-in, so a wrong path does not start the clock
        stream = (io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig") if args.answers == "-"
                  else open(args.answers, encoding="utf-8-sig"))  # noqa: SIM115
    except OSError as exc:
        return _fail(f"无法读取答案文件 {args.answers}：{exc.strerror or exc}")
    lines = _answer_lines(stream)
    try:
        with Store.open(args.data) as store:
            run = check_in(store, exam, args.trainee, args.name, library)
            stored = [a.answer for _, _, answers in run.transcript() for a in answers]
            for n, expected in enumerate(stored, 1):
                given = next(lines, None)
                if given is None:
                    break
                if given.strip() != expected.strip():
                    return _fail(f"答案文件第 {n} 条与已保存的作答不一致，不能续考"
                                 f"（已保存：“{expected[:30]}”）")
            if stored and not args.json:
                print(f"续考：已恢复 {len(stored)} 条已保存的作答，剩余时间 "
                      f"{run.remaining() / 60:.1f} 分钟")
            for line in lines:
                if run.finished:
                    print("提示：考试已结束，答案文件中多余的行被忽略", file=sys.stderr)
                    break
                try:
                    if run.answer(line) is None:
                        break  # time is up: the sitting closed on what was answered
                except ValueError as exc:
                    return _fail(f"第 {len(stored) + 1} 条作答无效：{exc}")
                stored.append(line)
            if not run.finished:
                run.check_time()
            report = _exam_json(run)
    except OSError as exc:
        return _fail(f"无法读取答案文件 {args.answers}：{exc.strerror or exc}")
    except UnicodeDecodeError:
        return _fail(f"答案文件 {args.answers} 不是 UTF-8 编码（已保存的作答不受影响）")
    except StoreError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        status = {"finished": "已交卷", "timeout": "时间到，已按作答部分计分", "open": "未完成"}
        print(f"考试：{exam.title}（{exam.id}）  学员：{args.name}（工号 {report['trainee']}）")
        print(f"状态：{status[report['status']]}")
        for i, sc in enumerate(report["scenarios"], 1):
            print(f"  {i}. {library[sc['scenario']].title}  {_num(sc['score'])} 分"
                  + ("（未作答）" if sc["status"] == "unreached" else ""))
        if report["status"] != "open":
            verdict = "通过" if report["passed"] else "未通过"
            print(f"成绩：{_num(report['score'])}（{report['level']}），及格线 {exam.pass_mark:g}，{verdict}")
    if report["status"] == "open":
        return _fail("答案用完，考试尚未结束；已作答部分均已保存，可用同一命令续考")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from simulator.progress import scenario_library
    from simulator.reports import FORMATS, gather, write_report
    from simulator.scoring import default_detector
    from simulator.store import Store, StoreError, resolve_paths

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        return _fail(f"未知的报告格式：{'、'.join(unknown) or '（空）'}（可选：html、csv）", 2)
    library = scenario_library()
    exam, errors = _exam_definition(args.exam, resolve_paths(args.data), library)
    if exam is None:
        print(f"提示：找不到可用的考试定义（{'；'.join(errors)}），按及格线 60 分生成报告",
              file=sys.stderr)
    try:
        with Store.open(args.data) as store:
            exam_id = exam.id if exam else args.exam
            if not store.sittings(exam=exam_id):
                return _fail(f"考试 {exam_id} 还没有任何考试记录")
            report = gather(store, exam_id, library, default_detector().catalogue,
                            title=exam.title if exam else None,
                            pass_mark=exam.pass_mark if exam else 60.0,
                            time_limit=exam.time_limit if exam else None)
        written = write_report(report, Path(args.out), formats)
    except StoreError as exc:
        return _fail(exc)
    except OSError as exc:
        return _fail(f"无法写入报告目录 {args.out}：{exc.strerror or exc}")
    pages = sum(1 for p in written if p.parent.name == "trainees")
    for path in written:
        if path.parent.name != "trainees":
            print(f"已生成：{path}")
    if pages:
        print(f"已生成：{pages} 个学员页面（{Path(args.out) / 'trainees'}）")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from simulator.grading import review_step
    from simulator.progress import scenario_library
    from simulator.scoring import default_detector
    from simulator.store import Store, StoreError

    ids = [c.strip() for part in (args.present or []) for c in part.split(",") if c.strip()]
    gone = [c.strip() for part in (args.absent or []) for c in part.split(",") if c.strip()]
    try:
        with Store.open(args.data) as store:
            answers = store.answers(args.attempt)
            record = store.attempt(args.attempt)
            if args.step is None and args.index is None:
                overrides = store.overrides(attempt=args.attempt)
                print(f"作答记录 {record.id}：{record.scenario}，工号 {record.trainee}，"
                      f"自动评分 {_num(record.score)}，复核评分 {_num(record.review_score)}")
                for a in answers:
                    shown = "、".join(v.criterion for v in a.final_verdicts if v.present) or "无"
                    print(f"  第 {a.index + 1} 步 {a.step}：自动 {_num(a.score)}，"
                          f"复核 {_num(a.review_score)}；出现：{shown}")
                    print(f"    回答：{a.answer}")
                for o in overrides:
                    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(o.at))
                    print(f"  复核记录：第 {o.index + 1} 步，{o.reviewer}，{when}，"
                          f"{_num(o.old_score)} → {_num(o.new_score)}，理由：{o.reason}")
                return 0
            if args.index is not None:
                index = args.index - 1
            else:
                matches = [a.index for a in answers if a.step == args.step]
                if not matches:
                    return _fail(f"作答记录 {args.attempt} 中没有步骤 {args.step}")
                if len(matches) > 1:
                    return _fail(f"步骤 {args.step} 作答了 {len(matches)} 次，请用 --index 指定第几步")
                index = matches[0]
            before, score, total = review_step(
                store, args.attempt, index, reviewer=args.reviewer or "", reason=args.reason or "",
                library=scenario_library(), criteria=default_detector().catalogue.criteria,
                present=ids, absent=gone, score=args.score)
    except StoreError as exc:
        return _fail(exc)
    print(f"已复核作答记录 {args.attempt} 第 {index + 1} 步（{before.step}）："
          f"得分 {_num(before.final_score)} → {_num(score)}，本场景复核得分 {_num(total)}")
    return 0


def cmd_rescore(args: argparse.Namespace) -> int:
    from simulator.grading import rescore_exam
    from simulator.progress import scenario_library
    from simulator.scoring import default_detector
    from simulator.store import Store, StoreError, resolve_paths

    library = scenario_library()
    exam, errors = _exam_definition(args.exam, resolve_paths(args.data), library)
    if exam is None:
        for line in errors:
            print(line, file=sys.stderr)
        return 1
    try:
        with Store.open(args.data) as store:
            summary = rescore_exam(store, exam.id, exam.pass_mark, library, default_detector())
    except StoreError as exc:
        return _fail(exc)
    kept = "；原分数已保存在评分历史中" if summary.changed_answers or summary.changed_attempts else ""
    print(f"重新评分完成：共 {summary.answers} 条作答，{summary.changed_answers} 条得分或判定有变化，"
          f"{summary.changed_attempts} 个场景、{summary.changed_sittings} 人的总分有变化{kept}")
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

    p = sub.add_parser("validate", help="检查场景文件，逐行列出问题（path:line:col: error|warning: 说明）")
    p.add_argument("paths", nargs="+", metavar="PATH", help="场景文件或文件夹")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "run", help="不开界面，按答案文件走完一个场景并评分",
        description="不开界面，按答案文件走完一个场景并评分。答案用完而还没到结局时，就停在那里："
                    "ending 为 null，只按已答的步骤计分，退出码仍为 0；到了结局还有多余的答案时，"
                    "在标准错误上提示并忽略。场景文件有错误或选项编号无效时退出码为 1，场景或答案文件找不到时为 2。")
    p.add_argument("scenario", metavar="SCENARIO", help="场景文件路径或内置场景 id")
    p.add_argument("--answers", required=True, metavar="FILE",
                   help="答案文件：每行一个答案，选择题写选项编号；空行跳过；- 表示标准输入")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("test", help="运行场景中每一步的示例答案，报告与评分标准不符之处")
    p.add_argument("paths", nargs="*", metavar="PATH", help="场景文件或文件夹（默认：内置场景）")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser("history", help="查看学员的练习与考试记录、薄弱环节和推荐练习")
    p.add_argument("--trainee", metavar="工号", help="学员工号（默认为当前学员）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("exam", help="考试（无界面模式，供培训老师试考和测试）")
    exam_sub = p.add_subparsers(dest="exam_command", metavar="子命令", required=True)
    q = exam_sub.add_parser("take", help="按答案文件参加一场考试")
    q.add_argument("exam", metavar="EXAM", help="考试 id 或考试文件路径")
    q.add_argument("--trainee", required=True, metavar="工号", help="学员工号")
    q.add_argument("--name", required=True, metavar="姓名", help="学员姓名")
    q.add_argument("--answers", required=True, metavar="FILE",
                   help="答案文件：每行一条作答，按场景顺序接续（选择题写选项编号）；- 表示标准输入")
    q.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    q.set_defaults(func=cmd_exam)

    p = sub.add_parser("report", help="生成考试报告：总报告、学员页面（HTML）和人事用 CSV")
    p.add_argument("exam", metavar="EXAM_ID", help="考试 id")
    p.add_argument("--out", required=True, metavar="DIR", help="输出目录")
    p.add_argument("--format", default="html,csv", metavar="html,csv", help="输出格式（默认两种都要）")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("review", help="人工复核某一步的判定或得分（记录复核人和理由）")
    p.add_argument("attempt", type=int, metavar="ATTEMPT", help="作答记录编号（见学员报告页面）")
    p.add_argument("--step", metavar="STEP", help="步骤 id；不写步骤时列出该作答记录")
    p.add_argument("--index", type=int, metavar="N", help="第几步（从 1 起），同一步骤作答多次时使用")
    p.add_argument("--reviewer", metavar="姓名", help="复核人")
    p.add_argument("--reason", metavar="理由", help="复核理由")
    p.add_argument("--score", type=float, metavar="分数", help="直接给出该步得分（0–100）")
    p.add_argument("--present", action="append", metavar="ID,...", help="判为出现的评分标准")
    p.add_argument("--absent", action="append", metavar="ID,...", help="判为未出现的评分标准")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("rescore", help="按当前评分标准重新评分一场考试（保留原分数）")
    p.add_argument("exam", metavar="EXAM_ID", help="考试 id")
    p.set_defaults(func=cmd_rescore)
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
