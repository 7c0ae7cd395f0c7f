"""Quality floor: the detector on the labelled development set (not a timing test)."""

import json
from pathlib import Path

import pytest

from simulator.scoring import default_detector
from simulator.scoring.quality import evaluate

DATA = Path(__file__).parent / "data"


def rows(*names):
    return [json.loads(line) for name in names
            for line in (DATA / name).read_text("utf-8").splitlines() if line.strip()]


def test_every_label_is_a_catalogue_id():
    ids = set(default_detector().catalogue.criteria)
    for path in DATA.glob("dev_*.jsonl"):
        for row in rows(path.name):
            assert set(row["labels"]) <= ids, (path.name, row["text"])


@pytest.mark.parametrize("name", ["dev_heldout.jsonl"])
def test_heldout_kappa_floor(name):
    quality = evaluate(rows(name), default_detector())
    assert quality.kappa >= 0.85, f"held-out pooled kappa {quality.kappa:.3f} < 0.85"


def test_tuning_set_kappa_floor():
    names = sorted(p.name for p in DATA.glob("dev_tune*.jsonl"))
    quality = evaluate(rows(*names), default_detector())
    assert quality.kappa >= 0.85, f"tuning pooled kappa {quality.kappa:.3f} < 0.85"
