"""Decode a PNG or JPEG radiograph (an export, a screenshot, a teaching file) into a `CxrImage`.

Bitmaps carry no view, spacing or window, so they are taken as already displayed: 8-bit grey levels map
straight to [0, 1]; 16-bit grey (often a raw detector export) gets the same percentile window as a DICOM
without a VOI module. Colour is reduced to luminance. The pixel count is checked before decoding, since an
upload may be a decompression bomb.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from PIL import Image

from apps.cxr.dicom.image import CxrImage, CxrMeta
from apps.cxr.dicom.transforms import AUTO_WINDOW_PERCENTILES, scale_percentiles, scale_range
from apps.cxr.errors import DicomError

BITMAP_SUFFIXES = (".png", ".jpg", ".jpeg")
# Far above any detector (43 cm at 0.1 mm is ~18 MP) and below Pillow's own bomb warning (~89 MP).
MAX_PIXELS = 64_000_000
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError)


def load_bitmap(path: str | Path) -> CxrImage:
    """Decode a PNG/JPEG; `DicomError` names the file and what was expected if it is not one we can use."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            _check_header(img, path.name)
            grey = _grey(img)
    except DicomError:
        raise
    except _DECODE_ERRORS as err:
        raise DicomError(f"{path.name}: cannot be decoded as PNG or JPEG; the file may be truncated") from err
    height, width = grey.shape
    eight_bit = grey.dtype == np.uint8
    values = grey.astype(np.float32)
    pixels = scale_range(values, 0, 255) if eight_bit else scale_percentiles(values, *AUTO_WINDOW_PERCENTILES)
    meta = CxrMeta(
        modality=None,
        view_position=None,
        rows=height,
        columns=width,
        bits_allocated=8 if eight_bit else 16,
        bits_stored=8 if eight_bit else 16,
        photometric_interpretation="MONOCHROME2",
        transfer_syntax=str(img.format),
        pixel_spacing_mm=None,
        voi_source="bitmap" if eight_bit else "percentiles",
    )
    return CxrImage(pixels=pixels, values=values, meta=meta)


def _check_header(img: Image.Image, name: str) -> None:
    """Reject other formats and oversized images from the header alone, before any pixel is decoded."""
    if img.format not in ("PNG", "JPEG"):
        raise DicomError(f"{name}: is a {img.format} image; expected DICOM, PNG or JPEG")
    width, height = img.size
    if width * height > MAX_PIXELS:
        raise DicomError(f"{name}: {width}x{height} pixels exceeds the {MAX_PIXELS:,}-pixel limit")


def _grey(img: Image.Image) -> np.ndarray:
    """(H, W) uint8 for 8-bit and colour input, uint16/int32 for 16-bit grey PNGs (kept at full depth)."""
    if img.mode.startswith("I"):
        return np.asarray(img)
    return np.asarray(img.convert("L"))
