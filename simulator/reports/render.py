"""Write a gathered exam report: HTML (cohort page plus one page per trainee) and CSV for HR.

Templates live in ``templates/`` and are rendered with autoescape on: answers, names and
reasons are untrusted text. Files are written to a temporary name and moved into place,
so a report folder never holds a half-written file.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import jinja2

from simulator.reports.cohort import CohortReport

FORMATS = ("html", "csv")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda t: time.strftime("%Y-%m-%d %H:%M", time.localtime(t))
    return env


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_html(report: CohortReport, out: Path) -> list[Path]:
    """``index.html`` for the cohort and ``trainees/<工号>.html`` for each trainee."""
    env = environment()
    written = [out / "index.html"]
    _write(written[0], env.get_template("cohort.html").render(r=report).encode("utf-8"))
    page = env.get_template("trainee.html")
    for t in report.trainees:
        path = out / "trainees" / t.page
        _write(path, page.render(r=report, t=t).encode("utf-8"))
        written.append(path)
    return written


def _cell(value: object) -> object:
    """Keep a text cell from being read as a formula by a spreadsheet."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def csv_rows(report: CohortReport) -> Iterable[list[object]]:
    width = max((len(t.sitting.plan) for t in report.trainees), default=0)
    sections = sorted(report.sections)
    yield (["工号", "姓名", "考试编号", "考试名称", "第几次", "状态", "开始时间", "交卷时间",
            "用时（分钟）", "自动评分", "复核评分", "最终成绩", "等级", "是否通过"]
           + [h for i in range(1, width + 1) for h in (f"场景{i}", f"场景{i}得分")]
           + [f"§{n} {report.sections[n]}" for n in sections])
    fmt = "%Y-%m-%d %H:%M:%S"
    for t in report.trainees:
        s = t.sitting
        closed = s.status != "open"
        row: list[object] = [
            t.id, t.name, report.exam_id, report.title, s.number, t.status,
            time.strftime(fmt, time.localtime(s.started_at)),
            time.strftime(fmt, time.localtime(s.finished_at)) if s.finished_at else "",
            _num(t.minutes_used), _num(s.score), _num(s.review_score), _num(s.final_score),
            s.level or "",
            ("是" if (s.final_score or 0) >= report.pass_mark else "否") if closed else "",
        ]
        for sc in t.scenarios:
            score = sc.attempt.final_score if sc.attempt is not None else (0.0 if closed else None)
            row += [sc.title, _num(score)]
        row += ["", ""] * (width - len(t.scenarios))
        row += [_num(s.sections.get(n)) for n in sections]
        yield [_cell(v) for v in row]


def write_csv(report: CohortReport, out: Path) -> Path:
    """One row per trainee, UTF-8 with a BOM so Excel shows the Chinese."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(csv_rows(report))
    path = out / f"{report.exam_id}.csv"
    _write(path, buffer.getvalue().encode("utf-8-sig"))
    return path


def write_report(report: CohortReport, out: Path, formats: Iterable[str] = FORMATS) -> list[Path]:
    written: list[Path] = []
    if "html" in formats:
        written += write_html(report, out)
    if "csv" in formats:
        written.append(write_csv(report, out))
    return written
