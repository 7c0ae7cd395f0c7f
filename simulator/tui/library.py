"""The scenario library the TUI offers: every scenario file in the given folders.

Loading goes through ``simulator.loader`` (the same path as ``simulator validate``);
files that do not load are kept aside with their first error so the home screen can say
so. Filtering is plain substring matching over the fields a trainee sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the model is imported by the loader, after the first paint
    from simulator.model import Scenario


@dataclass(slots=True)
class Library:
    """Loaded scenarios (in display order) and the files that failed to load."""

    scenarios: list[Scenario] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)

    def get(self, scenario_id: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.id == scenario_id), None)

    def filter(self, query: str) -> list[Scenario]:
        """Scenarios whose title, id, category, situations or description hold every term."""
        terms = query.casefold().split()
        return [s for s in self.scenarios if all(t in _haystack(s) for t in terms)]


def _haystack(scenario: Scenario) -> str:
    return " ".join(
        [scenario.title, scenario.id, scenario.category, *scenario.situations, scenario.description]
    ).casefold()


def load_library(folders: Iterable[Path], catalogue: Any = None) -> Library:
    """Load every ``*.yaml`` scenario in ``folders``; the first of two equal ids wins.

    ``catalogue`` compiles the steps' local criteria (default: the loader loads its own).
    """
    from simulator.loader import load_scenario

    library = Library()
    seen: set[str] = set()
    for folder in folders:
        for path in sorted(Path(folder).glob("*.yaml")):
            scenario, problems = load_scenario(path, catalogue=catalogue)
            if scenario is None:
                first = str(problems[0]) if problems else f"{path}: 无法载入"
                library.broken.append(first)
            elif scenario.id not in seen:
                seen.add(scenario.id)
                library.scenarios.append(scenario)
    library.scenarios.sort(key=lambda s: (s.difficulty, s.title))
    return library
