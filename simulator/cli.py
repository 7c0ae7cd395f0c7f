"""Every sub-command of ``simulator``: parse the arguments, call the core, print.

Thin on purpose: each command imports what it needs only when it runs, so
``simulator detect`` never pays for Textual and start-up stays fast. Contracts for
outside checks are in ``shared/spec/design.md``; keep their output exact.
"""

from __future__ import annotations

import argparse
import io
import json
import os
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
    from simulator.scoring.detector import detect_lines

    out = sys.stdout
    for line in detect_lines(sys.stdin.buffer):
        out.write(line)
        out.write("\n")
    out.flush()
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from simulator.validate import validate_paths

    problems = validate_paths(args.paths)
    for problem in problems:
        print(problem)
    if args.show_paths:
        _path_reports(args.paths, problems)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    print(f"{errors} 个错误，{warnings} 个警告", file=sys.stderr)
    return 1 if errors else 0


def _path_reports(paths: list[str], problems: list[Any]) -> None:
    """``validate --paths``: the full path analysis of each scenario without errors."""
    from simulator.exam import is_exam_file
    from simulator.loader import load_scenario
    from simulator.paths import analyse, describe
    from simulator.scoring import default_detector
    from simulator.validate import scenario_files

    catalogue = default_detector().catalogue
    broken = {p.path for p in problems if p.severity == "error"}
    for path in scenario_files(paths, []):
        if is_exam_file(path) or str(path) in broken:
            continue
        scenario, _ = load_scenario(path, catalogue=catalogue)
        if scenario is not None:
            print()
            print("\n".join(describe(analyse(scenario, catalogue))))


def cmd_run(args: argparse.Namespace) -> int:
    import atexit
    import gc

    # A visit is short, and what it builds (catalogue, scenario) lives until the end: no
    # collector passes over that while it runs, nor at interpreter exit (~15 ms of a run
    # that should take 50). The collector is back on when the command returns (tests
    # call ``main`` in their own process).
    atexit.register(gc.freeze)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(args)
    finally:
        if collecting:
            gc.enable()


def _run(args: argparse.Namespace) -> int:
    from simulator.engine import Session, load_playable, resolve_scenario

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
    scenario, problems = load_playable(path)
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
    if args.random is not None:
        return _test_random(files, detector, args.random, args.seed, failed)
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


def _test_random(files: list[Path], detector: Any, runs: int, seed: int, failed: int) -> int:
    """``simulator test --random N``: seeded random visits, and what they never reached."""
    from simulator.exam import is_exam_file
    from simulator.loader import load_scenario
    from simulator.paths import random_playthroughs

    if runs < 1:
        return _fail(f"--random 应为正整数，这里是 {runs}", 2)
    gaps = 0
    files = [path for path in files if not is_exam_file(path)]
    for path in files:
        scenario, found = load_scenario(path, catalogue=detector.catalogue)
        if scenario is None:
            for problem in found:
                print(problem)
            failed += 1
            continue
        try:
            cov = random_playthroughs(scenario, detector, runs, seed)
        except ValueError as exc:  # e.g. a choice step without options
            print(f"{path}: {exc}")
            failed += 1
            continue
        reached = sum(1 for n in cov.steps.values() if n)
        ended = sum(1 for n in cov.endings.values() if n)
        print(f"{path}：随机走 {runs} 遍，走到 {reached}/{len(scenario.steps)} 个步骤、"
              f"{ended}/{len(scenario.endings)} 个结局")
        if cov.missed_steps:
            print("  没走到的步骤：" + "、".join(f"{st.id}（第 {st.line} 行）" for st in cov.missed_steps))
        if cov.missed_endings:
            print("  没走到的结局：" + "、".join(
                f"{e.id}（第 {scenario.marks.get(('endings', scenario.endings.index(e)), (0, 0))[0]} 行）"
                for e in cov.missed_endings))
        if cov.unfinished:
            print(f"  有 {cov.unfinished} 遍在每步最多走两次之内没有走到结局（分支成环？）")
        print("  结局分布：" + ("、".join(f"{eid} {n}" for eid, n in cov.endings.items() if n) or "无"))
        gaps += bool(cov.missed_steps or cov.missed_endings)
    verdict = f"{gaps} 个场景有没走到的步骤或结局" if gaps else "每个步骤和结局都走到了"
    print(f"{len(files)} 个场景，每个随机走 {runs} 遍（种子 {seed}）：{verdict}", file=sys.stderr)
    return 1 if failed else 0


def cmd_new(args: argparse.Namespace) -> int:
    from simulator.authoring import AuthoringError, write_skeleton
    from simulator.loader import SCENARIO_ID

    name = args.name
    if not SCENARIO_ID.match(name):
        hint = "，不要带 .yaml 后缀" if name.endswith((".yaml", ".yml")) else ""
        return _fail(f"场景名“{name}”不是有效的场景 id：只能用小写字母、数字和连字符，"
                     f"如 angry-visitor{hint}", 2)
    try:
        path = write_skeleton(name, Path(args.dir))
    except AuthoringError as exc:
        return _fail(exc)
    print(f"已生成场景骨架：{path}")
    print(f"改写内容后，用 simulator validate {path} 检查，用 simulator test {path} 运行示例")
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    from simulator.authoring import graph
    from simulator.engine import Session, resolve_scenario
    from simulator.loader import load_scenario
    from simulator.paths import analyse
    from simulator.scoring import default_detector
    from simulator.validate import validate_scenario

    path = resolve_scenario(args.scenario)
    if path is None:
        return _fail(f"找不到场景：{args.scenario}（应为场景文件路径或内置场景 id）", 2)
    detector = default_detector()
    scenario, problems = load_scenario(path, catalogue=detector.catalogue)
    if scenario is not None:
        problems = [p for p in validate_scenario(scenario, detector.catalogue, path_budget=0)
                    if p.severity == "error"]
    if scenario is None or problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return _fail("场景有错误，请先修正（simulator validate）再画图")
    analysis = analyse(scenario, detector.catalogue)
    print(graph(scenario, args.format, analysis, Session(scenario, detector).render), end="")
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from simulator.authoring import coverage, coverage_json, coverage_markdown, coverage_text
    from simulator.data import builtin_dir
    from simulator.exam import is_exam_file
    from simulator.loader import load_scenario
    from simulator.scoring import default_detector
    from simulator.validate import scenario_files

    catalogue = default_detector().catalogue
    problems: list[Any] = []
    files = scenario_files(args.paths or [builtin_dir("scenarios")], problems)
    scenarios = []
    for path in files:
        if is_exam_file(path):
            continue
        scenario, found = load_scenario(path, catalogue=catalogue)
        if scenario is None:
            problems += [p for p in found if p.severity == "error"]
        else:
            scenarios.append(scenario)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("以上文件有错误，没有计入覆盖统计", file=sys.stderr)
    render = (coverage_json if args.json else
              coverage_markdown if args.format == "markdown" else coverage_text)
    print(render(coverage(scenarios, catalogue)), end="")
    return 1 if any(p.severity == "error" for p in problems) else 0


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


def _exam_or_report(args: argparse.Namespace, library: Any) -> Any:
    """The exam named on the command line, or None after printing why it cannot be used."""
    from simulator.store import resolve_paths

    exam, errors = _exam_definition(args.exam, resolve_paths(args.data), library)
    for line in errors if exam is None else ():
        print(line, file=sys.stderr)
    return exam


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
    from simulator.store import Store, StoreError

    library = scenario_library()
    exam = _exam_or_report(args, library)
    if exam is None:
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
    from simulator.store import Store, StoreError

    library = scenario_library()
    exam = _exam_or_report(args, library)
    if exam is None:
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


def cmd_play(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"找不到场景文件：{args.file}", file=sys.stderr)
        return 2
    from simulator.tui.app import run_app

    return run_app(data_dir=args.data, watch=path)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from textual_serve.server import Server
    except ImportError:
        print("浏览器访问需要先安装：pip install -e '.[web]'", file=sys.stderr)
        return 1
    import shlex

    command = f"{sys.executable} -m simulator"
    if args.data:
        command += f" --data {shlex.quote(args.data)}"
    print(f"在浏览器中打开 http://{args.host}:{args.port} 即可练习（Ctrl+C 停止）", file=sys.stderr)
    Server(command, host=args.host, port=args.port, title="信访接待模拟训练").serve()
    return 0


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, without the ``shutil`` import (~2 ms with its
    compression modules) it makes to learn the terminal width: argparse builds one
    for every argument it adds, not only for ``--help``."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        if width is None:
            width = _terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _terminal_columns() -> int:
    """As ``shutil.get_terminal_size().columns``: $COLUMNS, else the terminal, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; with ``command``, only that sub-command's parser (building all
    fifteen takes ~8 ms, a sixth of the budget of a ``simulator run``)."""
    parser = _Parser(
        prog="simulator",
        description="信访接待模拟训练。不带参数运行时打开训练界面。",
    )
    parser.add_argument("--data", metavar="DIR", help="数据目录（默认为用户数据目录）")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    for name, add in _PARSERS.items():
        if command is None or name == command:
            add(sub)
    return parser


def _command_of(argv: list[str]) -> str | None:
    """The sub-command ``argv`` names, when nothing before it asks for help."""
    args = iter(argv)
    for arg in args:
        if arg == "--data":
            next(args, None)
        elif not arg.startswith("-"):
            return arg if arg in _PARSERS else None
        elif not arg.startswith("--data="):
            return None
    return None


def _play_parser(sub: Any) -> None:
    p = sub.add_parser("play", help="在界面里预览一个场景文件；文件保存后自动重新载入，有错误时在界面里显示")
    p.add_argument("file", metavar="FILE", help="场景 YAML 文件")
    p.add_argument("--watch", action="store_true", default=True,
                   help="文件变化时重新载入并重新开始对话（默认开启）")
    p.set_defaults(func=cmd_play)


def _serve_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="在培训室里把训练界面提供给浏览器（需安装 web 附加依赖）")
    p.add_argument("--host", default="localhost", help="监听地址（默认 localhost）")
    p.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    p.set_defaults(func=cmd_serve)


def _criteria_parser(sub: Any) -> None:
    p = sub.add_parser("criteria", help="列出评分标准目录")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_criteria)


def _detect_parser(sub: Any) -> None:
    p = sub.add_parser("detect", help="从标准输入读取 JSON Lines，逐行检测评分标准")
    p.set_defaults(func=cmd_detect)


def _validate_parser(sub: Any) -> None:
    p = sub.add_parser("validate", help="检查场景文件，逐行列出问题（path:line:col: error|warning: 说明）")
    p.add_argument("paths", nargs="+", metavar="PATH", help="场景文件或文件夹")
    p.add_argument("--paths", dest="show_paths", action="store_true",
                   help="另外对每个没有错误的场景做完整的路径分析，列出各结局的得分范围和对应路径"
                        "（校验本身的路径分析按文件数分配推演步数，文件很多时不做）")
    p.set_defaults(func=cmd_validate)


def _run_parser(sub: Any) -> None:
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


def _test_parser(sub: Any) -> None:
    p = sub.add_parser("test", help="运行场景中每一步的示例答案，报告与评分标准不符之处")
    p.add_argument("paths", nargs="*", metavar="PATH", help="场景文件或文件夹（默认：内置场景）")
    p.add_argument("--random", type=int, metavar="N",
                   help="改为随机走 N 遍每个场景（每步随机选一个示例答案或选项，经引擎和检测器），"
                        "报告没走到的步骤和结局")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="随机种子（默认 0；同一种子每次走出的路径相同）")
    p.set_defaults(func=cmd_test)


def _new_parser(sub: Any) -> None:
    p = sub.add_parser("new", help="生成一个带注释的场景骨架 NAME.yaml（可直接通过校验）")
    p.add_argument("name", metavar="NAME", help="场景 id：小写字母、数字和连字符，也是文件名")
    p.add_argument("--dir", default=".", metavar="DIR", help="写到这个文件夹（默认当前文件夹）")
    p.set_defaults(func=cmd_new)


def _graph_parser(sub: Any) -> None:
    p = sub.add_parser("graph", help="画出场景的分支图（Mermaid 或 Graphviz），结局上标出得分范围",
                       description="画出场景的步骤、分支（标出条件，“否则”为默认分支；虚线为按结局条件"
                                   "选结局）和结局（标出路径分析得到的得分范围）。Mermaid 可直接贴进 "
                                   "Markdown 的 ```mermaid 代码块，dot 交给 Graphviz。")
    p.add_argument("scenario", metavar="SCENARIO", help="场景文件路径或内置场景 id")
    p.add_argument("--format", choices=("mermaid", "dot"), default="mermaid",
                   help="输出格式（默认 mermaid）")
    p.set_defaults(func=cmd_graph)


def _coverage_parser(sub: Any) -> None:
    p = sub.add_parser("coverage", help="场景库覆盖矩阵：各场景训练到的章节（§1–§7）和评分标准",
                       description="统计每个场景中期望做到、应避免或在选项中出现各评分标准的步骤数，"
                                   "按指导意见章节和按评分标准各列一张表，并列出没有任何场景训练的评分标准。")
    p.add_argument("paths", nargs="*", metavar="PATH", help="场景文件或文件夹（默认：内置场景）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--format", choices=("text", "markdown"), default="text",
                   help="text（默认，终端表格）或 markdown（培训笔记用）")
    p.set_defaults(func=cmd_coverage)


def _history_parser(sub: Any) -> None:
    p = sub.add_parser("history", help="查看学员的练习与考试记录、薄弱环节和推荐练习")
    p.add_argument("--trainee", metavar="工号", help="学员工号（默认为当前学员）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=cmd_history)


def _exam_parser(sub: Any) -> None:
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


def _report_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="生成考试报告：总报告、学员页面（HTML）和人事用 CSV")
    p.add_argument("exam", metavar="EXAM_ID", help="考试 id")
    p.add_argument("--out", required=True, metavar="DIR", help="输出目录")
    p.add_argument("--format", default="html,csv", metavar="html,csv", help="输出格式（默认两种都要）")
    p.set_defaults(func=cmd_report)


def _review_parser(sub: Any) -> None:
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


def _rescore_parser(sub: Any) -> None:
    p = sub.add_parser("rescore", help="按当前评分标准重新评分一场考试（保留原分数）")
    p.add_argument("exam", metavar="EXAM_ID", help="考试 id")
    p.set_defaults(func=cmd_rescore)


_PARSERS = {
    "play": _play_parser,
    "serve": _serve_parser,
    "criteria": _criteria_parser,
    "detect": _detect_parser,
    "validate": _validate_parser,
    "run": _run_parser,
    "test": _test_parser,
    "new": _new_parser,
    "graph": _graph_parser,
    "coverage": _coverage_parser,
    "history": _history_parser,
    "exam": _exam_parser,
    "report": _report_parser,
    "review": _review_parser,
    "rescore": _rescore_parser,
}


def main(argv: list[str] | None = None) -> int:
    # The script without arguments opens the TUI in ``__main__``, without importing this module.
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(_command_of(argv)).parse_args(argv)
    if args.command is None:
        from simulator.tui.app import run_app

        return run_app(data_dir=args.data)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except ValueError as exc:  # a broken rubric file, whichever command loaded it
        from simulator.scoring.detector import RubricError

        if isinstance(exc, RubricError):
            return _fail(f"评分标准无法使用：{exc}")
        raise
