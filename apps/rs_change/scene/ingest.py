"""Open two or more co-located scenes (oldest first) as one `SceneSeries` and read it tile by tile.

Opening checks everything a user can get wrong (unreadable file, no CRS, no overlap, blank scene, bad bands) and
estimates the joint stretch; pixels are read only while iterating `tiles()`, window by window, so memory stays
bounded by the tile size and GDAL's block cache however large the scenes are.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from apps.common.policy.raster import open_raster
from apps.rs_change.errors import SceneError
from apps.rs_change.scene.alignment import (
    check_comparable,
    choose_reference,
    footprint_in,
    grid_of,
    mismatch,
    on_grid,
    overlap_window,
    pixel_size,
    window_in,
)
from apps.rs_change.scene.bands import RGB, select_rgb_bands
from apps.rs_change.scene.config import IngestConfig
from apps.rs_change.scene.grid import Grid
from apps.rs_change.scene.masks import Source, masked_by_nodata, nodata_valid, stored_mask
from apps.rs_change.scene.stretch import (
    Stretch,
    as_rgb8,
    check_contrast,
    joint_percentile_stretch,
    sample_valid,
)
from apps.rs_change.scene.tiling import Tile, TileFootprint, tile_footprints


@dataclass(frozen=True)
class SceneSeries:
    """Scenes of one area, oldest first, seen on the first scene's grid cropped to where all of them overlap."""

    paths: tuple[Path, ...]
    bands: tuple[RGB, ...]  # per scene, 1-based R, G, B band indexes
    reference: Grid  # the first scene's full grid; later dates are warped onto it
    overlap: Window  # the common area, on `reference`
    stretch: Stretch | None  # None: all scenes are uint8 and shown as they are
    config: IngestConfig = field(default_factory=IngestConfig)
    warnings: tuple[str, ...] = ()  # e.g. pairs from different sensors or resolutions (alignment.mismatch)

    @property
    def grid(self) -> Grid:
        """The grid tiles and outputs live on: `reference` cropped to `overlap`."""
        return self.reference.crop(self.overlap)

    def footprints(self, size: int = 256, overlap: int = 0) -> Iterator[TileFootprint]:
        """Every tile position (no pixels read): for progress bars, or to plan work."""
        return tile_footprints(self.grid, size, overlap)

    def tiles(self, size: int = 256, overlap: int = 0, min_valid: float = 0.5) -> Iterator[Tile]:
        """Tiles with at least `min_valid` of their pixels valid in every date, row by row (a tile without a
        single valid pixel is never yielded).

        A generator: files stay open (and the GDAL cache capped) only while it is being consumed.
        """
        if not 0.0 <= min_valid <= 1.0:
            raise SceneError(f"min_valid={min_valid}: expected a fraction in [0, 1]")
        with rasterio.Env(GDAL_CACHEMAX=self.config.gdal_cache_mb * 2**20), ExitStack() as stack:
            sources = [stack.enter_context(open_raster(path)) for path in self.paths]
            sources = [on_grid(ds, self.reference, self.config) for ds in sources]
            for source in sources:
                if isinstance(source, WarpedVRT):
                    stack.enter_context(source)
            for footprint in self.footprints(size, overlap):
                tile = self._read(sources, footprint, min_valid)
                if tile is not None:
                    yield tile

    def _read(self, sources: list[Source], footprint: TileFootprint, min_valid: float) -> Tile | None:
        window = Window(self.overlap.col_off + footprint.window.col_off,
                        self.overlap.row_off + footprint.window.row_off,
                        footprint.window.width, footprint.window.height)
        # valid: unmasked in every RGB band of every date (nodata, internal mask, alpha, outside a warped footprint)
        by_nodata = [masked_by_nodata(source, bands) for source, bands in zip(sources, self.bands, strict=True)]
        valid = np.ones((int(window.height), int(window.width)), bool)
        for source, bands, nodata in zip(sources, self.bands, by_nodata, strict=True):
            if not nodata:
                valid &= stored_mask(source, bands, window)
        if valid.mean() < min_valid:  # stored masks are cheap: skip before reading any pixels
            return None
        data = [source.read(bands, window=window) for source, bands in zip(sources, self.bands, strict=True)]
        for source, array, nodata in zip(sources, data, by_nodata, strict=True):
            if nodata:
                valid &= nodata_valid(array, source.nodata)
            if np.issubdtype(array.dtype, np.floating):
                valid &= np.isfinite(array).all(axis=0)
        if valid.mean() < min_valid or not valid.any():
            return None
        images = [as_rgb8(array, self.stretch) for array in data]
        for image in images:
            image[~valid] = 0
        return Tile(footprint.index, footprint.window, footprint.transform, footprint.bounds, footprint.crs,
                    images=images, valid_mask=valid)


def open_series(paths: Sequence[str | Path], *, config: IngestConfig | None = None) -> SceneSeries:
    """Scenes of one area, oldest first (two or more), ready to tile; raises `SceneError` on unusable input."""
    config = config or IngestConfig()
    paths = [Path(p) for p in paths]
    if len(paths) < 2:
        raise SceneError(f"got {len(paths)} scene(s) {[str(p) for p in paths]}; expected at least two dates")
    with ExitStack() as stack:
        datasets = [stack.enter_context(open_raster(path)) for path in paths]
        check_comparable(datasets, paths)
        bands = tuple(select_rgb_bands(ds, path, config.bands) for ds, path in zip(datasets, paths, strict=True))
        sizes = [pixel_size(ds, datasets[0]) for ds in datasets]
        warnings = mismatch(datasets, paths, sizes, config.grid)
        reference = grid_of(datasets[choose_reference(sizes, config.grid)])
        footprints = [footprint_in(reference, ds, path) for ds, path in zip(datasets, paths, strict=True)]
        overlap = overlap_window(reference, footprints, paths)
        samples = []
        for ds, path, rgb in zip(datasets, paths, bands, strict=True):
            sample = sample_valid(ds, rgb, window_in(ds, reference, overlap), config.stretch_sample)
            check_contrast(sample, path)
            samples.append(sample)
        all_uint8 = all(ds.dtypes[b - 1] == "uint8" for ds, rgb in zip(datasets, bands, strict=True) for b in rgb)
        stretch = None if config.stretch == "auto" and all_uint8 else joint_percentile_stretch(
            samples, config.percentiles, config.gamma)
    return SceneSeries(tuple(paths), bands, reference, overlap, stretch, config, warnings)


def open_pair(before: str | Path, after: str | Path, *, config: IngestConfig | None = None) -> SceneSeries:
    """A bitemporal pair (before, after); `after` is warped onto `before`'s grid when they differ."""
    return open_series([before, after], config=config)

