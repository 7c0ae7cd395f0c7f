"""Scoring: text normalisation, the detector pattern engine, rubric -> verdicts and scores.

No I/O beyond reading the rubric files, and no Textual.
"""

from simulator.scoring.detector import (
    Catalogue,
    Detector,
    RubricError,
    default_detector,
    load_catalogue,
)
from simulator.scoring.patterns import PatternError
from simulator.scoring.rubric import attempt_score, judge_step, section_profile, step_score

__all__ = [
    "Catalogue",
    "Detector",
    "PatternError",
    "RubricError",
    "attempt_score",
    "default_detector",
    "judge_step",
    "load_catalogue",
    "section_profile",
    "step_score",
]
