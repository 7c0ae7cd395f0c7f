"""Headless parity: the TUI, ``Session.replay`` and ``simulator run`` agree on the same answers.

Each scenario (the fixtures and the built-in library) is played through the TUI, with the
real rubrics loaded in the background as in production, using two answer strategies; the
answers the TUI recorded are then replayed headless, in process and through ``simulator
run --json``. Verdicts, meters, ending, score and level must match, and so must what the
TUI displayed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tui_helpers import DATA, answer, choose, settle

from simulator.data import builtin_dir
from simulator.engine import Session
from simulator.tui.app import SimulatorApp
from simulator.tui.screens.conversation import ConversationScreen
from simulator.tui.screens.debrief import DebriefScreen
from simulator.tui.widgets.bars import MeterPanel

SCENARIOS = sorted(DATA.glob("*.yaml")) + sorted(builtin_dir("scenarios").glob("*.yaml"))
BAD_FREE = "该说的都说了，你还要怎么样？这事包在我身上，保证给您解决。"


def model_answers(session: Session) -> str:
    step = session.current
    if step.answer == "choice":
        return "1"
    return (session.render(step.model_answer) or "您先坐，慢慢说，我听着。").replace("\n", "")


def bad_answers(session: Session) -> str:
    step = session.current
    return str(len(step.options)) if step.answer == "choice" else BAD_FREE


async def play_in_tui(path: Path, strategy) -> tuple[SimulatorApp, Session, DebriefScreen]:
    app = SimulatorApp(scenario_dirs=[path.parent])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        scenario_id = next(s.id for s in app.library.scenarios if Path(s.path) == path)
        app.start_scenario(scenario_id)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        session = screen.session
        for _ in range(50):
            if session.finished:
                break
            text = strategy(session)
            if session.current.answer == "choice":
                await choose(pilot, int(text))
            else:
                await answer(pilot, text)
        assert session.finished, "the visit did not end within 50 answers"
        assert screen.query_one(MeterPanel).values == session.meters
        await pilot.press("enter")
        await settle(pilot)
        debrief = app.screen
        assert isinstance(debrief, DebriefScreen)
        shown_score = debrief.query_one("#score").value
        assert shown_score == f"{debrief.attempt.score:g}"
        return app, session, debrief


def same_results(a, b) -> None:
    assert [r.step for r in a] == [r.step for r in b]
    for x, y in zip(a, b, strict=True):
        assert (x.answer, x.score, x.level, x.meters, x.goto, x.choice) == \
               (y.answer, y.score, y.level, y.meters, y.goto, y.choice)
        assert [(v.criterion, v.present, v.evidence, v.spans) for v in x.verdicts] == \
               [(v.criterion, v.present, v.evidence, v.spans) for v in y.verdicts]


def run_headless(path: Path, answers: list[str], tmp_path: Path, capsys) -> dict:
    """``simulator run PATH --answers FILE --json``, in process."""
    from simulator.cli import main

    answers_file = tmp_path / "answers.txt"
    answers_file.write_text("\n".join(answers) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["run", str(path), "--answers", str(answers_file), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("strategy", [model_answers, bad_answers], ids=["model", "bad"])
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
async def test_tui_matches_session_and_simulator_run(path: Path, strategy, tmp_path, capsys):
    app, session, debrief = await play_in_tui(path, strategy)
    answers = [r.answer for r in session.results]
    attempt = debrief.attempt

    headless = Session.replay(session.scenario, answers, detector=session.detector)
    same_results(session.results, headless.results)
    assert headless.ending == session.ending
    assert headless.attempt() == attempt

    out = run_headless(path, answers, tmp_path, capsys)
    assert out["scenario"] == attempt.scenario and out["ending"] == attempt.ending
    assert out["score"] == attempt.score and out["level"] == attempt.level
    assert {int(k): v for k, v in out["sections"].items()} == attempt.sections
    assert [(s["step"], s["answer"], sorted(s["present"]), s["score"], s["meters"])
            for s in out["steps"]] == \
           [(r.step, r.answer, sorted(r.present), r.score, r.meters) for r in session.results]
