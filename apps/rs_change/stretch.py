"""Percentile stretch to uint8, estimated jointly over all dates.

One stretch for all dates (per band) means a pixel with the same radiance gets the same colour in every image:
a per-image stretch would brighten or darken whole scenes and invent change. Percentiles come from a decimated
read (GDAL answers it from overviews when present), so estimating them stays cheap on huge scenes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rasterio.enums import Resampling
from rasterio.io import DatasetReader
from rasterio.windows import Window

from apps.rs_change.errors import SceneError


@dataclass(frozen=True)
class Stretch:
    """Linear map of each RGB band from [low, high] to [0, 255]."""

    low: tuple[float, float, float]
    high: tuple[float, float, float]

    def apply(self, data: np.ndarray) -> np.ndarray:
        """(3, H, W) of any dtype -> (H, W, 3) uint8."""
        low = np.asarray(self.low, np.float32)[:, None, None]
        span = np.maximum(np.asarray(self.high, np.float32)[:, None, None] - low, 1e-6)
        scaled = (data.astype(np.float32) - low) * (255.0 / span)
        return np.clip(scaled + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)


def as_rgb8(data: np.ndarray, stretch: Stretch | None) -> np.ndarray:
    """(3, H, W) -> (H, W, 3) uint8; without a stretch the data is already uint8 and only transposed."""
    if stretch is None:
        return np.ascontiguousarray(data.transpose(1, 2, 0))
    return stretch.apply(data)


def sample_valid(dataset: DatasetReader, bands: tuple[int, ...], window: Window, max_side: int) -> np.ndarray:
    """Valid pixels of `bands` inside `window`, from a nearest-neighbour read at most `max_side` pixels long.

    Returns (3, N): a pixel counts only when valid in all three bands (nodata, masks and NaN respected).
    """
    scale = min(1.0, max_side / max(window.width, window.height))
    shape = (len(bands), max(1, math.ceil(window.height * scale)), max(1, math.ceil(window.width * scale)))
    data = dataset.read(bands, window=window, out_shape=shape, resampling=Resampling.nearest)
    valid = dataset.read_masks(bands, window=window, out_shape=shape, resampling=Resampling.nearest).all(axis=0)
    if np.issubdtype(data.dtype, np.floating):
        valid &= np.isfinite(data).all(axis=0)
    return data[:, valid]


def check_contrast(samples: np.ndarray, path: Path) -> None:
    """A scene with no valid pixel or a single value everywhere cannot show change: say so, naming the file."""
    if samples.shape[1] == 0:
        raise SceneError(f"{path}: no valid pixel in the area shared with the other dates "
                         "(all nodata or masked); expected imagery there")
    if samples.min() == samples.max():
        raise SceneError(f"{path}: every valid pixel has the value {samples.flat[0]}; "
                         "expected imagery with some contrast (is this a blank or fill-only scene?)")


def joint_percentile_stretch(samples: list[np.ndarray], percentiles: tuple[float, float]) -> Stretch:
    """One stretch over the valid samples of every date, band by band."""
    pooled = np.concatenate(samples, axis=1).astype(np.float64)
    low, high = np.percentile(pooled, percentiles, axis=1)
    high = np.where(high > low, high, low + 1.0)  # a flat band (e.g. empty NIR) maps to black, not NaN
    return Stretch(tuple(float(v) for v in low), tuple(float(v) for v in high))
