"""RATE-style chest X-ray change score: how well predicted comparison texts recover the gold findings' changes.

Both texts of a pair become 54-dim change vectors (`evaluation.change_vector`). Then, all x100:
- Micro-F1 and Macro-F1 over the 54 labels (scikit-learn `f1_score`), only on pairs whose GOLD vector has at least
  one change: no-change pairs would otherwise reward a model that never reports change. In Macro-F1 a label that
  is neither in the gold nor in the predictions of those pairs scores 0 (`zero_division=0`), so rare findings weigh
  as much as common ones, which is why Macro-F1 sits far below Micro-F1.
- Change Acc: mean of 1[gold vector is zero <=> predicted vector is zero] over ALL pairs; an unreadable prediction
  (`evaluation.change_vector.is_readable` False: garbled, hedged only, or no-change words among other words) counts
  as wrong, never as a correct "no change". `unreadable` counts them.
- Per anatomy group (lungs, pleura, cardiac, ...): Micro-F1 over that group's added and missing labels, on the same
  changed pairs. Micro, not macro: a group holds 4-18 labels, too few for a stable per-label average.
F1 values are None where undefined rather than zero: all of them when no pair has a gold change, a group's when
neither the gold nor the predictions of the changed pairs hold any of its labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import f1_score

from evaluation.change_vector import change_vector, is_readable
from evaluation.findings import FINDINGS, GROUPS


def _group_columns(group: str) -> list[int]:
    indices = [FINDINGS.index(name) for name in GROUPS[group]]
    return indices + [len(FINDINGS) + i for i in indices]


def _f1(gold: np.ndarray, predicted: np.ndarray, average: str) -> float:
    return 100.0 * float(f1_score(gold, predicted, average=average, zero_division=0))


def _group_f1(gold: np.ndarray, predicted: np.ndarray, group: str) -> float | None:
    columns = _group_columns(group)
    g, p = gold[:, columns], predicted[:, columns]
    return _f1(g, p, "micro") if g.any() or p.any() else None


def score_changes(gold_texts: Sequence[str], predicted_texts: Sequence[str]) -> dict:
    """Micro-F1, Macro-F1, Chg Acc and per-group F1 for aligned lists of gold and predicted comparison texts."""
    if len(gold_texts) != len(predicted_texts):
        raise ValueError(
            f"{len(gold_texts)} gold texts but {len(predicted_texts)} predictions; they must align."
        )
    if not gold_texts:
        raise ValueError("no pairs to score.")
    gold = np.stack([change_vector(t) for t in gold_texts])  # (N, 54)
    predicted = np.stack([change_vector(t) for t in predicted_texts])  # (N, 54)
    readable = np.array([is_readable(t) for t in predicted_texts])
    gold_changed = gold.any(axis=1)
    change_acc = 100.0 * float(np.mean((gold_changed == predicted.any(axis=1)) & readable))
    g, p = gold[gold_changed], predicted[gold_changed]
    has_changes = bool(gold_changed.any())
    return {
        "Micro-F1": _f1(g, p, "micro") if has_changes else None,
        "Macro-F1": _f1(g, p, "macro") if has_changes else None,
        "Chg Acc": change_acc,
        "group_f1": {group: _group_f1(g, p, group) for group in GROUPS},
        "pairs": len(gold_texts),
        "changed_pairs": int(gold_changed.sum()),
        "unreadable": int((~readable).sum()),
    }
