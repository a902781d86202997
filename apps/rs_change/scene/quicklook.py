"""`Quicklook`: a small RGB picture of each date, assembled from the tiles as the model reads them.

Built from tiles already in memory, so a viewer gets before/after pictures at no extra read (a separate
decimated read would warp the later dates a second time). It shows exactly what the model saw: stretched,
on the first date's grid, cropped to the overlap; tiles skipped as mostly invalid stay black.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from rasterio.windows import Window

from apps.rs_change.scene.grid import Grid
from apps.rs_change.scene.tiling import Tile

MAX_SIDE = 768  # pixels: enough to see tiles and their outlines, small enough for a browser


class Quicklook:
    """One (h, w, 3) uint8 canvas per date at `scale` pixels per scene pixel (at most 1)."""

    def __init__(self, grid: Grid, dates: int, *, max_side: int = MAX_SIDE) -> None:
        self.scale = min(1.0, max_side / max(grid.width, grid.height))
        shape = (max(1, round(grid.height * self.scale)), max(1, round(grid.width * self.scale)), 3)
        self.images = [np.zeros(shape, np.uint8) for _ in range(dates)]

    def box(self, window: Window) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) of a scene window on the canvas, at least one pixel each way."""
        left, top = round(window.col_off * self.scale), round(window.row_off * self.scale)
        right = max(left + 1, round((window.col_off + window.width) * self.scale))
        bottom = max(top + 1, round((window.row_off + window.height) * self.scale))
        return left, top, right, bottom

    def add(self, tile: Tile) -> None:
        left, top, right, bottom = self.box(tile.window)
        for canvas, image in zip(self.images, tile.images, strict=True):
            small = Image.fromarray(image).resize((right - left, bottom - top), Image.Resampling.BILINEAR)
            canvas[top:bottom, left:right] = np.asarray(small)
