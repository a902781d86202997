"""A change heatmap GeoTIFF on the scene grid (the reference date's pixels, cropped to the overlap).

Values are the raw change map of `sve_core.inference` (SVE key dissimilarity, (1 - cosine) / 2 in [0, 1]),
never rescaled per tile: one scale for every tile of the scene (and across scenes), so a strong small change and
faint diffuse noise read as what they are. For models without maps (stateless) every pixel of a tile holds the
tile's p(change). The band description and a UNITS tag say which.

Written one block-row strip at a time from the per-tile heatmaps, so a 10,000-pixel-wide scene needs a few
strips of memory, never the whole raster. Where tiles overlap, `combine="mean"` averages them (smooth, the
default) and `"max"` keeps the strongest (never hides a change one tile saw). Pixels no tile covers are NaN.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import rasterio
from PIL import Image
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window

from apps.rs_change.errors import SceneError
from apps.rs_change.outputs.results import TileResult
from apps.rs_change.scene.grid import Grid

BLOCK = 256
MAP_LEGEND = ("Change map: raw SVE key dissimilarity, 0 = the same content as before, larger = more different, on "
              "one scale for the whole scene (not rescaled per tile); tiles.png shows it from transparent (0) to "
              "yellow (colour map 'cividis'; the scene's largest value, printed on the legend); change polygons "
              "enclose values at or above the calibrated map threshold inside tiles flagged changed.")


def tile_values(result: TileResult) -> np.ndarray:
    """The result's heatmap resized (bilinear) to its tile window, or its score everywhere if it has none."""
    height, width = int(result.tile.window.height), int(result.tile.window.width)
    if result.heatmap is None:
        return np.full((height, width), result.score, np.float32)
    image = Image.fromarray(np.asarray(result.heatmap, np.float32))
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR), np.float32)


def write_heatmap(path: str | Path, results: list[TileResult], grid: Grid, *,
                  combine: Literal["mean", "max"] = "mean") -> Path:
    """Write a float32 GeoTIFF (tiled 256, deflate + floating-point predictor, nodata NaN) and return its path."""
    if combine not in ("mean", "max"):
        raise SceneError(f"combine={combine!r}: expected 'mean' or 'max'")
    path = Path(path)
    profile = dict(driver="GTiff", width=grid.width, height=grid.height, count=1, dtype="float32",
                   transform=grid.transform, tiled=True, blockxsize=BLOCK, blockysize=BLOCK, compress="deflate",
                   predictor=3, nodata=float("nan"))
    if grid.crs is not None:
        profile["crs"] = grid.crs
    by_row = sorted(results, key=lambda r: r.tile.window.row_off)
    maps = any(result.heatmap is not None for result in results)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # plain-image grids are pixel space on purpose
        dst = rasterio.open(path, "w", **profile)
    with dst:
        dst.set_band_description(1, "change map (SVE key dissimilarity)" if maps else "tile p(change)")
        dst.update_tags(1, UNITS="key dissimilarity, (1 - cosine) / 2, scene-wide scale" if maps else "probability")
        for top in range(0, grid.height, BLOCK):
            bottom = min(top + BLOCK, grid.height)
            total = np.zeros((bottom - top, grid.width), np.float32)
            count = np.zeros_like(total)
            peak = np.full_like(total, np.nan)
            for result in by_row:
                window = result.tile.window
                row0, col0 = int(window.row_off), int(window.col_off)
                if row0 >= bottom:
                    break
                if row0 + int(window.height) <= top:
                    continue
                lo, hi = max(top, row0), min(bottom, row0 + int(window.height))
                values = tile_values(result)[lo - row0:hi - row0]
                cols = slice(col0, col0 + values.shape[1])
                rows = slice(lo - top, hi - top)
                if combine == "max":
                    peak[rows, cols] = np.fmax(peak[rows, cols], values)
                else:
                    seen = np.isfinite(values)
                    total[rows, cols] += np.where(seen, values, 0.0)
                    count[rows, cols] += seen
            if combine == "mean":
                strip = np.where(count > 0, total / np.maximum(count, 1), np.nan).astype(np.float32)
            else:
                strip = peak
            dst.write(strip, 1, window=Window(0, top, grid.width, bottom - top))
    return path
