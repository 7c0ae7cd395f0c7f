"""Cohort statistics for the exam report: distribution, item analysis, review agreement.

Item analysis, classical test theory style:

- Trainees are ranked by their sitting's final score (ties by 工号); the upper and lower
  groups are the top and bottom 27% (``round(0.27 * n)``, at least 1; none below 2 trainees).
- An item gives each trainee who had the chance to answer it a value ``x`` in [0, 1]: for a
  step, its score / 100 (the mean if the step was played twice); for a criterion, the
  share of the trainee's steps expecting it where the answer was right (a good criterion
  shown, a bad one avoided).
- facility = mean ``x`` over everyone who had the chance; discrimination = mean ``x`` in
  the upper group minus mean ``x`` in the lower group (members who had the chance only;
  None when either group has nobody).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

GROUP_SHARE = 0.27


def kelley_groups(totals: Mapping[str, float]) -> tuple[set[str], set[str]]:
    """The upper and lower 27% of trainees by total score."""
    n = len(totals)
    if n < 2:
        return set(), set()
    g = max(1, int(GROUP_SHARE * n + 0.5))
    ranked = sorted(totals, key=lambda t: (-totals[t], t))
    return set(ranked[:g]), set(ranked[-g:])


@dataclass(frozen=True, slots=True)
class ItemStats:
    facility: float
    discrimination: float | None
    n: int  # trainees who had the chance


def item_stats(values: Mapping[str, float], upper: set[str], lower: set[str]) -> ItemStats | None:
    """Facility and discrimination of one item from trainee -> value in [0, 1]."""
    if not values:
        return None
    facility = sum(values.values()) / len(values)
    up = [v for t, v in values.items() if t in upper]
    low = [v for t, v in values.items() if t in lower]
    disc = (sum(up) / len(up) - sum(low) / len(low)) if up and low else None
    return ItemStats(round(facility, 3), None if disc is None else round(disc, 3), len(values))


def analyse(totals: Mapping[str, float],
            observations: Sequence[tuple[str, Hashable, float]]) -> dict[Hashable, ItemStats]:
    """Item statistics from (trainee, item key, value) observations.

    Several observations of one item by one trainee are averaged first.
    """
    upper, lower = kelley_groups(totals)
    sums: dict[Hashable, dict[str, list[float]]] = {}
    for trainee, key, value in observations:
        sums.setdefault(key, {}).setdefault(trainee, []).append(value)
    out = {}
    for key, per in sums.items():
        stats = item_stats({t: sum(v) / len(v) for t, v in per.items()}, upper, lower)
        if stats is not None:
            out[key] = stats
    return out


def histogram(scores: Sequence[float], width: int = 10) -> list[int]:
    """Counts per score band [0,10), [10,20) … [90,100] (the last band includes 100)."""
    bins = [0] * (100 // width)
    for s in scores:
        bins[min(int(s // width), len(bins) - 1)] += 1
    return bins


def mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else round((ordered[mid - 1] + ordered[mid]) / 2, 1)
