"""Attempts, answers, exam sittings and reviews on disk: one SQLite file per data folder.

Owns where the data lives (``resolve_paths``: ``--data DIR`` > ``SIMULATOR_DATA`` > the
per-user data folder), the schema and its migrations (``PRAGMA user_version``), and every
read and write of the record. Each write is one ``BEGIN IMMEDIATE`` transaction, so a
crash leaves either all of it or none of it; an answer is committed before the caller
shows the visitor's reply.

Durability: WAL with ``synchronous=FULL``. With WAL, ``NORMAL`` already survives a killed
process (the WAL is in the OS page cache), but a power cut in a training room could lose
the last answers; ``FULL`` syncs the WAL on each commit, which costs well under a
millisecond per answer on an SSD (see ``bench/save_speed.py``), far inside the budget.
Several processes share one folder safely: WAL lets readers run beside one writer, and
a generous busy timeout queues the writers.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.model import Attempt, StepResult, Verdict

APP_NAME = "xinfang-simulator"
ENV_DATA = "SIMULATOR_DATA"
DB_NAME = "simulator.db"
#: Marks the file as ours (``PRAGMA application_id``): "XFSM".
APPLICATION_ID = 0x5846534D
BUSY_TIMEOUT_S = 30.0


class StoreError(Exception):
    """The record cannot be read or written; the message is for the clerk (Chinese)."""


# ---------------------------------------------------------------- paths and settings


@dataclass(frozen=True, slots=True)
class Paths:
    """Where this installation keeps its data."""

    data: Path  # the data folder
    db: Path  # the SQLite file
    exams: Path  # the training office's own exam definitions (besides the built-in ones)


def resolve_paths(data: str | os.PathLike[str] | None = None) -> Paths:
    """The data folder: ``data`` (the ``--data`` option) > ``$SIMULATOR_DATA`` > user folder."""
    if data:
        folder = Path(data)
    elif os.environ.get(ENV_DATA):
        folder = Path(os.environ[ENV_DATA])
    else:
        from platformdirs import user_data_dir

        folder = Path(user_data_dir(APP_NAME, appauthor=False))
    folder = folder.expanduser()
    return Paths(data=folder, db=folder / DB_NAME, exams=folder / "exams")


# ---------------------------------------------------------------- schema

#: One entry per schema version; entry ``n`` moves a database from version n to n+1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL)""",
        """CREATE TABLE trainees (
            id         TEXT PRIMARY KEY,          -- 工号
            name       TEXT NOT NULL,
            created_at REAL NOT NULL)""",
        """CREATE TABLE sittings (
            id          INTEGER PRIMARY KEY,
            exam        TEXT NOT NULL,
            trainee     TEXT NOT NULL REFERENCES trainees(id),
            number      INTEGER NOT NULL DEFAULT 1, -- 1..exam.attempts
            plan        TEXT NOT NULL,              -- JSON list of scenario ids
            seed        INTEGER NOT NULL,
            started_at  REAL NOT NULL,
            deadline    REAL NOT NULL,
            finished_at REAL,
            status      TEXT NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'finished', 'timeout')),
            score       REAL,
            level       TEXT,
            passed      INTEGER,
            sections    TEXT,
            review_score REAL,
            UNIQUE (exam, trainee, number))""",
        """CREATE TABLE attempts (
            id          INTEGER PRIMARY KEY,
            trainee     TEXT NOT NULL REFERENCES trainees(id),
            scenario    TEXT NOT NULL,
            mode        TEXT NOT NULL CHECK (mode IN ('practice', 'exam')),
            sitting     INTEGER REFERENCES sittings(id),
            seq         INTEGER,                    -- place in the sitting's plan (0-based)
            started_at  REAL NOT NULL,
            finished_at REAL,
            status      TEXT NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'finished', 'closed')),
            ending      TEXT,
            score       REAL,
            level       TEXT,
            sections    TEXT,
            meters      TEXT,
            review_score REAL,
            UNIQUE (sitting, seq))""",
        "CREATE INDEX attempts_by_trainee ON attempts (trainee, started_at)",
        """CREATE TABLE answers (
            attempt      INTEGER NOT NULL REFERENCES attempts(id),
            idx          INTEGER NOT NULL,          -- 0-based order within the attempt
            step         TEXT NOT NULL,
            answer       TEXT NOT NULL,
            choice       INTEGER,
            verdicts     TEXT NOT NULL,             -- JSON, automatic (current rubric)
            score        REAL NOT NULL,             -- automatic
            level        TEXT NOT NULL,
            meters       TEXT NOT NULL,             -- JSON, after the step's effects
            goto         TEXT NOT NULL,
            weight       REAL NOT NULL DEFAULT 1,
            committed_at REAL NOT NULL,
            review_verdicts TEXT,                   -- JSON, set by a reviewer
            review_score    REAL,
            PRIMARY KEY (attempt, idx))""",
        """CREATE TABLE overrides (
            id           INTEGER PRIMARY KEY,
            attempt      INTEGER NOT NULL,
            idx          INTEGER NOT NULL,
            reviewer     TEXT NOT NULL,
            at           REAL NOT NULL,
            old_verdicts TEXT NOT NULL,
            new_verdicts TEXT NOT NULL,
            old_score    REAL NOT NULL,
            new_score    REAL NOT NULL,
            reason       TEXT NOT NULL,
            FOREIGN KEY (attempt, idx) REFERENCES answers(attempt, idx))""",
        """CREATE TABLE score_history (               -- scores replaced by a rescore
            id       INTEGER PRIMARY KEY,
            sitting  INTEGER REFERENCES sittings(id), -- set for a sitting's total
            attempt  INTEGER REFERENCES attempts(id), -- set for an attempt or one of its answers
            idx      INTEGER,                       -- set for an answer
            at       REAL NOT NULL,
            reason   TEXT NOT NULL,                 -- e.g. 重新评分
            score    REAL,
            verdicts TEXT)""",
    ),
)


def schema_version() -> int:
    return len(MIGRATIONS)


# ---------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Trainee:
    id: str  # 工号
    name: str


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    id: int
    trainee: str
    scenario: str
    mode: str  # practice | exam
    sitting: int | None
    seq: int | None
    started_at: float
    finished_at: float | None
    status: str  # open | finished | closed (time-out or given up)
    ending: str | None
    score: float | None
    level: str | None
    sections: dict[int, float]
    meters: dict[str, int]
    review_score: float | None

    @property
    def final_score(self) -> float | None:
        """The reviewed score when a trainer reviewed the attempt, else the automatic one."""
        return self.review_score if self.review_score is not None else self.score


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    attempt: int
    index: int
    step: str
    answer: str
    choice: int | None
    verdicts: tuple[Verdict, ...]
    score: float
    level: str
    meters: dict[str, int]
    goto: str
    weight: float
    committed_at: float
    review_verdicts: tuple[Verdict, ...] | None
    review_score: float | None

    @property
    def final_verdicts(self) -> tuple[Verdict, ...]:
        return self.review_verdicts if self.review_verdicts is not None else self.verdicts

    @property
    def final_score(self) -> float:
        return self.review_score if self.review_score is not None else self.score

    def result(self) -> StepResult:
        """The automatic result as the engine produced it."""
        return StepResult(self.step, self.answer, self.verdicts, self.score, self.level,
                          self.meters, self.goto, self.choice)


@dataclass(frozen=True, slots=True)
class SittingRecord:
    id: int
    exam: str
    trainee: str
    number: int
    plan: tuple[str, ...]
    seed: int
    started_at: float
    deadline: float
    finished_at: float | None
    status: str  # open | finished | timeout
    score: float | None
    level: str | None
    passed: bool | None
    sections: dict[int, float]
    review_score: float | None

    @property
    def final_score(self) -> float | None:
        return self.review_score if self.review_score is not None else self.score


@dataclass(frozen=True, slots=True)
class Override:
    id: int
    attempt: int
    index: int
    reviewer: str
    at: float
    old_verdicts: tuple[Verdict, ...]
    new_verdicts: tuple[Verdict, ...]
    old_score: float
    new_score: float
    reason: str


def verdicts_json(verdicts: Sequence[Verdict]) -> str:
    return json.dumps([
        {"criterion": v.criterion, "kind": v.kind, "expected": v.expected, "present": v.present,
         "evidence": list(v.evidence), "spans": [list(s) for s in v.spans]}
        for v in verdicts
    ], ensure_ascii=False)


def verdicts_from_json(text: str) -> tuple[Verdict, ...]:
    return tuple(
        Verdict(d["criterion"], d["kind"], bool(d["expected"]), bool(d["present"]),
                tuple(d.get("evidence", ())), tuple(tuple(s) for s in d.get("spans", ())))
        for d in json.loads(text)
    )


def _sections(text: str | None) -> dict[int, float]:
    return {int(k): float(v) for k, v in json.loads(text).items()} if text else {}


def _attempt(row: sqlite3.Row) -> AttemptRecord:
    return AttemptRecord(
        row["id"], row["trainee"], row["scenario"], row["mode"], row["sitting"], row["seq"],
        row["started_at"], row["finished_at"], row["status"], row["ending"], row["score"],
        row["level"], _sections(row["sections"]),
        json.loads(row["meters"]) if row["meters"] else {}, row["review_score"])


def _answer(row: sqlite3.Row) -> AnswerRecord:
    review = row["review_verdicts"]
    return AnswerRecord(
        row["attempt"], row["idx"], row["step"], row["answer"], row["choice"],
        verdicts_from_json(row["verdicts"]), row["score"], row["level"],
        json.loads(row["meters"]), row["goto"], row["weight"], row["committed_at"],
        verdicts_from_json(review) if review is not None else None, row["review_score"])


def _sitting(row: sqlite3.Row) -> SittingRecord:
    return SittingRecord(
        row["id"], row["exam"], row["trainee"], row["number"], tuple(json.loads(row["plan"])),
        row["seed"], row["started_at"], row["deadline"], row["finished_at"], row["status"],
        row["score"], row["level"], None if row["passed"] is None else bool(row["passed"]),
        _sections(row["sections"]), row["review_score"])


def _override(row: sqlite3.Row) -> Override:
    return Override(
        row["id"], row["attempt"], row["idx"], row["reviewer"], row["at"],
        verdicts_from_json(row["old_verdicts"]), verdicts_from_json(row["new_verdicts"]),
        row["old_score"], row["new_score"], row["reason"])


def check_identity(trainee_id: str, name: str) -> tuple[str, str]:
    """Trim and check a 工号 and a name; raises ``StoreError`` with the reason."""
    trainee_id, name = (trainee_id or "").strip(), (name or "").strip()
    if not trainee_id:
        raise StoreError("工号不能为空")
    if len(trainee_id) > 32 or any(ch.isspace() or not ch.isprintable() for ch in trainee_id):
        raise StoreError(f"工号“{trainee_id[:32]}”无效：最多 32 个字符，不能含空格或控制字符")
    if not name:
        raise StoreError("姓名不能为空")
    if len(name) > 32 or not name.isprintable():
        raise StoreError("姓名无效：最多 32 个字符，不能含控制字符")
    return trainee_id, name


# ---------------------------------------------------------------- errors


def _explain(exc: sqlite3.Error, paths: Paths) -> StoreError:
    """A Chinese message for an SQLite failure (the transaction was rolled back)."""
    name = getattr(exc, "sqlite_errorname", "")
    text = str(exc).lower()
    if name == "SQLITE_FULL" or "full" in text:
        return StoreError(f"数据目录空间已满，本次写入已撤销：{paths.data}")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")) or \
            "readonly" in text or "unable to open" in text:
        return StoreError(f"数据目录不可写（只读或无权限）：{paths.data}")
    if name.startswith("SQLITE_BUSY") or "locked" in text:
        return StoreError("数据库正被其他终端长时间占用，请稍后重试")
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or "not a database" in text \
            or "malformed" in text:
        return StoreError(f"数据文件已损坏或不是本程序的数据库：{paths.db}")
    if isinstance(exc, sqlite3.IntegrityError) and "unique" in text:
        return StoreError("这次作答正在另一个终端进行（同一步已被保存），请只在一个终端继续")
    if isinstance(exc, sqlite3.IntegrityError) and "foreign key" in text:
        return StoreError("记录引用了不存在的学员或作答（请先登记工号）")
    if name.startswith("SQLITE_IOERR") or "disk i/o" in text:
        return StoreError(f"读写数据目录时出错（磁盘或权限问题）：{paths.data}")
    return StoreError(f"数据库错误：{exc}")


# ---------------------------------------------------------------- the store


class Store:
    """One connection to the record. Thread-safe (one lock); open with ``Store.open``."""

    def __init__(self, paths: Paths, conn: sqlite3.Connection) -> None:
        self.paths = paths
        self._conn = conn
        self._lock = threading.RLock()

    # -- opening

    @classmethod
    def open(cls, data: str | os.PathLike[str] | None = None) -> Store:
        """Open (and create or migrate) the record in the resolved data folder."""
        paths = resolve_paths(data)
        try:
            paths.data.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise StoreError(f"数据目录路径已被一个文件占用：{paths.data}") from None
        except OSError as exc:
            raise StoreError(f"无法创建数据目录 {paths.data}：{exc.strerror or exc}") from None
        if not paths.data.is_dir():
            raise StoreError(f"数据目录路径不是文件夹：{paths.data}")
        conn = None
        try:
            conn = sqlite3.connect(paths.db, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            store = cls(paths, conn)
            store._configure()
            store._migrate()
            return store
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            raise _explain(exc, paths) from None
        except StoreError:
            if conn is not None:
                conn.close()
            raise

    def _configure(self) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > schema_version():
            raise StoreError(
                f"数据库 {self.paths.db} 由更新版本的程序创建（数据结构版本 {version}，"
                f"本程序支持到 {schema_version()}），请升级程序后再打开；数据未被改动")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if app_id not in (0, APPLICATION_ID):
            raise StoreError(f"{self.paths.db} 不是本程序的数据库")
        if str(self._wal(conn)).lower() != "wal":
            raise StoreError(f"无法在数据目录启用预写日志（WAL）：{self.paths.data}")
        conn.execute("PRAGMA synchronous = FULL")

    @staticmethod
    def _wal(conn: sqlite3.Connection) -> str:
        """Switch to WAL (persistent in the file). The switch does not wait on the busy
        handler when another process is switching at the same moment, so retry here."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() == "wal":
                return mode
            try:
                return conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _migrate(self) -> None:
        conn = self._conn
        if conn.execute("PRAGMA user_version").fetchone()[0] == schema_version():
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # re-read under the lock
            if version > schema_version():
                raise StoreError(f"数据库 {self.paths.db} 由更新版本的程序创建，请升级程序")
            if version == 0 and conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]:
                raise StoreError(f"{self.paths.db} 不是本程序的数据库")
            for statements in MIGRATIONS[version:]:
                for sql in statements:
                    conn.execute(sql)
            conn.execute(f"PRAGMA user_version = {schema_version()}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise _explain(exc, self.paths) from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): all of it lands or none of it."""
        with self._lock, self._guard():
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock, self._guard():
            return self._conn.execute(sql, params).fetchall()

    # -- settings and trainees

    def setting(self, key: str, default: str | None = None) -> str | None:
        rows = self._query("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0]["value"] if rows else default

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def trainee(self, trainee_id: str) -> Trainee | None:
        rows = self._query("SELECT id, name FROM trainees WHERE id = ?", (trainee_id,))
        return Trainee(rows[0]["id"], rows[0]["name"]) if rows else None

    def trainees(self) -> list[Trainee]:
        return [Trainee(r["id"], r["name"]) for r in self._query("SELECT id, name FROM trainees ORDER BY id")]

    def register_trainee(self, trainee_id: str, name: str, *, rename: bool = True) -> Trainee:
        """Add a trainee, or update the name (``rename``) or insist it matches (exams)."""
        trainee_id, name = check_identity(trainee_id, name)
        with self.transaction() as conn:
            row = conn.execute("SELECT name FROM trainees WHERE id = ?", (trainee_id,)).fetchone()
            if row is None:
                conn.execute("INSERT INTO trainees (id, name, created_at) VALUES (?, ?, ?)",
                             (trainee_id, name, time.time()))
            elif row["name"] != name:
                if not rename:
                    raise StoreError(f"工号 {trainee_id} 已登记为“{row['name']}”，"
                                     f"与填写的姓名“{name}”不一致，请核对")
                conn.execute("UPDATE trainees SET name = ? WHERE id = ?", (name, trainee_id))
        return Trainee(trainee_id, name)

    def current_trainee(self) -> Trainee | None:
        """The trainee this installation practises as (set on first start, switchable)."""
        trainee_id = self.setting("trainee")
        return self.trainee(trainee_id) if trainee_id else None

    def set_current_trainee(self, trainee_id: str, name: str) -> Trainee:
        trainee = self.register_trainee(trainee_id, name)
        self.set_setting("trainee", trainee.id)
        return trainee

    # -- attempts and answers

    def begin_attempt(self, trainee: str, scenario: str, mode: str = "practice",
                      sitting: int | None = None, seq: int | None = None,
                      now: float | None = None) -> int:
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO attempts (trainee, scenario, mode, sitting, seq, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (trainee, scenario, mode, sitting, seq, time.time() if now is None else now))
            return int(cur.lastrowid)

    def save_answer(self, attempt: int, index: int, result: StepResult, weight: float = 1.0,
                    finished: Attempt | None = None) -> None:
        """Commit one answer with its verdicts and meters (durable when this returns).

        ``finished``: the attempt's outcome when this answer ended the visit, recorded in
        the same transaction.
        """
        with self.transaction() as conn:
            status = conn.execute("SELECT status FROM attempts WHERE id = ?", (attempt,)).fetchone()
            if status is None or status["status"] != "open":
                raise StoreError("这次作答已经结束，不能再保存")
            conn.execute(
                "INSERT INTO answers (attempt, idx, step, answer, choice, verdicts, score, level, "
                "meters, goto, weight, committed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (attempt, index, result.step, result.answer, result.choice,
                 verdicts_json(result.verdicts), result.score, result.level,
                 json.dumps(result.meters, ensure_ascii=False), result.goto, weight, time.time()))
            if finished is not None:
                self.finish_attempt(attempt, finished, conn=conn)

    def finish_attempt(self, attempt: int, result: Attempt, *, closed: bool = False,
                       conn: sqlite3.Connection | None = None, now: float | None = None) -> None:
        """Record the attempt's outcome: ``closed`` when cut short (time-out), else finished."""
        values = (result.ending, result.score, result.level,
                  json.dumps({str(k): v for k, v in result.sections.items()}),
                  json.dumps(result.meters, ensure_ascii=False),
                  "closed" if closed else "finished", time.time() if now is None else now, attempt)
        sql = ("UPDATE attempts SET ending = ?, score = ?, level = ?, sections = ?, meters = ?, "
               "status = ?, finished_at = ? WHERE id = ?")
        if conn is not None:
            conn.execute(sql, values)
            return
        with self.transaction() as c:
            c.execute(sql, values)

    def attempt(self, attempt: int) -> AttemptRecord:
        rows = self._query("SELECT * FROM attempts WHERE id = ?", (attempt,))
        if not rows:
            raise StoreError(f"没有编号为 {attempt} 的作答记录")
        return _attempt(rows[0])

    def answers(self, attempt: int) -> list[AnswerRecord]:
        return [_answer(r) for r in self._query(
            "SELECT * FROM answers WHERE attempt = ? ORDER BY idx", (attempt,))]

    def attempts(self, trainee: str | None = None, *, mode: str | None = None,
                 status: str | None = None, sitting: int | None = None) -> list[AttemptRecord]:
        """Attempts, oldest first, filtered by trainee, mode, status and sitting."""
        where, params = [], []
        for column, value in (("trainee", trainee), ("mode", mode), ("status", status),
                              ("sitting", sitting)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT * FROM attempts" + (" WHERE " + " AND ".join(where) if where else "")
        return [_attempt(r) for r in self._query(sql + " ORDER BY started_at, id", params)]

    def answer_counts(self, attempt_ids: Sequence[int]) -> dict[int, int]:
        if not attempt_ids:
            return {}
        marks = ",".join("?" * len(attempt_ids))
        rows = self._query(f"SELECT attempt, count(*) AS n FROM answers WHERE attempt IN ({marks}) "
                           "GROUP BY attempt", list(attempt_ids))
        return {r["attempt"]: r["n"] for r in rows}

    # -- exam sittings

    def sittings(self, exam: str | None = None, trainee: str | None = None) -> list[SittingRecord]:
        where, params = [], []
        for column, value in (("exam", exam), ("trainee", trainee)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT * FROM sittings" + (" WHERE " + " AND ".join(where) if where else "")
        return [_sitting(r) for r in self._query(sql + " ORDER BY trainee, number", params)]

    def sitting(self, sitting: int) -> SittingRecord:
        rows = self._query("SELECT * FROM sittings WHERE id = ?", (sitting,))
        if not rows:
            raise StoreError(f"没有编号为 {sitting} 的考试记录")
        return _sitting(rows[0])

    def begin_sitting(self, exam: str, trainee: str, number: int, plan: Sequence[str], seed: int,
                      started_at: float, deadline: float) -> SittingRecord | None:
        """Create sitting ``number``; None when another process created it first."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO sittings (exam, trainee, number, plan, seed, started_at, deadline) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (exam, trainee, number) DO NOTHING",
                (exam, trainee, number, json.dumps(list(plan), ensure_ascii=False), seed,
                 started_at, deadline))
            if not cur.rowcount:
                return None
            row = conn.execute("SELECT * FROM sittings WHERE id = ?", (cur.lastrowid,)).fetchone()
            return _sitting(row)

    def finish_sitting(self, sitting: int, *, status: str, score: float, level: str,
                       passed: bool, sections: dict[int, float],
                       close_attempt: tuple[int, Attempt] | None = None,
                       now: float | None = None) -> None:
        """Close a sitting (and its last open attempt) in one transaction."""
        now = time.time() if now is None else now
        with self.transaction() as conn:
            if close_attempt is not None:
                self.finish_attempt(close_attempt[0], close_attempt[1], closed=True, conn=conn,
                                    now=now)
            conn.execute(
                "UPDATE sittings SET status = ?, score = ?, level = ?, passed = ?, sections = ?, "
                "finished_at = ? WHERE id = ? AND status = 'open'",
                (status, score, level, int(passed),
                 json.dumps({str(k): v for k, v in sections.items()}), now, sitting))

    def exam_record(self, exam: str) -> tuple[list[SittingRecord], list[AttemptRecord],
                                              dict[int, list[AnswerRecord]]]:
        """Every sitting of an exam with its attempts and their answers, in bulk (reports)."""
        sittings = self.sittings(exam=exam)
        attempts = [_attempt(r) for r in self._query(
            "SELECT a.* FROM attempts a JOIN sittings s ON s.id = a.sitting "
            "WHERE s.exam = ? ORDER BY a.sitting, a.seq", (exam,))]
        answers: dict[int, list[AnswerRecord]] = {}
        for r in self._query(
                "SELECT w.* FROM answers w JOIN attempts a ON a.id = w.attempt "
                "JOIN sittings s ON s.id = a.sitting WHERE s.exam = ? ORDER BY w.attempt, w.idx",
                (exam,)):
            answers.setdefault(r["attempt"], []).append(_answer(r))
        return sittings, attempts, answers

    # -- review and rescoring

    def overrides(self, attempt: int | None = None, exam: str | None = None) -> list[Override]:
        if attempt is not None:
            rows = self._query("SELECT * FROM overrides WHERE attempt = ? ORDER BY id", (attempt,))
        elif exam is not None:
            rows = self._query(
                "SELECT o.* FROM overrides o JOIN attempts a ON a.id = o.attempt "
                "JOIN sittings s ON s.id = a.sitting WHERE s.exam = ? ORDER BY o.id", (exam,))
        else:
            rows = self._query("SELECT * FROM overrides ORDER BY id")
        return [_override(r) for r in rows]

    def record_override(self, attempt: int, index: int, reviewer: str, reason: str,
                        verdicts: Sequence[Verdict], score: float,
                        attempt_score: float, sitting_score: float | None) -> None:
        """Set a step's reviewed verdicts and score, with an audit row, in one transaction.

        ``attempt_score`` and ``sitting_score`` are the reviewed totals the caller computed
        with the scenario's weights and ending cap.
        """
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM answers WHERE attempt = ? AND idx = ?",
                               (attempt, index)).fetchone()
            if row is None:
                raise StoreError(f"作答记录 {attempt} 没有第 {index + 1} 步")
            old = _answer(row)
            new_json = verdicts_json(verdicts)
            conn.execute(
                "INSERT INTO overrides (attempt, idx, reviewer, at, old_verdicts, new_verdicts, "
                "old_score, new_score, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (attempt, index, reviewer, time.time(), verdicts_json(old.final_verdicts),
                 new_json, old.final_score, score, reason))
            conn.execute("UPDATE answers SET review_verdicts = ?, review_score = ? "
                         "WHERE attempt = ? AND idx = ?", (new_json, score, attempt, index))
            conn.execute("UPDATE attempts SET review_score = ? WHERE id = ?", (attempt_score, attempt))
            if sitting_score is not None:
                conn.execute("UPDATE sittings SET review_score = ? WHERE id = "
                             "(SELECT sitting FROM attempts WHERE id = ?)", (sitting_score, attempt))

    def score_history(self, *, attempt: int | None = None,
                      sitting: int | None = None) -> list[dict[str, Any]]:
        """Scores replaced by rescoring, oldest first (answers and attempt, or a sitting)."""
        column, value = ("attempt", attempt) if attempt is not None else ("sitting", sitting)
        return [dict(r) for r in self._query(
            f"SELECT * FROM score_history WHERE {column} = ? ORDER BY id", (value,))]

    def apply_rescore(self, reason: str, rescored: Sequence[Rescored]) -> None:
        """Replace automatic scores, keeping every old one in ``score_history``; one transaction."""
        now = time.time()
        with self.transaction() as conn:
            for item in rescored:
                if item.kind == "answer":
                    attempt, idx = item.key
                    conn.execute(
                        "INSERT INTO score_history (attempt, idx, at, reason, score, verdicts) "
                        "SELECT attempt, idx, ?, ?, score, verdicts FROM answers "
                        "WHERE attempt = ? AND idx = ?", (now, reason, attempt, idx))
                    conn.execute("UPDATE answers SET verdicts = ?, score = ?, level = ? "
                                 "WHERE attempt = ? AND idx = ?",
                                 (verdicts_json(item.verdicts), item.score, item.level, attempt, idx))
                    continue
                table, column = ("attempts", "attempt") if item.kind == "attempt" else ("sittings", "sitting")
                (key,) = item.key
                conn.execute(
                    f"INSERT INTO score_history ({column}, at, reason, score) "
                    f"SELECT id, ?, ?, score FROM {table} WHERE id = ?", (now, reason, key))
                conn.execute(
                    f"UPDATE {table} SET score = ?, level = ?, sections = ?, review_score = ? "
                    "WHERE id = ?",
                    (item.score, item.level,
                     json.dumps({str(k): v for k, v in (item.sections or {}).items()}),
                     item.review_score, key))
                if item.kind == "sitting":
                    conn.execute("UPDATE sittings SET passed = ? WHERE id = ?", (int(bool(item.passed)), key))


@dataclass(frozen=True, slots=True)
class Rescored:
    """A new automatic score for an answer (key (attempt, idx)), an attempt or a sitting (key (id,))."""

    kind: str  # answer | attempt | sitting
    key: tuple[int, ...]
    score: float
    level: str
    verdicts: tuple[Verdict, ...] = ()
    sections: dict[int, float] | None = None
    review_score: float | None = None
    passed: bool | None = None
