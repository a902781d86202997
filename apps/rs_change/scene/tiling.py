"""Tiles: fixed-size windows over a scene grid, with the per-window transform and bounds outputs need.

Along each axis the scene is split into the whole number of tiles closest to length / `size` (at least one),
of equal length to within a pixel, so every pixel lies in exactly one tile (plus `overlap` shared with the next
one): no sliver at the far edge, and no shifted edge tile that nearly duplicates its neighbour. Tiles are
therefore between about 2/3 and 4/3 of `size` per side (a 513 px wide scene gives tiles of 256 and 257 px; the
model resizes every tile to its input size anyway). A scene smaller than `size` along an axis gives one tile.
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


def tile_spans(length: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """(start, length) of every tile along one axis (the module docstring's rule)."""
    count = max(1, round((length - overlap) / (size - overlap)))
    edges = [round(i * (length - overlap) / count) for i in range(count + 1)]
    return [(edges[i], edges[i + 1] - edges[i] + overlap) for i in range(count)]


def tile_footprints(grid: Grid, size: int = 256, overlap: int = 0) -> Iterator[TileFootprint]:
    """Footprints of all tiles covering `grid`, row by row (the order that reads blocks sequentially)."""
    if size < 16 or not 0 <= overlap < size:
        raise SceneError(f"tile size={size}, overlap={overlap}: expected size >= 16 and 0 <= overlap < size")
    for row, (row_off, height) in enumerate(tile_spans(grid.height, size, overlap)):
        for col, (col_off, width) in enumerate(tile_spans(grid.width, size, overlap)):
            window = Window(col_off, row_off, width, height)
            yield TileFootprint((row, col), window, grid.window_transform(window), grid.window_bounds(window),
                                grid.crs)
