"""Putting every date on one reference grid: which files are comparable, where they overlap, and warping.

The reference is the first scene's grid unless `IngestConfig.grid` picks the last one's, the finer or the
coarser (`choose_reference`); outputs (heatmap, GeoJSON) are reported on it, and the other dates are warped onto
it lazily through a WarpedVRT, so only the windows actually read are ever resampled. Scenes of different pixel
sizes or band layouts (e.g. a 10 m aerial image against a 30 m Landsat scene) get a warning (`mismatch`): the
model sees differences in detail and colour there that are not land change.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from rasterio.coords import BoundingBox
from rasterio.enums import ColorInterp
from rasterio.errors import RasterioError
from rasterio.io import DatasetReader
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds

from apps.rs_change.errors import SceneError
from apps.rs_change.scene.config import IngestConfig
from apps.rs_change.scene.grid import Grid

# Raster formats that never carry a CRS; a pair of them is compared in pixel coordinates (LEVIR-CC A/B PNGs).
PLAIN_IMAGE_DRIVERS = frozenset({"PNG", "JPEG", "BMP", "GIF", "WEBP"})


def grid_of(dataset: DatasetReader) -> Grid:
    return Grid(dataset.crs, dataset.transform, dataset.width, dataset.height)


def check_comparable(datasets: list[DatasetReader], paths: list[Path]) -> None:
    """All scenes georeferenced (any CRS) or all plain images of one size; anything else is an input mistake."""
    plain = [ds.crs is None and ds.driver in PLAIN_IMAGE_DRIVERS for ds in datasets]
    for ds, path, is_plain in zip(datasets, paths, plain, strict=True):
        if ds.crs is None and not is_plain:
            raise SceneError(f"{path}: {ds.driver} raster without a CRS; expected a georeferenced scene "
                             "(or plain PNG/JPEG pairs compared pixel by pixel)")
        if not is_plain and not ds.transform.is_rectilinear:
            raise SceneError(f"{path}: rotated or sheared geotransform; expected a north-up grid")
    if any(plain) and not all(plain):
        raise SceneError(f"cannot compare plain images with georeferenced scenes: {[str(p) for p in paths]}; "
                         "expected all GeoTIFFs or all PNG/JPEG")
    if all(plain):
        for ds, path in zip(datasets[1:], paths[1:], strict=True):
            if (ds.width, ds.height) != (datasets[0].width, datasets[0].height):
                raise SceneError(f"{path}: {ds.width}x{ds.height} pixels but {paths[0]} has "
                                 f"{datasets[0].width}x{datasets[0].height}; plain images must have the same size")


def pixel_size(dataset: DatasetReader, reference: DatasetReader) -> float:
    """Side of `dataset`'s pixels in `reference`'s CRS units (the root of their mean area): comparable across
    CRSs, 1.0 for plain images."""
    if dataset.crs is None or reference.crs is None:
        return 1.0
    left, bottom, right, top = dataset.bounds
    if dataset.crs != reference.crs:
        try:
            left, bottom, right, top = transform_bounds(dataset.crs, reference.crs, *dataset.bounds, densify_pts=21)
        except (RasterioError, ValueError):
            return abs(dataset.transform.a)
    return math.sqrt(abs((right - left) * (top - bottom)) / (dataset.width * dataset.height))


def choose_reference(sizes: list[float], choice: str) -> int:
    """Index of the scene whose grid is the reference, for `IngestConfig.grid` = `choice`."""
    if choice == "after":
        return len(sizes) - 1
    if choice in ("finer", "coarser"):
        order = sorted(range(len(sizes)), key=lambda i: sizes[i])
        return order[0] if choice == "finer" else order[-1]
    return 0


def mismatch(datasets: list[DatasetReader], paths: list[Path], sizes: list[float], choice: str) -> tuple[str, ...]:
    """Warnings for scenes that differ in pixel size (by over 25%) or band layout: likely different sensors."""
    warnings = []
    if max(sizes) > 1.25 * min(sizes):
        listed = ", ".join(f"{path.name} {size:.3g}" for path, size in zip(paths, sizes, strict=True))
        warnings.append(f"the scenes' pixel sizes differ ({listed}, in {datasets[0].crs or 'pixel'} units); all are "
                        f"aligned on the {choice!r} grid (--grid before|after|finer|coarser): differences in detail "
                        "and colour between them are not land change")
    layouts = [(_image_bands(ds), ds.dtypes[0]) for ds in datasets]
    if len(set(layouts)) > 1:
        listed = ", ".join(f"{path.name} {count} x {dtype}" for (count, dtype), path in zip(layouts, paths, strict=True))
        warnings.append(f"the scenes have different band layouts ({listed}): probably different sensors, whose "
                        "colour differences are not land change")
    return tuple(warnings)


def _image_bands(dataset: DatasetReader) -> int:
    return sum(ci != ColorInterp.alpha for ci in dataset.colorinterp)


def footprint_in(grid: Grid, dataset: DatasetReader, path: Path) -> BoundingBox:
    """`dataset`'s bounding box in `grid`'s CRS (densified, so curved reprojected edges are covered)."""
    if grid.crs is None or dataset.crs == grid.crs:
        return dataset.bounds
    try:
        box = transform_bounds(dataset.crs, grid.crs, *dataset.bounds, densify_pts=21)
    except (RasterioError, ValueError) as err:
        raise SceneError(f"{path}: its extent cannot be expressed in {grid.crs.to_string()} ({err})") from err
    if not all(math.isfinite(v) for v in box):
        raise SceneError(f"{path}: its extent cannot be expressed in {grid.crs.to_string()}; "
                         "the scenes are far apart")
    return BoundingBox(*box)


def overlap_window(reference: Grid, footprints: list[BoundingBox], paths: list[Path]) -> Window:
    """Whole pixels of `reference` inside every footprint (rounded inward, so no tile reaches outside)."""
    left = max(f.left for f in footprints)
    right = min(f.right for f in footprints)
    bottom = max(min(f.bottom, f.top) for f in footprints)
    top = min(max(f.bottom, f.top) for f in footprints)
    space = reference.crs.to_string() if reference.crs else "pixels"
    empty = SceneError(f"no overlap between {[str(p) for p in paths]}: their footprints in {space} are "
                       f"{[tuple(round(v, 3) for v in f) for f in footprints]}; expected scenes of the same area")
    if left >= right or bottom >= top:
        raise empty
    if reference.crs is None:  # pixel coordinates grow downward
        bottom, top = top, bottom
    window = from_bounds(left, bottom, right, top, transform=reference.transform)
    eps = 1e-6
    col0 = max(0, math.ceil(window.col_off - eps))
    row0 = max(0, math.ceil(window.row_off - eps))
    col1 = min(reference.width, math.floor(window.col_off + window.width + eps))
    row1 = min(reference.height, math.floor(window.row_off + window.height + eps))
    if col1 <= col0 or row1 <= row0:
        raise empty
    return Window(col0, row0, col1 - col0, row1 - row0)


def shares_grid(dataset: DatasetReader, grid: Grid) -> bool:
    """True when `dataset` can be read with `grid`'s windows as is (plain images always can)."""
    return grid.crs is None or (
        dataset.crs == grid.crs
        and (dataset.width, dataset.height) == (grid.width, grid.height)
        and np.allclose(tuple(dataset.transform), tuple(grid.transform), rtol=0, atol=1e-9 * abs(grid.transform.a))
    )


def window_in(dataset: DatasetReader, grid: Grid, window: Window) -> Window:
    """The part of `dataset` (own grid) covering `window` of `grid`; used to sample it without warping."""
    if shares_grid(dataset, grid):
        return window
    box = grid.window_bounds(window)
    if dataset.crs != grid.crs:
        box = BoundingBox(*transform_bounds(grid.crs, dataset.crs, *box, densify_pts=21))
    own = from_bounds(*box, transform=dataset.transform)
    col0, row0 = max(0, math.floor(own.col_off)), max(0, math.floor(own.row_off))
    col1 = min(dataset.width, math.ceil(own.col_off + own.width))
    row1 = min(dataset.height, math.ceil(own.row_off + own.height))
    return Window(col0, row0, max(1, col1 - col0), max(1, row1 - row0))


def on_grid(dataset: DatasetReader, grid: Grid, config: IngestConfig) -> DatasetReader | WarpedVRT:
    """`dataset` readable with `grid`'s windows: itself when the grids match, else a lazy WarpedVRT.

    The VRT gets an alpha band so pixels outside the warped footprint (or masked in the source) read as invalid
    through `read_masks`, whether the source uses nodata, an internal mask or neither; a source with its own
    alpha band keeps it (GDAL warps it as the VRT's alpha, and refuses to add a second one). Warping dominates
    tiling time, so its kernel runs on all cores.
    """
    if shares_grid(dataset, grid):
        return dataset
    has_alpha = ColorInterp.alpha in dataset.colorinterp
    return WarpedVRT(dataset, crs=grid.crs, transform=grid.transform, width=grid.width, height=grid.height,
                     resampling=config.resampling, add_alpha=not has_alpha, warp_extras={"NUM_THREADS": "ALL_CPUS"})

