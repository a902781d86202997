"""`Grid`: where a raster's pixels lie on the ground, so tiles and outputs can be georeferenced without the file."""

from __future__ import annotations

from dataclasses import dataclass

from affine import Affine
from rasterio.coords import BoundingBox
from rasterio.crs import CRS
from rasterio.windows import Window
from rasterio.windows import bounds as window_bounds
from rasterio.windows import transform as window_transform


@dataclass(frozen=True)
class Grid:
    """A north-up pixel grid. `crs` is None for plain images (PNG pairs), whose coordinates are pixels."""

    crs: CRS | None
    transform: Affine
    width: int
    height: int

    @property
    def bounds(self) -> BoundingBox:
        return self.window_bounds(Window(0, 0, self.width, self.height))

    def window_transform(self, window: Window) -> Affine:
        return window_transform(window, self.transform)

    def window_bounds(self, window: Window) -> BoundingBox:
        return BoundingBox(*window_bounds(window, self.transform))

    def crop(self, window: Window) -> Grid:
        """The same pixels restricted to `window`, e.g. the overlap of two scenes on the first one's grid."""
        return Grid(self.crs, self.window_transform(window), int(window.width), int(window.height))
