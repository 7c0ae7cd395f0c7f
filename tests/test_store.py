"""The store: paths, migrations, faults (newer schema, read-only, full), concurrency, identity."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from simulator import store as store_mod
from simulator.model import Attempt, StepResult, Verdict
from simulator.store import Store, StoreError, resolve_paths


def result(step: str = "a", answer: str = "您好，请坐。", score: float = 80.0) -> StepResult:
    verdicts = (Verdict("listen.hospitality", "good", True, True, ("请坐",), ((3, 5),)),
                Verdict("listen.cut_off", "bad", True, False))
    return StepResult(step, answer, verdicts, score, "良好", {"mood": 40}, "b")


def test_paths_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMULATOR_DATA", str(tmp_path / "env"))
    assert resolve_paths(tmp_path / "opt").data == tmp_path / "opt"
    assert resolve_paths(None).data == tmp_path / "env"
    assert resolve_paths(None).db == tmp_path / "env" / "simulator.db"
    monkeypatch.delenv("SIMULATOR_DATA")
    assert resolve_paths(None).data.name == "xinfang-simulator"


def test_fresh_store_schema_and_pragmas(tmp_path):
    with Store.open(tmp_path) as st:
        conn = st._conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == store_mod.schema_version()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"trainees", "attempts", "answers", "sittings", "overrides", "score_history",
                "settings"} <= tables


def test_answer_round_trip_and_foreign_keys(tmp_path):
    with Store.open(tmp_path) as st:
        st.register_trainee("A001", "张三")
        aid = st.begin_attempt("A001", "demo")
        st.save_answer(aid, 0, result(), weight=2.0)
        (ans,) = st.answers(aid)
        assert ans.answer == "您好，请坐。" and ans.weight == 2.0
        assert ans.verdicts == result().verdicts and ans.meters == {"mood": 40}
        with pytest.raises(StoreError):  # an unknown trainee violates the foreign key
            st.begin_attempt("nobody", "demo")
        st.finish_attempt(aid, Attempt("demo", (result(),), "end", 80.0, "良好", {3: 80.0}, {}))
        with pytest.raises(StoreError, match="已经结束"):
            st.save_answer(aid, 1, result("b"))
        assert [a.index for a in st.answers(aid)] == [0]


def test_identity_and_current_trainee(tmp_path):
    with Store.open(tmp_path) as st:
        assert st.current_trainee() is None
        st.set_current_trainee(" A001 ", "张三")
        assert st.current_trainee() == store_mod.Trainee("A001", "张三")
        st.set_current_trainee("A001", "张三丰")  # practice: a rename is allowed
        assert st.trainee("A001").name == "张三丰"
        with pytest.raises(StoreError, match="不一致"):
            st.register_trainee("A001", "李四", rename=False)
        with pytest.raises(StoreError, match="工号"):
            st.register_trainee("A 1", "王五")
        with pytest.raises(StoreError, match="姓名"):
            st.register_trainee("A002", "  ")


def test_migrations_upgrade_keep_data_and_roll_back(tmp_path, monkeypatch):
    v1 = store_mod.MIGRATIONS
    with Store.open(tmp_path) as st:
        st.register_trainee("A001", "张三")
    extra = ("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",
             "INSERT INTO notes (text) SELECT name FROM trainees")
    monkeypatch.setattr(store_mod, "MIGRATIONS", (*v1, extra))
    with Store.open(tmp_path) as st:
        assert st._conn.execute("PRAGMA user_version").fetchone()[0] == len(v1) + 1
        assert st._conn.execute("SELECT text FROM notes").fetchall()[0][0] == "张三"
        assert st.trainee("A001").name == "张三"
    # A migration that fails half-way leaves the database exactly as it was.
    broken = ("CREATE TABLE more (id INTEGER)", "INSERT INTO no_such_table VALUES (1)")
    monkeypatch.setattr(store_mod, "MIGRATIONS", (*v1, extra, broken))
    with pytest.raises(StoreError):
        Store.open(tmp_path)
    conn = sqlite3.connect(tmp_path / "simulator.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(v1) + 1
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'more'").fetchall()
    conn.close()


def test_newer_schema_is_refused_untouched(tmp_path):
    with Store.open(tmp_path):
        pass
    conn = sqlite3.connect(tmp_path / "simulator.db")
    conn.execute(f"PRAGMA user_version = {store_mod.schema_version() + 3}")
    conn.commit()
    conn.close()
    before = (tmp_path / "simulator.db").read_bytes()
    with pytest.raises(StoreError, match="更新版本"):
        Store.open(tmp_path)
    assert (tmp_path / "simulator.db").read_bytes() == before


def test_foreign_file_is_refused(tmp_path):
    (tmp_path / "simulator.db").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="不是本程序的数据库|已损坏"):
        Store.open(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    conn = sqlite3.connect(other / "simulator.db")
    conn.execute("CREATE TABLE foreign_stuff (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="不是本程序的数据库"):
        Store.open(other)


def test_data_path_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="文件占用|不是文件夹|无法创建"):
        Store.open(tmp_path / "file")


def test_full_disk_rolls_back_whole_transaction(tmp_path):
    """SQLITE_FULL (simulated with max_page_count): a clear error, nothing half-written."""
    with Store.open(tmp_path) as st:
        st.register_trainee("A001", "张三")
        aid = st.begin_attempt("A001", "demo")
        st.save_answer(aid, 0, result())
        pages = st._conn.execute("PRAGMA page_count").fetchone()[0]
        st._conn.execute(f"PRAGMA max_page_count = {pages}")
        big = result("b", answer="很长的回答" * 20000)
        with pytest.raises(StoreError, match="空间已满"):
            st.save_answer(aid, 1, big)
        assert [a.index for a in st.answers(aid)] == [0]
        assert st.attempt(aid).status == "open"


def read_only(folder: Path):
    """Make ``folder`` read-only even for root (chattr +i); returns an undo callable."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return lambda: folder.chmod(0o755)
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    assert done.returncode == 0, f"chattr +i failed: {done.stderr!r}"
    return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.parametrize("existing", [False, True])
def test_read_only_folder(tmp_path, existing):
    folder = tmp_path / "data"
    folder.mkdir()
    if existing:
        with Store.open(folder) as st:
            st.register_trainee("A001", "张三")
    undo = read_only(folder)
    try:
        with pytest.raises(StoreError, match="不可写|无法"), Store.open(folder) as st:
            st.register_trainee("A002", "李四")
    finally:
        undo()
    if existing:
        with Store.open(folder) as st:
            assert [t.id for t in st.trainees()] == ["A001"]


WRITER = textwrap.dedent("""
    import sys, time
    from simulator.model import Attempt, StepResult, Verdict
    from simulator.store import Store
    folder, who, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    time.sleep(max(0.0, start - time.time()))  # all twenty open the new store at once
    st = Store.open(folder)
    st.register_trainee(who, "学员" + who)
    for n in range(5):
        aid = st.begin_attempt(who, "demo")
        results = []
        for i in range(4):
            r = StepResult(f"s{i}", f"{who}-{n}-{i}", (Verdict("listen.hospitality", "good", True, True),),
                           50.0, "需改进", {"mood": i}, "next")
            st.save_answer(aid, i, r)
            results.append(r)
        st.finish_attempt(aid, Attempt("demo", tuple(results), "end", 50.0, "需改进", {3: 50.0}, {}))
    st.close()
""")


def test_twenty_processes_write_at_once(tmp_path):
    start = str(time.time() + 1.5)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), f"P{i:02d}", start],
                              stderr=subprocess.PIPE, text=True) for i in range(20)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 20, errors
    with Store.open(tmp_path) as st:
        assert len(st.trainees()) == 20
        attempts = st.attempts()
        assert len(attempts) == 100 and all(a.status == "finished" for a in attempts)
        counts = st.answer_counts([a.id for a in attempts])
        assert set(counts.values()) == {4}
        texts = {a.answer for at in attempts for a in st.answers(at.id)}
        assert len(texts) == 400


def test_rescore_history_keeps_old_scores(tmp_path):
    with Store.open(tmp_path) as st:
        st.register_trainee("A001", "张三")
        aid = st.begin_attempt("A001", "demo")
        st.save_answer(aid, 0, result(score=80.0))
        st.finish_attempt(aid, Attempt("demo", (result(),), "end", 80.0, "良好", {3: 80.0}, {}))
        st.apply_rescore("重新评分", [
            store_mod.Rescored("answer", (aid, 0), 40.0, "需改进", verdicts=()),
            store_mod.Rescored("attempt", (aid,), 40.0, "需改进", sections={3: 40.0}),
        ])
        assert st.answers(aid)[0].score == 40.0 and st.attempt(aid).score == 40.0
        history = st.score_history(attempt=aid)
        assert [(h["idx"], h["score"]) for h in history] == [(0, 80.0), (None, 80.0)]
        assert json.loads(history[0]["verdicts"])[0]["criterion"] == "listen.hospitality"


@pytest.fixture()
def tiny_disk(tmp_path):
    """A 400 KiB tmpfs as the data folder (root only); skipped where mounting is not allowed."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(folder)],
                          capture_output=True)
    assert done.returncode == 0, f"mounting a small tmpfs failed: {done.stderr!r}"
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_really_full_disk(tiny_disk, tmp_path):
    with Store.open(tiny_disk) as st:
        st.register_trainee("A001", "张三")
        aid = st.begin_attempt("A001", "demo")
        saved = 0
        with pytest.raises(StoreError, match="空间已满"):
            while True:
                st.save_answer(aid, saved, result(answer="很长的回答" * 3000))
                saved += 1
        assert saved > 0 and len(st.answers(aid)) == saved
    with Store.open(tiny_disk) as st:  # nothing half-written: the same answers, still readable
        assert [a.index for a in st.answers(aid)] == list(range(saved))
    # A second data folder on the same disk, once the last free bytes are gone: the store
    # cannot even be created there.
    (tiny_disk / "room2").mkdir()
    with open(tiny_disk / "filler", "wb", buffering=0) as fh, pytest.raises(OSError):
        while True:  # take the last free bytes
            fh.write(b"\0" * 4096)
    exam = tmp_path / "exams" / "full.yaml"
    exam.parent.mkdir()
    exam.write_text("id: full\ntitle: 满\nscenarios: [retiree]\ntime_limit: 10\npass_mark: 60\n",
                    encoding="utf-8")
    answers = tmp_path / "a.txt"
    answers.write_text("您好，请坐。\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "simulator", "--data", str(tiny_disk / "room2"), "exam",
                           "take", str(exam), "--trainee", "B002", "--name", "李四", "--answers",
                           str(answers)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "空间已满" in done.stderr and "Traceback" not in done.stderr
