"""A `SceneResult` made without a model, for the viewers of a result (the web map): the tiles of a real pair
of scenes, each with a caption naming it, a seeded p(change) and, on changed tiles, a change map with one hot
square (so change polygons exist)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from apps.rs_change.calibration import ChangeCalibration
from apps.rs_change.outputs.results import ChangeStep, TileResult
from apps.rs_change.outputs.scene_result import SceneResult
from apps.rs_change.scene.ingest import open_pair
from apps.rs_change.scene.quicklook import Quicklook

CALIBRATION = ChangeCalibration(threshold=0.5, map_threshold=0.6)


def caption(index: tuple[int, int]) -> str:
    return "a new building appears in tile {},{}".format(*index)


def fake_result(before: Path, after: Path, *, tile_size: int = 128, seed: int = 0) -> SceneResult:
    """Tiles of the pair (`open_pair`), every other one changed with p(change) >= 0.5."""
    series = open_pair(before, after)
    rng = np.random.default_rng(seed)
    quicklook = Quicklook(series.grid, 2)
    tiles = []
    for number, tile in enumerate(series.tiles(tile_size)):
        quicklook.add(tile)
        changed = number % 2 == 0
        heatmap = rng.uniform(0.0, 0.3, (16, 16)).astype(np.float32)
        if changed:
            heatmap[4:9, 5:11] = 0.9
        score = float(rng.uniform(0.5, 1.0) if changed else rng.uniform(0.0, 0.5))
        tiles.append(TileResult(tile.footprint(), caption(tile.index), changed, score, heatmap=heatmap,
                                area=0.12 if changed else 0.0))
    return SceneResult(names=(Path(before).name, Path(after).name), grid=series.grid,
                       steps=[ChangeStep(0, 1, tiles)], quicklook=quicklook, tile_size=tile_size, overlap=0,
                       skipped=0, model="fake", demo=False, seconds=1.0, calibration=CALIBRATION)
