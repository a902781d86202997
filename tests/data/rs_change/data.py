"""Seeded fake scenes for tests/apps/rs_change, written into a test's tmp_path.

The ground is a smooth pattern defined in UTM 32N metres, so the same place has the same value whichever CRS,
resolution or grid a scene is rendered on: after warping, two renderings of one area must agree, which is what
the ingestion tests check. Run `python tests/data/rs_change/data.py DIR` to write a sample set and look at it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from PIL import Image
from rasterio.crs import CRS
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin
from rasterio.warp import transform as transform_points

UTM = CRS.from_epsg(32632)
WEB_MERCATOR = CRS.from_epsg(3857)
ORIGIN = (500_000.0, 5_100_000.0)  # UTM 32N, about 46.0 N 9.0 E


def utm_grid(*, res: float = 10.0, shift: tuple[float, float] = (0.0, 0.0)) -> Affine:
    """North-up UTM transform whose top-left corner is ORIGIN moved by `shift` metres (east, north)."""
    return from_origin(ORIGIN[0] + shift[0], ORIGIN[1] + shift[1], res, res)


def ground(crs: CRS, transform: Affine, width: int, height: int, *, bands: int = 3, seed: int = 0) -> np.ndarray:
    """(bands, H, W) float in [0, 1]: the ground pattern sampled at each pixel centre of the grid."""
    cols, rows = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    xs, ys = transform @ (cols.ravel(), rows.ravel())
    if crs != UTM:
        xs, ys = transform_points(crs, UTM, xs, ys)
    east = (np.asarray(xs) - ORIGIN[0]).reshape(height, width)
    north = (np.asarray(ys) - ORIGIN[1]).reshape(height, width)
    rng = np.random.default_rng(seed)
    out = np.empty((bands, height, width))
    for band in range(bands):
        kx, ky = rng.uniform(0.004, 0.02, 2)
        phase = rng.uniform(0, 2 * np.pi, 2)
        out[band] = 0.5 + 0.25 * np.sin(kx * east + phase[0]) + 0.25 * np.cos(ky * north + phase[1])
    return out


def write_scene(path: Path, *, crs: CRS | None = UTM, transform: Affine | None = None, width: int = 320,
                height: int = 320, bands: int = 3, dtype: str = "uint8", nodata: float | None = None,
                blank_cols: int = 0, masked_cols: int = 0, gain: float = 1.0,
                colorinterp: list[ColorInterp] | None = None, constant: float | None = None, seed: int = 0) -> Path:
    """A tiled GeoTIFF of the ground pattern; `blank_cols` left columns hold `nodata` (a no-data border),
    `masked_cols` left columns are masked by an internal per-dataset mask instead."""
    transform = transform if transform is not None else utm_grid()
    scale = 250.0 if dtype == "uint8" else 4000.0
    if constant is not None:
        values = np.full((bands, height, width), constant)
    else:
        values = ground(crs or UTM, transform, width, height, bands=bands, seed=seed) * scale * gain + 3
    data = values.astype(dtype)
    if blank_cols:
        data[:, :, :blank_cols] = nodata
    profile = dict(driver="GTiff", width=width, height=height, count=bands, dtype=dtype, transform=transform,
                   tiled=True, blockxsize=128, blockysize=128, compress="deflate", nodata=nodata)
    if crs is not None:
        profile["crs"] = crs
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        if masked_cols:
            mask = np.full((height, width), 255, np.uint8)
            mask[:, :masked_cols] = 0
            dst.write_mask(mask)
        if colorinterp is not None:
            dst.colorinterp = colorinterp
    return path


def write_png(path: Path, *, size: int = 256, seed: int = 0) -> Path:
    """An RGB PNG of the ground pattern (LEVIR-CC style: no georeference)."""
    values = ground(UTM, utm_grid(), size, size, seed=seed) * 250
    Image.fromarray(values.astype(np.uint8).transpose(1, 2, 0)).save(path)
    return path


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "rs_change_fixtures")
    out.mkdir(parents=True, exist_ok=True)
    write_scene(out / "before_utm.tif")
    write_scene(out / "after_utm_shifted.tif", transform=utm_grid(shift=(640.0, -480.0)))
    write_scene(out / "before_uint16_4band.tif", dtype="uint16", bands=4, nodata=0, blank_cols=40)
    write_png(out / "A.png")
    print(f"wrote fixtures to {out}")
