"""An RS change model on real imagery: a crop of a real Landsat scene against itself with the radiometric
differences two acquisitions always have, both ways, two identical files, and one small bright building added.

    python benchmarks/rs_real_imagery.py [--model runs/demo/rs_change_real_2e_stateless]

Prints, per pair, how many of the 16 tiles of 128 px are flagged changed and their p(change), and where the
building's tile ranks. Needs /work/shared/data/RGB.byte.tif (rasterio's Landsat test scene). The scenes are the
ones `tests/apps/rs_change/describe/test_real_imagery.py` checks the embedded demo model on (it imports them from
here); without --model this prints what that test asserts.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

LANDSAT = Path("/work/shared/data/RGB.byte.tif")
CROP = Window(150, 110, 512, 512)  # 512 x 512 px of 30 m pixels, >99% valid; 16 tiles of 128 px
TILE = 128
BUILDING = (slice(300, 312), slice(330, 342))  # rows, cols: inside tile (2, 2)


def write_scenes(folder: Path) -> dict[str, Path]:
    """before: the crop; after: gain 1.04, offset +3, sensor noise sigma 2; building: after + one roof."""
    with rasterio.open(LANDSAT) as dataset:
        data = dataset.read(window=CROP)
        profile = {**dataset.profile, "width": CROP.width, "height": CROP.height,
                   "transform": dataset.window_transform(CROP)}
    rng = np.random.default_rng(0)
    valid = (data > 0).any(axis=0)
    jittered = np.clip(np.rint(data * 1.04 + 3 + rng.normal(0, 2, data.shape)), 1, 255).astype(np.uint8)
    jittered[:, ~valid] = 0
    built = jittered.copy()
    built[:, BUILDING[0], BUILDING[1]] = np.array([230, 225, 220], np.uint8)[:, None, None]
    paths = {}
    for name, array in (("before", data), ("after", jittered), ("building", built)):
        paths[name] = folder / f"{name}.tif"
        with rasterio.open(paths[name], "w", **profile) as out:
            out.write(array)
    return paths


def tiles(predictor, before: Path, after: Path) -> list:
    """The `TileResult`s of the pair's one step, in the scene's tile order."""
    return predictor.describe([before, after], tile_size=TILE, progress=False).steps[0].tiles


def main() -> None:
    from apps.rs_change.describe.predictor import RsPredictor

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model folder (default: the embedded demo model)")
    args = parser.parse_args()
    predictor = RsPredictor.load(args.model)
    with tempfile.TemporaryDirectory() as folder:
        scenes = write_scenes(Path(folder))
        for label, a, b in (("no change (jitter)", "before", "after"), ("the same, dates swapped", "after", "before"),
                            ("two identical files", "before", "before")):
            results = tiles(predictor, scenes[a], scenes[b])
            flagged = [t.tile.index for t in results if t.changed]
            print(f"{label}: {len(flagged)} of {len(results)} flagged {flagged}; p(change) "
                  + " ".join(f"{t.score:.2f}" for t in results))
        ranked = sorted(tiles(predictor, scenes["before"], scenes["building"]), key=lambda t: t.rank, reverse=True)
        rank = [t.tile.index for t in ranked].index((2, 2)) + 1
        print(f"added building: its tile (2, 2) ranks {rank} of {len(ranked)} (p(change), then area) "
              f"({ranked[rank - 1].score:.3f}; first {ranked[0].tile.index} {ranked[0].score:.3f})")


if __name__ == "__main__":
    main()
