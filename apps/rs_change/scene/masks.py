"""Which pixels of a window are valid, computed the cheapest way for each kind of GDAL mask.

GDAL derives a nodata mask by reading and comparing each band again (about 2 ms per 256 x 256 tile of three
bands, a fifth of the whole tile budget); comparing the pixels already read costs a tenth of that. A
per-dataset mask (internal mask, or the alpha band a WarpedVRT adds) is one band whatever the band count, so
it is read once; bands without any mask cost nothing.
"""

from __future__ import annotations

import math

import numpy as np
from rasterio.enums import MaskFlags
from rasterio.io import DatasetReader
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

Source = DatasetReader | WarpedVRT


def masked_by_nodata(source: Source, bands: tuple[int, ...]) -> bool:
    """True when every band's validity is "value != nodata", so it can be computed from the pixels."""
    return source.nodata is not None and all(source.mask_flag_enums[b - 1] == [MaskFlags.nodata] for b in bands)


def stored_mask(source: Source, bands: tuple[int, ...], window: Window) -> np.ndarray:
    """(H, W) bool from the masks GDAL stores (not nodata ones: use `nodata_valid` on the pixels for those)."""
    flags = [source.mask_flag_enums[b - 1] for b in bands]
    shape = (int(window.height), int(window.width))
    if all(f == [MaskFlags.all_valid] for f in flags):
        return np.ones(shape, bool)
    if all(MaskFlags.per_dataset in f for f in flags):
        return source.read_masks(bands[0], window=window) > 0
    return source.read_masks(bands, window=window).all(axis=0)


def nodata_valid(data: np.ndarray, nodata: float) -> np.ndarray:
    """(H, W) bool: no band of (bands, H, W) `data` holds `nodata` (NaN nodata included)."""
    if isinstance(nodata, float) and math.isnan(nodata):
        return ~np.isnan(data).any(axis=0)
    return (data != nodata).all(axis=0)
