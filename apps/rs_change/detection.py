"""Change detection scored against the generator's ground truth: tile-level flags from p(change) and pixel-level
change maps against the change masks, on a split of the training JSONL (`sve rs make-dataset`).

- Tile level: precision, recall and F1 of `p(change) >= threshold` against `meta.changeflag`, and the AUROC of
  p(change) itself (threshold-free).
- Pixel level (stateful models; a stateless model has no change map, which the report says): the predicted mask
  is the map at or above `map_threshold` inside pairs flagged changed; pixel F1 and IoU pooled over every pixel
  of the split (unchanged pairs included, so maps lit on them count as false positives), against
  `meta.mask` (255 = changed, written by make-dataset). Pointing game: on the changed pairs, the share whose
  map peaks inside the true change.
Maps are read at the model's input size and resized (bilinear) onto the 256 px masks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from sklearn.metrics import roc_auc_score
from tqdm import tqdm

from apps.common.calibration import best_threshold
from apps.common.evaluate import SplitItem
from apps.rs_change.calibration import ChangeCalibration
from evaluation.datasets.files import field

if TYPE_CHECKING:  # torch and transformers: only when a model runs
    from apps.rs_change.describe.predictor import RsPredictor


@dataclass(frozen=True)
class SplitScores:
    """What the model said about every pair of a split, with the ground truth it is scored against."""

    labels: np.ndarray  # (P,) bool: meta.changeflag
    probabilities: np.ndarray  # (P,) p(change)
    maps: list[np.ndarray] | None  # per pair, (256, 256) raw change map; None for models without maps
    masks: list[np.ndarray] | None  # per pair, (256, 256) bool; None when the split has no masks


def score_split(predictor: RsPredictor, items: Sequence[SplitItem], root: Path, *, batch_size: int) -> SplitScores:
    """p(change) (and change maps) of `predictor` (an `RsPredictor`) for every item; masks read from `root`."""
    probabilities: list[float] = []
    maps: list[np.ndarray | None] = []
    with tqdm(total=len(items), desc="p(change)", unit="pair") as bar:
        for start in range(0, len(items), batch_size):
            batch = items[start:start + batch_size]
            sequences = [[Image.open(path).convert("RGB") for path in item.images] for item in batch]
            p, heat = predictor.change_probabilities(sequences, heatmaps=predictor.has_heatmaps)
            probabilities += p
            maps += heat
            bar.update(len(batch))
    labels = np.array([field(item.meta, "changeflag", int, item.source) == 1 for item in items])
    masks = None
    if all("mask" in item.meta for item in items):
        masks = [np.asarray(Image.open(root / field(item.meta, "mask", str, item.source))) > 0 for item in items]
    full = None
    if masks is not None and all(m is not None for m in maps):
        full = [_resized(m, mask.shape) for m, mask in zip(maps, masks, strict=True)]
    return SplitScores(labels, np.array(probabilities), full, masks)


def _resized(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    image = Image.fromarray(np.asarray(values, np.float32))
    return np.asarray(image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR), np.float32)


def calibrate(scores: SplitScores, source: str) -> ChangeCalibration:
    """Thresholds maximising tile F1 and (with maps and masks) pixel F1 on the split (calibration.py)."""
    threshold, precision, recall, _ = best_threshold(scores.probabilities, scores.labels)
    map_threshold, pixel_f1 = ChangeCalibration.map_threshold, None
    if scores.maps is not None and scores.masks is not None:
        changed = [i for i, label in enumerate(scores.labels) if label]
        values = np.concatenate([scores.maps[i][::4, ::4].ravel() for i in changed])  # every 4th pixel: plenty
        truth = np.concatenate([scores.masks[i][::4, ::4].ravel() for i in changed])
        map_threshold, _, _, pixel_f1 = best_threshold(values, truth)
    return ChangeCalibration(threshold=threshold, map_threshold=map_threshold, precision=precision, recall=recall,
                             pixel_f1=pixel_f1, pairs=len(scores.labels), source=source, both_ways=True)


def tile_metrics(scores: SplitScores, threshold: float) -> dict[str, float]:
    flags = scores.probabilities >= threshold
    hits = float((flags & scores.labels).sum())
    precision = hits / max(flags.sum(), 1)
    recall = hits / max(scores.labels.sum(), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    auroc = float(roc_auc_score(scores.labels, scores.probabilities)) if 0 < scores.labels.sum() < len(flags) else \
        float("nan")
    return {"precision": 100 * precision, "recall": 100 * recall, "F1": 100 * f1, "AUROC": 100 * auroc}


def pixel_metrics(scores: SplitScores, calibration: ChangeCalibration) -> dict[str, float] | None:
    """Pixel F1, IoU and pointing game (percentages); None without maps or masks."""
    if scores.maps is None or scores.masks is None:
        return None
    tp = fp = fn = 0
    pointed, changed = 0, 0
    for flagged, heat, mask in zip(scores.probabilities >= calibration.threshold, scores.maps, scores.masks,
                                   strict=True):
        predicted = (heat >= calibration.map_threshold) & flagged
        tp += int((predicted & mask).sum())
        fp += int((predicted & ~mask).sum())
        fn += int((~predicted & mask).sum())
        if mask.any():
            changed += 1
            pointed += bool(mask.flat[int(np.argmax(heat))])
    return {"pixel F1": 100 * 2 * tp / max(2 * tp + fp + fn, 1), "IoU": 100 * tp / max(tp + fp + fn, 1),
            "pointing game": 100 * pointed / max(changed, 1)}
