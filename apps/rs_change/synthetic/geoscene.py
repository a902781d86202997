"""Write a `SyntheticScene` as a georeferenced GeoTIFF pair (the app demo's and tests' realistic input).

Both dates are 4-band uint16 reflectance x 10,000 (R, G, B, NIR, like Sentinel-2 L2A scaling) in UTM 32N at
0.5 m, tiled and deflate-compressed, nodata 0. The after-scene is cut from the rendered canvas `shift` pixels
further east/south and georeferenced accordingly, so ingestion has to warp it and crop to the overlap, as it
would for real acquisitions. `change.tif` (uint8, before grid) and `events.json` are the ground truth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin

from apps.rs_change.synthetic.scenes import SyntheticScene

UTM_32N = CRS.from_epsg(32632)
ORIGIN = (500_000.0, 5_100_000.0)  # top-left corner, about 46.0 N 9.0 E
RESOLUTION = 0.5  # metres, LEVIR-CC's ground sampling
BAND_NAMES = ("red", "green", "blue", "nir")


@dataclass(frozen=True)
class ScenePaths:
    before: Path
    after: Path
    change: Path
    events: Path


def _write(path: Path, data: np.ndarray, transform: Affine, dtype: str, nodata: float | None) -> None:
    profile = dict(driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0], dtype=dtype,
                   crs=UTM_32N, transform=transform, tiled=True, blockxsize=256, blockysize=256,
                   compress="deflate", predictor=2, nodata=nodata)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data.astype(dtype))
        if data.shape[0] == 4:
            dst.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.undefined]
            for band, name in enumerate(BAND_NAMES, start=1):
                dst.set_band_description(band, name)


def _to_dn(refl: np.ndarray) -> np.ndarray:
    """Reflectance -> digital numbers; never 0, which is nodata."""
    return np.clip(np.round(refl * 10_000), 1, 65_535)


def write_scene_pair(folder: str | Path, scene: SyntheticScene, *, size: int,
                     shift: tuple[int, int] = (24, 16)) -> ScenePaths:
    """Write `size` x `size` before.tif and after.tif (plus change.tif and events.json) into `folder`; the
    rendered `scene` must be at least `size` + `shift` pixels on each side."""
    dx, dy = shift
    if min(scene.before.shape[1] - dy, scene.before.shape[2] - dx) < size:
        raise ValueError(f"scene of {scene.before.shape[1:]} px cannot give {size} px shifted by {shift}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    before_transform = from_origin(*ORIGIN, RESOLUTION, RESOLUTION)
    after_transform = from_origin(ORIGIN[0] + dx * RESOLUTION, ORIGIN[1] - dy * RESOLUTION, RESOLUTION, RESOLUTION)
    paths = ScenePaths(folder / "before.tif", folder / "after.tif", folder / "change.tif", folder / "events.json")
    _write(paths.before, _to_dn(scene.before[:, :size, :size]), before_transform, "uint16", 0)
    _write(paths.after, _to_dn(scene.after[:, dy:dy + size, dx:dx + size]), after_transform, "uint16", 0)
    _write(paths.change, scene.change_mask[None, :size, :size], before_transform, "uint8", None)
    events = []
    for change, caption in zip(scene.changes, scene.captions, strict=True):
        left, top = before_transform @ change.box[:2]
        right, bottom = before_transform @ change.box[2:]
        events.append({"kind": change.kind, "count": change.count, "caption": caption, "box_px": list(change.box),
                       "bounds": [left, bottom, right, top]})
    paths.events.write_text(json.dumps({"crs": UTM_32N.to_string(), "events": events}, indent=1) + "\n")
    return paths
