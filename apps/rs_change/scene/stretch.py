"""Percentile stretch to uint8 (then a display gamma), estimated jointly over all dates.

One stretch for all dates (per band) means a pixel with the same radiance gets the same colour in every image:
a per-image stretch would brighten or darken whole scenes and invent change. Percentiles come from a decimated
read (GDAL answers it from overviews when present; files without overviews are sampled in full-resolution
patches instead), so estimating them stays cheap on huge scenes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from rasterio.enums import Resampling
from rasterio.io import DatasetReader
from rasterio.windows import Window

from apps.rs_change.errors import SceneError

LEVELS = 4096  # the stretched value is quantised this finely before the gamma look-up table


@dataclass(frozen=True)
class Stretch:
    """Each RGB band mapped linearly from [low, high] to [0, 1], then encoded with `gamma` to [0, 255]."""

    low: tuple[float, float, float]
    high: tuple[float, float, float]
    gamma: float = 1.0

    @cached_property
    def _encode(self) -> np.ndarray:
        return (np.linspace(0.0, 1.0, LEVELS) ** self.gamma * 255 + 0.5).astype(np.uint8)

    def apply(self, data: np.ndarray) -> np.ndarray:
        """(3, H, W) of any dtype -> (H, W, 3) uint8 (a look-up table: a per-pixel power would halve tiles/s)."""
        low = np.asarray(self.low, np.float32)[:, None, None]
        span = np.maximum(np.asarray(self.high, np.float32)[:, None, None] - low, 1e-6)
        levels = np.clip((data.astype(np.float32) - low) * ((LEVELS - 1) / span) + 0.5, 0, LEVELS - 1)
        if np.issubdtype(data.dtype, np.floating):
            levels = np.nan_to_num(levels, nan=0.0)  # NaN pixels are invalid; they only need a valid index
        return self._encode[levels.astype(np.intp)].transpose(1, 2, 0)


def as_rgb8(data: np.ndarray, stretch: Stretch | None) -> np.ndarray:
    """(3, H, W) -> (H, W, 3) uint8; without a stretch the data is already uint8 and only transposed."""
    if stretch is None:
        return np.ascontiguousarray(data.transpose(1, 2, 0))
    return stretch.apply(data)


PATCH = 128  # side of the full-resolution patches sampled from files without overviews


def sample_windows(dataset: DatasetReader, window: Window, max_side: int) -> list[tuple[Window, tuple[int, int]]]:
    """(window, out shape) reads that sample `window` with about `max_side`**2 pixels in all.

    With overviews (or a small window) one decimated read does it and GDAL serves it from an overview. Without
    them a decimated read would still decode every block of a huge file, so an evenly spaced grid of
    full-resolution patches is read instead, snapped to the block grid so each patch decodes about one block.
    """
    if dataset.overviews(1) or max(window.width, window.height) <= max_side:
        scale = min(1.0, max_side / max(window.width, window.height))
        return [(window, (max(1, math.ceil(window.height * scale)), max(1, math.ceil(window.width * scale))))]
    block_h, block_w = dataset.block_shapes[0]
    per_axis = max(1, max_side // PATCH)
    reads = []
    for i in range(per_axis):
        for j in range(per_axis):
            row = _snap(window.row_off, window.height, (i + 0.5) / per_axis, block_h)
            col = _snap(window.col_off, window.width, (j + 0.5) / per_axis, block_w)
            patch = Window(col, row, min(PATCH, window.col_off + window.width - col),
                           min(PATCH, window.row_off + window.height - row))
            reads.append((patch, (int(patch.height), int(patch.width))))
    return reads


def _snap(offset: float, length: float, fraction: float, block: int) -> int:
    """Patch start near `fraction` of the way along; on a block boundary inside the window when tiled."""
    start = int(offset + fraction * length) - PATCH // 2
    if block <= 2 * PATCH:
        start -= start % block
        if start < offset:
            start += block
        if start + PATCH > offset + length:
            start -= block
    return int(min(max(start, offset), offset + length - min(PATCH, length)))


def sample_valid(dataset: DatasetReader, bands: tuple[int, ...], window: Window, max_side: int) -> np.ndarray:
    """Valid pixels of `bands` inside `window`, about `max_side`**2 of them (nearest-neighbour, no averaging).

    Returns (3, N): a pixel counts only when valid in all three bands (nodata, masks and NaN respected).
    """
    pieces = []
    for read_window, shape in sample_windows(dataset, window, max_side):
        out_shape = (len(bands), *shape)
        data = dataset.read(bands, window=read_window, out_shape=out_shape, resampling=Resampling.nearest)
        valid = dataset.read_masks(bands, window=read_window, out_shape=out_shape,
                                   resampling=Resampling.nearest).all(axis=0)
        if np.issubdtype(data.dtype, np.floating):
            valid &= np.isfinite(data).all(axis=0)
        pieces.append(data[:, valid])
    return np.concatenate(pieces, axis=1)


def check_contrast(samples: np.ndarray, path: Path) -> None:
    """A scene with no valid pixel or a single value everywhere cannot show change: say so, naming the file."""
    if samples.shape[1] == 0:
        raise SceneError(f"{path}: no valid pixel in the area shared with the other dates "
                         "(all nodata or masked); expected imagery there")
    if samples.min() == samples.max():
        raise SceneError(f"{path}: every valid pixel has the value {samples.flat[0]}; "
                         "expected imagery with some contrast (is this a blank or fill-only scene?)")


def joint_percentile_stretch(samples: list[np.ndarray], percentiles: tuple[float, float],
                             gamma: float = 1.0) -> Stretch:
    """One stretch over the valid samples of every date, band by band."""
    pooled = np.concatenate(samples, axis=1).astype(np.float64)
    low, high = np.percentile(pooled, percentiles, axis=1)
    high = np.where(high > low, high, low + 1.0)  # a flat band (e.g. empty NIR) maps to black, not NaN
    return Stretch(tuple(float(v) for v in low), tuple(float(v) for v in high), gamma)
