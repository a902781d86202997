"""`Calibration`: the probability threshold that turns a model's p(<something>) into a verdict, chosen on a
validation split and stored next to the model as a small JSON file. Each app names its own file and score
(`apps.rs_change.calibration.ChangeCalibration`: p(change) per tile, `change_calibration.json`;
`apps.image_diff.describe.calibration.EditCalibration`: p(edit) per pair, `edit_calibration.json`).

`best_threshold` is the search both use: the threshold that maximises F1 of `score >= threshold` against the
labels, placed midway between the chosen score and the next lower one. `probability` is the argparse type of
every `--threshold` flag. A model without the file runs on the defaults, reported as uncalibrated.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11


@dataclass(frozen=True)
class Calibration:
    FILENAME: ClassVar[str] = "calibration.json"
    SCORE: ClassVar[str] = "p"  # what `threshold` applies to, in reports: "p(change)", "p(edit)"
    SCORED: ClassVar[str] = ""  # what precision and recall are of, in reports: "" (the flags), "no-edit"
    COMMAND: ClassVar[str] = ""  # the command that writes the file, for error messages
    ERROR: ClassVar[type[ValueError]] = ValueError  # raised for a bad file: the app's input error

    threshold: float = 0.5  # the score at or above which the verdict is positive (changed, edited)
    precision: float | None = None  # on the calibration split, at `threshold`
    recall: float | None = None
    pairs: int = 0  # pairs the threshold was chosen on; 0 = uncalibrated defaults
    source: str = ""  # the split, e.g. "val split of sve rs make-dataset --seed 0 --size 96"

    def __post_init__(self) -> None:
        bounded = [f.name for f in fields(self) if f.name.endswith("threshold")]
        if not all(0.0 <= getattr(self, name) <= 1.0 for name in bounded):
            values = ", ".join(f"{name}={getattr(self, name)}" for name in bounded)
            raise self.ERROR(f"calibration {values}: expected values in [0, 1]")

    @property
    def calibrated(self) -> bool:
        return self.pairs > 0

    def describe(self) -> str:
        """One line for reports: where the threshold comes from and how it did there."""
        if not self.calibrated:
            return (f"{self.SCORE} threshold {self.threshold:.2f} (uncalibrated default: the model has no "
                    f"{self.FILENAME})")
        scored = f"{self.SCORED} " if self.SCORED else ""
        return (f"{self.SCORE} threshold {self.threshold:.3f}, calibrated on {self.pairs} pairs ({self.source}): "
                f"{scored}precision {self.precision:.3f}, recall {self.recall:.3f}")

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def for_model(cls, folder: str | Path) -> Self:
        """The calibration stored in a local model folder, or the defaults (hub ids, tiny models, no file)."""
        path = Path(folder) / cls.FILENAME
        if not path.is_file():
            return cls()
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, TypeError) as error:
            raise cls.ERROR(f"{path}: not a calibration ({error}); expected the JSON `{cls.COMMAND}` "
                            "writes") from error
        except cls.ERROR as error:  # a value out of range (`__post_init__`): name the file too
            raise cls.ERROR(f"{path}: {error}; run `{cls.COMMAND}` again to rewrite it") from error


def probability(text: str) -> float:
    """argparse type of `--threshold`: a probability in [0, 1]."""
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
