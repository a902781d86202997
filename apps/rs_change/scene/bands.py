"""Which three bands of a scene are shown as R, G, B.

Multispectral products order bands differently (Sentinel-2 B2,B3,B4 = blue first; aerial RGBN = red first), so
an explicit choice wins, then the file's own colour interpretation, then the 1,2,3 convention.
"""

from __future__ import annotations

from pathlib import Path

from rasterio.enums import ColorInterp
from rasterio.io import DatasetReader

from apps.rs_change.errors import SceneError

RGB = tuple[int, int, int]


def select_rgb_bands(dataset: DatasetReader, path: Path, requested: RGB | None) -> RGB:
    """1-based indexes of the bands shown as R, G, B in `dataset` (read from `path`)."""
    if requested is not None:
        missing = [b for b in requested if b > dataset.count]
        if missing:
            raise SceneError(f"{path}: band(s) {missing} requested as RGB, but the file has {dataset.count} band(s)")
        return (int(requested[0]), int(requested[1]), int(requested[2]))
    interps = list(dataset.colorinterp)
    if ColorInterp.palette in interps:
        raise SceneError(f"{path}: palette (colour-table) image; expected RGB or multispectral bands")
    named = {ci: i + 1 for i, ci in enumerate(interps)}
    if all(ci in named for ci in (ColorInterp.red, ColorInterp.green, ColorInterp.blue)):
        return (named[ColorInterp.red], named[ColorInterp.green], named[ColorInterp.blue])
    image_bands = [i + 1 for i, ci in enumerate(interps) if ci != ColorInterp.alpha]
    if len(image_bands) >= 3:
        return (image_bands[0], image_bands[1], image_bands[2])
    if len(image_bands) == 1:
        return (image_bands[0],) * 3
    raise SceneError(f"{path}: {len(image_bands)} image bands; expected 1 (grey) or at least 3, "
                     "or pass IngestConfig(bands=(r, g, b))")
