"""Detector quality against labelled answers: per-criterion counts, P/R/F1, pooled kappa.

Used by ``bench/detector_eval.py`` and the quality-floor test. Rows are
``{"text": ..., "labels": [criterion ids]}``; Cohen's kappa is pooled over every
(answer, criterion) pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.scoring.detector import Detector


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        # F1 from the counts (not from p and r): 12/15 is 0.8 exactly, as a floor means it
        wrong = self.fp + self.fn
        return p, r, (2 * self.tp / (2 * self.tp + wrong) if self.tp or wrong else 1.0)


@dataclass(slots=True)
class Quality:
    counts: dict[str, Counts]
    errors: list[tuple[str, list[str], list[str]]] = field(default_factory=list)

    @property
    def kappa(self) -> float:
        tp, fp, fn, tn = (sum(getattr(c, k) for c in self.counts.values())
                          for k in ("tp", "fp", "fn", "tn"))
        n = tp + fp + fn + tn
        observed = (tp + tn) / n
        expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
        return (observed - expected) / (1 - expected) if expected < 1 else 1.0

    @property
    def min_f1(self) -> float:
        return min(c.prf()[2] for c in self.counts.values())


def evaluate(rows: list[dict], detector: Detector) -> Quality:
    """Judge every row; errors list (text, missed, extra) for rows not matched exactly."""
    quality = Quality({cid: Counts() for cid in detector.catalogue.criteria})
    for row in rows:
        found = set(detector.detect(row["text"]).present)
        gold = set(row["labels"])
        for cid, counts in quality.counts.items():
            if cid in found:
                counts.tp += cid in gold
                counts.fp += cid not in gold
            else:
                counts.fn += cid in gold
                counts.tn += cid not in gold
        if found != gold:
            quality.errors.append((row["text"], sorted(gold - found), sorted(found - gold)))
    return quality
