"""Quality floor: the detector on the labelled development set (not a timing test)."""

import json
from pathlib import Path

from simulator.scoring import Detector, default_detector
from simulator.scoring.quality import Counts, evaluate

DATA = Path(__file__).parent / "data"


def rows(*names):
    return [json.loads(line) for name in names
            for line in (DATA / name).read_text("utf-8").splitlines() if line.strip()]


def test_every_label_is_a_catalogue_id():
    ids = set(default_detector().catalogue.criteria)
    for path in DATA.glob("dev_*.jsonl"):
        for row in rows(path.name):
            assert set(row["labels"]) <= ids, (path.name, row["text"])


# Quality floors. Issue 2 asks for held-out pooled kappa >= 0.85 and no criterion below F1
# 0.80 (measured 0.922 and 0.83 with the learned check, 206 answers never tuned or trained
# on). The tuning sets (49 sets by independent writers, 12,817 answers, about 40% near-miss
# traps) are the learned check's training data (0.944 with it), so their floor guards the
# rules alone too (0.856 measured): a tuned rule must keep working without the check.
HELDOUT_FLOOR = 0.85
HELDOUT_F1_FLOOR = 0.80
TUNING_FLOOR = 0.89
RULES_TUNING_FLOOR = 0.85


def test_f1_is_exact_where_a_floor_is_drawn():
    assert Counts(tp=6, fp=2, fn=1).prf()[2] == 0.80  # 2*6/(12+3); via p and r: 0.7999…
    assert Counts(tn=9).prf()[2] == 1.0  # nothing to find, nothing found
    assert Counts(fn=3).prf()[2] == 0.0


def test_heldout_kappa_floor():
    quality = evaluate(rows("dev_heldout.jsonl"), default_detector())
    assert quality.kappa >= HELDOUT_FLOOR, f"held-out pooled kappa {quality.kappa:.3f}"
    assert quality.min_f1 >= HELDOUT_F1_FLOOR, f"held-out lowest F1 {quality.min_f1:.2f}"


def test_tuning_set_kappa_floor():
    names = sorted(p.name for p in DATA.glob("dev_tune*.jsonl"))
    quality = evaluate(rows(*names), default_detector())
    assert quality.kappa >= TUNING_FLOOR, f"tuning pooled kappa {quality.kappa:.3f}"
    rules = Detector(default_detector().catalogue._replace(learned=None))
    assert evaluate(rows(*names), rules).kappa >= RULES_TUNING_FLOOR
