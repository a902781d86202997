"""The raster outputs as Cloud-Optimized GeoTIFFs a GIS can stream: the heatmap and a change mask per step.

`SceneResult.write` writes each step's heatmap as a tiled GeoTIFF; `write_cogs` rewrites it as a COG (rio-cogeo,
deflate, internal overviews) and adds `change_mask.tif` (uint8: 1 = change, 0 = no change, 255 = no data): the
heatmap at or above `threshold` on tiles whose caption says change. Both are checked with rio-cogeo's own
validator; a file that fails is an error, never a silent non-COG. The mask is built one block-row strip at a
time, so memory stays bounded on large scenes.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window
from rio_cogeo.cogeo import cog_translate, cog_validate
from rio_cogeo.profiles import cog_profiles

from apps.rs_change.errors import SceneError
from apps.rs_change.outputs.scene_result import SceneResult

MASK_NODATA = 255
STRIP = 256


@dataclass(frozen=True)
class StepRasters:
    heatmap: Path  # float32 COG, NaN = no data
    mask: Path  # uint8 COG, 1 change / 0 no change / 255 no data


def write_cogs(result: SceneResult, out: Path, *, threshold: float = 0.5) -> list[StepRasters]:
    """COG heatmap and change mask of every step of `result` (after `result.write(out)`), validated."""
    if not 0.0 <= threshold <= 1.0:
        raise SceneError(f"--mask-threshold {threshold}: expected a heat value in [0, 1]")
    rasters = []
    for index in range(len(result.steps)):
        heatmap = out / result.step_file("heatmap", index, ".tif")
        mask = out / result.step_file("change_mask", index, ".tif")
        with tempfile.TemporaryDirectory(dir=out) as work:
            plain_mask = Path(work) / "mask.tif"
            _write_mask(heatmap, plain_mask, threshold)
            _to_cog(heatmap, Path(work) / "heatmap.tif", resampling="average").replace(heatmap)
            _to_cog(plain_mask, Path(work) / "mask_cog.tif", resampling="nearest").replace(mask)
        rasters.append(StepRasters(heatmap, mask))
    return rasters


def check_cog(path: Path) -> None:
    """rio-cogeo's validator, strict (warnings count); `SceneError` with its findings otherwise."""
    valid, errors, warnings = cog_validate(str(path), strict=True, quiet=True)
    if not valid:
        raise SceneError(f"{path}: not a valid Cloud-Optimized GeoTIFF: {'; '.join(errors + warnings)}")


def _to_cog(source: Path, dest: Path, *, resampling: str) -> Path:
    profile = cog_profiles.get("deflate")
    cog_translate(str(source), str(dest), profile, overview_resampling=resampling, in_memory=False, quiet=True,
                  use_cog_driver=True)
    check_cog(dest)
    return dest


def _write_mask(heatmap: Path, dest: Path, threshold: float) -> None:
    with rasterio.open(heatmap) as src:
        profile = src.profile | dict(dtype="uint8", nodata=MASK_NODATA, predictor=1)
        with rasterio.open(dest, "w", **profile) as dst:
            for top in range(0, src.height, STRIP):
                window = Window(0, top, src.width, min(STRIP, src.height - top))
                heat = src.read(1, window=window)
                strip = np.where(np.isnan(heat), MASK_NODATA, heat >= threshold).astype(np.uint8)
                dst.write(strip, 1, window=window)
