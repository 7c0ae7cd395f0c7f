"""Typed messages: the contract between widgets, screens and the app.

Screens post navigation requests (``OpenBriefing``, ``StartConversation``,
``OpenDebrief``, ``Retry``, ``GoHome``) and the app carries them out. ``StepScored`` and
``AttemptEnded`` are the hooks a store (or an exam screen) listens to: every answered
step and every finished or abandoned attempt passes through the app exactly once.
``ExamEnded`` tells the app a sitting is over (handed in or out of time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from simulator.engine import Session
    from simulator.exam import ExamRun
    from simulator.model import Attempt, StepResult


@dataclass(frozen=True, slots=True)
class Turn:
    """One visitor line as it was spoken, and the trainee's scored answer to it."""

    step: str
    visitor_name: str
    mood: str
    line: str
    options: tuple[str, ...]
    result: StepResult


class OpenBriefing(Message):
    """Show the briefing of a scenario from the library."""

    def __init__(self, scenario_id: str) -> None:
        super().__init__()
        self.scenario_id = scenario_id


class StartConversation(Message):
    """The trainee has read the briefing: start the visit with this session."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session


class AnswerSubmitted(Message):
    """The trainee submitted an answer: free text, or an option number for a choice."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class StepScored(Message):
    """One step was answered and scored (posted to the app; a store persists it)."""

    def __init__(self, session: Session, result: StepResult) -> None:
        super().__init__()
        self.session = session
        self.result = result


class AttemptEnded(Message):
    """An attempt reached an ending, or was abandoned (posted to the app)."""

    def __init__(self, session: Session, attempt: Attempt, abandoned: bool) -> None:
        super().__init__()
        self.session = session
        self.attempt = attempt
        self.abandoned = abandoned


class OpenDebrief(Message):
    """Show the debrief of a finished attempt."""

    def __init__(self, session: Session, attempt: Attempt, turns: tuple[Turn, ...]) -> None:
        super().__init__()
        self.session = session
        self.attempt = attempt
        self.turns = turns


class Retry(Message):
    """Practise the same scenario again from its first step."""

    def __init__(self, scenario_id: str) -> None:
        super().__init__()
        self.scenario_id = scenario_id


class GoHome(Message):
    """Back to the scenario library."""


class ExamEnded(Message):
    """The exam sitting is over: handed in, finished, or closed at the deadline."""

    def __init__(self, run: ExamRun, timed_out: bool) -> None:
        super().__init__()
        self.run = run
        self.timed_out = timed_out
