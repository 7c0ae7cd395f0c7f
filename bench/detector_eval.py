"""Detector quality on the labelled development set: per-criterion P/R/F1 and pooled kappa.

Usage: python bench/detector_eval.py [--errors tune|heldout] [FILE ...]

Reads ``tests/data/dev_tune.jsonl`` (tuned on) and ``tests/data/dev_heldout.jsonl``
(never tuned on). Cohen's kappa is pooled over every (answer, criterion) pair.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.scoring import default_detector  # noqa: E402

PARTS = {"tune": ROOT / "tests/data/dev_tune.jsonl", "heldout": ROOT / "tests/data/dev_heldout.jsonl"}


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(rows: list[dict]) -> dict:
    """Counts per criterion and the pooled kappa over (answer, criterion) pairs."""
    detector = default_detector()
    ids = list(detector.catalogue.criteria)
    counts = {cid: {"tp": 0, "fp": 0, "fn": 0, "tn": 0} for cid in ids}
    errors = []
    for row in rows:
        found = set(detector.detect(row["text"]).present)
        gold = set(row["labels"])
        for cid in ids:
            key = ("t" if (cid in found) == (cid in gold) else "f") + ("p" if cid in found else "n")
            counts[cid][key] += 1
        if found != gold:
            errors.append((row["text"], sorted(gold - found), sorted(found - gold)))
    tp, fp, fn, tn = (sum(c[k] for c in counts.values()) for k in ("tp", "fp", "fn", "tn"))
    n = tp + fp + fn + tn
    observed = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    kappa = (observed - expected) / (1 - expected) if expected < 1 else 1.0
    return {"counts": counts, "kappa": kappa, "errors": errors, "answers": len(rows)}


def f1(c: dict) -> tuple[float, float, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", choices=list(PARTS), help="list the misjudged answers of a part")
    args = parser.parse_args()
    results = {name: evaluate(load(path)) for name, path in PARTS.items() if path.exists()}
    print(f"{'criterion':<32}" + "".join(f"{name:>24}" for name in results))
    print(f"{'':<32}" + "".join(f"{'P    R    F1   n+':>24}" for _ in results))
    ids = next(iter(results.values()))["counts"]
    for cid in ids:
        cells = []
        for res in results.values():
            c = res["counts"][cid]
            p, r, f = f1(c)
            cells.append(f"{p:.2f} {r:.2f} {f:.2f} {c['tp'] + c['fn']:>3}")
        print(f"{cid:<32}" + "".join(f"{cell:>24}" for cell in cells))
    for name, res in results.items():
        worst = min(f1(c)[2] for c in res["counts"].values())
        print(f"{name}: answers={res['answers']} pooled kappa={res['kappa']:.3f} min F1={worst:.2f}")
    if args.errors:
        for text, missed, extra in results[args.errors]["errors"]:
            print(f"- {text}\n    missed={missed} extra={extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
