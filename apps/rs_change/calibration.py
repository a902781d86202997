"""`ChangeCalibration`: the thresholds that turn a model's p(change) and change map into flags and polygons,
chosen on a validation split and stored next to the model as `change_calibration.json`.

    sve rs calibrate --data runs/data/rs --split val --out apps/rs_change/demo_model/change_calibration.json

`threshold` is the p(change) at or above which a tile is flagged changed: the one that maximises F1 of the
flags against `meta.changeflag` on the split (ties: the higher threshold). `map_threshold` is the change-map
value (raw SVE key dissimilarity, `sve_core.inference`) at or above which a pixel of a flagged tile belongs to a
change polygon: the one that maximises pixel F1 against the generator's change masks on the split's changed
pairs. The precision and recall each reaches there are stored with it, so the report can state them. A model
without the file runs on the defaults, reported as uncalibrated.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from apps.rs_change.errors import SceneError

FILENAME = "change_calibration.json"


@dataclass(frozen=True)
class ChangeCalibration:
    threshold: float = 0.5  # p(change) at or above which a tile is flagged changed
    map_threshold: float = 0.5  # change-map value at or above which a flagged tile's pixel is in a polygon
    precision: float | None = None  # tile flags on the calibration split, at `threshold`
    recall: float | None = None
    pixel_f1: float | None = None  # change-map pixels of the split's changed pairs, at `map_threshold`
    pairs: int = 0  # pairs the thresholds were chosen on; 0 = uncalibrated defaults
    source: str = ""  # the split, e.g. "runs/data/rs val"

    def __post_init__(self) -> None:
        if not (0.0 <= self.threshold <= 1.0 and 0.0 <= self.map_threshold <= 1.0):
            raise SceneError(f"change calibration threshold={self.threshold}, map_threshold={self.map_threshold}: "
                             "expected values in [0, 1]")

    @property
    def calibrated(self) -> bool:
        return self.pairs > 0

    def describe(self) -> str:
        """One line for reports: where the threshold comes from and how it did there."""
        if not self.calibrated:
            return f"p(change) threshold {self.threshold:.2f} (uncalibrated default: the model has no {FILENAME})"
        return (f"p(change) threshold {self.threshold:.3f}, calibrated on {self.pairs} pairs ({self.source}): "
                f"precision {self.precision:.3f}, recall {self.recall:.3f}")

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def for_model(cls, folder: str | Path) -> ChangeCalibration:
        """The calibration stored in a local model folder, or the defaults (hub ids, tiny models, no file)."""
        path = Path(folder) / FILENAME
        if not path.is_file():
            return cls()
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, TypeError) as error:
            raise SceneError(f"{path}: not a change calibration ({error}); expected the JSON `sve rs calibrate` "
                             "writes") from error


def probability(text: str) -> float:
    """argparse type of `--threshold`: a p(change) in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a probability between 0 and 1, e.g. 0.5")
    return value


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float, float, float]:
    """(threshold, precision, recall, F1) maximising F1 of `scores >= threshold` against bool `labels`; the
    threshold is the midpoint between the chosen score and the next lower one (so nearby scores fall alike)."""
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], labels[order].astype(np.float64)
    true_pos = np.cumsum(hits)
    flagged = np.arange(1, len(ranked) + 1)
    precision = true_pos / flagged
    recall = true_pos / max(hits.sum(), 1.0)
    f1 = np.where(true_pos > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    last = np.r_[ranked[1:] != ranked[:-1], True]  # a threshold flags all equal scores together
    f1 = np.where(last, f1, -1.0)
    k = int(np.argmax(f1))
    below = ranked[k + 1] if k + 1 < len(ranked) else 0.0
    return float((ranked[k] + below) / 2), float(precision[k]), float(recall[k]), float(f1[k])
