"""Tiles: fixed-size windows over a scene grid, with the per-window transform and bounds outputs need.

Edge tiles are shifted inward so every tile is `size` x `size` pixels of real data (a model sees no padding);
they overlap their neighbour instead. A scene smaller than `size` along an axis gives one shorter tile there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from affine import Affine
from rasterio.coords import BoundingBox
from rasterio.crs import CRS
from rasterio.windows import Window

from apps.rs_change.errors import SceneError
from apps.rs_change.scene.grid import Grid


@dataclass(frozen=True)
class TileFootprint:
    """Where a tile is: small enough to keep for every tile of a huge scene (no pixels)."""

    index: tuple[int, int]  # (row, col) in the tile grid
    window: Window  # pixel window on the scene grid (the overlap of all dates)
    transform: Affine
    bounds: BoundingBox  # in `crs` units; pixel units when `crs` is None
    crs: CRS | None


@dataclass(frozen=True, eq=False)
class Tile(TileFootprint):
    """A tile's pixels for every date. Keep `tile.footprint()` rather than the tile when collecting results."""

    images: list[np.ndarray]  # per date, oldest first: (H, W, 3) uint8, 0 where `valid_mask` is False
    valid_mask: np.ndarray  # (H, W) bool: valid in every date and every RGB band

    @property
    def valid_fraction(self) -> float:
        return float(self.valid_mask.mean())

    def footprint(self) -> TileFootprint:
        return TileFootprint(self.index, self.window, self.transform, self.bounds, self.crs)


def tile_origins(length: int, size: int, overlap: int) -> list[int]:
    """Start offsets along one axis: a regular stride, plus a last tile flush with the far edge."""
    if length <= size:
        return [0]
    origins = list(range(0, length - size + 1, size - overlap))
    if origins[-1] + size < length:
        origins.append(length - size)
    return origins


def tile_footprints(grid: Grid, size: int = 256, overlap: int = 0) -> Iterator[TileFootprint]:
    """Footprints of all tiles covering `grid`, row by row (the order that reads blocks sequentially)."""
    if size < 16 or not 0 <= overlap < size:
        raise SceneError(f"tile size={size}, overlap={overlap}: expected size >= 16 and 0 <= overlap < size")
    height, width = min(size, grid.height), min(size, grid.width)
    for row, row_off in enumerate(tile_origins(grid.height, size, overlap)):
        for col, col_off in enumerate(tile_origins(grid.width, size, overlap)):
            window = Window(col_off, row_off, width, height)
            yield TileFootprint((row, col), window, grid.window_transform(window), grid.window_bounds(window),
                                grid.crs)
