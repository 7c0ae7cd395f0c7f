"""Quality floor: the detector on the labelled development set (not a timing test)."""

import json
from pathlib import Path

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


# Quality floors. Issue 2 asks for held-out pooled kappa >= 0.85 (measured 0.875 when last
# tuned, 206 answers never tuned on); the tuning floor sits just under the measured 0.900
# over twenty-one sets by twenty independent writers (5,687 answers, about 40% near-miss traps).
HELDOUT_FLOOR = 0.85
TUNING_FLOOR = 0.89


def test_heldout_kappa_floor():
    quality = evaluate(rows("dev_heldout.jsonl"), default_detector())
    assert quality.kappa >= HELDOUT_FLOOR, f"held-out pooled kappa {quality.kappa:.3f}"


def test_tuning_set_kappa_floor():
    names = sorted(p.name for p in DATA.glob("dev_tune*.jsonl"))
    quality = evaluate(rows(*names), default_detector())
    assert quality.kappa >= TUNING_FLOOR, f"tuning pooled kappa {quality.kappa:.3f}"
