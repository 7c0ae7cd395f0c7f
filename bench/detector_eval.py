"""Detector quality on the labelled development set: per-criterion P/R/F1 and pooled kappa.

Usage: python bench/detector_eval.py [--errors PART]

Parts: ``tune`` (tests/data/dev_tune*.jsonl, tuned on, and the learned check's training
data) and ``heldout`` (tests/data/dev_heldout.jsonl, never tuned or trained on). Kappa is
pooled over every (answer, criterion) pair. The last lines give the rules alone, without
the learned check: what a trainer tuning ``rubrics/criteria.yaml`` should watch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.scoring import Detector, default_detector  # noqa: E402
from simulator.scoring.quality import evaluate  # noqa: E402

DATA = ROOT / "tests/data"


def parts() -> dict[str, list[dict]]:
    def rows(paths):
        return [json.loads(line) for p in paths for line in p.read_text("utf-8").splitlines() if line.strip()]

    return {"tune": rows(sorted(DATA.glob("dev_tune*.jsonl"))), "heldout": rows([DATA / "dev_heldout.jsonl"])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", choices=["tune", "heldout"], help="list the misjudged answers")
    args = parser.parse_args()
    detector = default_detector()
    results = {name: evaluate(rows, detector) for name, rows in parts().items()}
    print(f"{'criterion':<32}" + "".join(f"{name:>24}" for name in results))
    print(f"{'':<32}" + "".join(f"{'P    R    F1   n+':>24}" for _ in results))
    for cid in detector.catalogue.criteria:
        cells = []
        for res in results.values():
            c = res.counts[cid]
            p, r, f = c.prf()
            cells.append(f"{p:.2f} {r:.2f} {f:.2f} {c.tp + c.fn:>3}")
        print(f"{cid:<32}" + "".join(f"{cell:>24}" for cell in cells))
    for name, res in results.items():
        answers = sum(1 for _ in parts()[name])
        print(f"{name}: answers={answers} pooled kappa={res.kappa:.3f} min F1={res.min_f1:.2f}")
    if detector.learned is not None:  # what the rules do on their own (the check is trained on tune)
        rules = Detector(detector.catalogue._replace(learned=None))
        for name, rows in parts().items():
            res = evaluate(rows, rules)
            print(f"{name}, rules alone: pooled kappa={res.kappa:.3f} min F1={res.min_f1:.2f}")
    if args.errors:
        for text, missed, extra in results[args.errors].errors:
            print(f"- {text}\n    missed={missed} extra={extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
