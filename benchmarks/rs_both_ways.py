"""How to read an RS change model's p(change) of a pair: forward only, or both ways (the dates swapped too), taking
the larger, the mean or the smaller of the two. Each reading gets its own threshold, calibrated as
`sve rs calibrate` does (best F1 on a validation split), and is scored on the test splits and on the real Landsat
crop of benchmarks/rs_real_imagery.py.

    python benchmarks/rs_both_ways.py [--model M] [--val runs/data/rs_real] [--tests runs/data/rs_real runs/data/rs]

Prints one row per reading: its threshold, test F1 / AUROC per split, the Landsat no-change tiles flagged (read
forward only: forward and swapped) and the added building's rank and p(change). docs/RS_CHANGE.md ("On real
imagery") has the table for the shipped model, which reads the larger (`apps.rs_change.describe.verdict`).
Needs the splits of `sve rs make-dataset` (scripts/retrain_rs_nuisance.sh writes both) and, for the Landsat
columns, /work/shared/data/RGB.byte.tif. About 10 min on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from rs_real_imagery import LANDSAT, TILE, write_scenes

from apps.common.calibration import best_threshold
from apps.common.evaluate import read_split
from apps.rs_change.describe.predictor import RsPredictor
from apps.rs_change.detection import SplitScores, tile_metrics
from apps.rs_change.scene.ingest import open_series
from evaluation.datasets.files import field

READINGS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "forward only": lambda forward, backward: forward,
    "larger of the two (shipped)": np.maximum,
    "mean of the two": lambda forward, backward: (forward + backward) / 2,
    "smaller of the two": np.minimum,
}
BUILDING_TILE = 10  # tile (2, 2) of the 4 x 4 crop, in the scene's row-major tile order


def one_way(predictor: RsPredictor, pairs: Sequence[Sequence[Image.Image]], batch: int = 16) -> np.ndarray:
    """The model's p(change) of each (earlier, later) pair read in the order given only."""
    return np.concatenate([predictor.change_probabilities(pairs[start:start + batch], both_ways=False)[0]
                           for start in range(0, len(pairs), batch)])


def split_pairs(data: Path, split: str) -> tuple[list[list[Image.Image]], np.ndarray]:
    items = read_split(data, split)
    labels = np.array([field(item.meta, "changeflag", int, item.source) == 1 for item in items])
    return [[Image.open(path).convert("RGB") for path in item.images] for item in items], labels


def both(predictor: RsPredictor, pairs: list[list[Image.Image]]) -> tuple[np.ndarray, np.ndarray]:
    return one_way(predictor, pairs), one_way(predictor, [pair[::-1] for pair in pairs])


def scene_tiles(before: Path, after: Path) -> list[list[Image.Image]]:
    """The crop's 128 px tile pairs, read as `sve rs describe` reads them; identical pixels kept (p 0 in the app)."""
    return [[Image.fromarray(image) for image in tile.images] for tile in open_series([before, after]).tiles(TILE)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model folder (default: the embedded demo model)")
    parser.add_argument("--val", type=Path, default=Path("runs/data/rs_real"), help="folder with val.jsonl")
    parser.add_argument("--tests", type=Path, nargs="+", default=[Path("runs/data/rs_real"), Path("runs/data/rs")],
                        help="folders with test.jsonl")
    args = parser.parse_args()
    predictor = RsPredictor.load(args.model)
    val_pairs, val_labels = split_pairs(args.val, "val")
    val = both(predictor, val_pairs)
    tests = {}
    for folder in args.tests:
        pairs, labels = split_pairs(folder, "test")
        tests[folder.name] = (*both(predictor, pairs), labels)
    landsat = None
    if LANDSAT.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            scenes = write_scenes(Path(tmp))
            landsat = (both(predictor, scene_tiles(scenes["before"], scenes["after"])),
                       both(predictor, scene_tiles(scenes["before"], scenes["building"])))
    print("| p(change) of a pair | threshold | " + " | ".join(f"{name} test F1 / AUROC" for name in tests)
          + " | Landsat no-change tiles flagged | added building: rank, p |")
    print("|---|---|" + "---|" * len(tests) + "---|---|")
    for name, read in READINGS.items():
        threshold = best_threshold(read(*val), val_labels)[0]
        cells = []
        for forward, backward, labels in tests.values():
            metrics = tile_metrics(SplitScores(labels, read(forward, backward), None, None), threshold)
            cells.append(f"{metrics['F1']:.2f} / {metrics['AUROC']:.2f}")
        if landsat is None:
            cells += ["(no Landsat scene)", "–"]
        else:
            (forward, backward), (built, unbuilt) = landsat
            flagged = (f"{(forward >= threshold).sum()} forward, {(backward >= threshold).sum()} swapped"
                       if name == "forward only" else f"{(read(forward, backward) >= threshold).sum()} either way")
            building = read(built, unbuilt)
            rank = int((building > building[BUILDING_TILE]).sum()) + 1
            cells += [flagged, f"{rank} of {len(building)}, {building[BUILDING_TILE]:.3f}"]
        print(f"| {name} | {threshold:.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
