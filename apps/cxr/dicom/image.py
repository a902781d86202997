"""`CxrImage`: one decoded radiograph as the rest of the suite sees it, pixels plus de-identified metadata.

The metadata is an allow-list: only acquisition facts a viewer or model may show (modality, view, geometry,
encoding). Names, IDs, dates and UIDs never enter it, so passing a `CxrImage` to a UI, a log or a JSON file
cannot leak them. The study date that orders a series stays inside `apps.cxr.dicom.studies` (see `StudyKey`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

VoiSource = Literal["voi-lut", "window", "percentiles", "bitmap"]


@dataclass(frozen=True)
class CxrMeta:
    """Facts about how the image was acquired and encoded, safe to display and to write next to outputs."""

    modality: str | None = field(metadata={"help": "CR, DX, ... (None for PNG/JPEG input)"})
    view_position: str | None = field(metadata={"help": "ViewPosition (0018,5101): PA, AP, ... or None"})
    rows: int = field(metadata={"help": "height in pixels of the decoded frame"})
    columns: int = field(metadata={"help": "width in pixels of the decoded frame"})
    bits_allocated: int = field(metadata={"help": "8 or 16"})
    bits_stored: int = field(metadata={"help": "significant bits per pixel, 8-16"})
    photometric_interpretation: str = field(metadata={"help": "MONOCHROME1 (inverted) or MONOCHROME2"})
    transfer_syntax: str = field(metadata={"help": "transfer syntax name, or PNG / JPEG"})
    pixel_spacing_mm: tuple[float, float] | None = field(
        metadata={"help": "row, column spacing from PixelSpacing or ImagerPixelSpacing"}
    )
    frames: int = field(default=1, metadata={"help": "frames in the file; only the first is decoded"})
    voi_source: VoiSource = field(
        default="percentiles", metadata={"help": "what mapped `values` to `pixels` (VOI LUT, window, ...)"}
    )
    study_order: int | None = field(
        default=None, metadata={"help": "0 for the oldest study of a loaded series, 1 for the next, ..."}
    )


@dataclass(frozen=True)
class CxrImage:
    """A frontal (or single) radiograph after the display pipeline.

    `pixels` is what a radiologist would see with the file's own window: float32 (H, W) in [0, 1], bright =
    dense (MONOCHROME1 already inverted). `values` is the modality-LUT output before any window, negated for
    MONOCHROME1 so that larger always means denser; viewers apply `apps.cxr.dicom.windows` presets to it.
    """

    pixels: np.ndarray
    values: np.ndarray
    meta: CxrMeta

    def __post_init__(self) -> None:
        if self.pixels.ndim != 2 or self.pixels.shape != self.values.shape:
            raise ValueError(f"pixels and values must be matching (H, W) arrays, got {self.pixels.shape}")
