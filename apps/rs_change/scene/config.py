"""`IngestConfig`: how scenes are turned into display-ready RGB (band choice, stretch, warping, GDAL cache)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rasterio.enums import Resampling

from apps.rs_change.errors import SceneError

GridChoice = Literal["before", "after", "finer", "coarser"]
GRID_CHOICES: tuple[GridChoice, ...] = ("before", "after", "finer", "coarser")


@dataclass(frozen=True)
class IngestConfig:
    bands: tuple[int, int, int] | None = field(
        default=None,
        metadata={"help": "1-based band indexes used as R,G,B; None = by colour interpretation, else 1,2,3 "
                  "(a single-band scene is shown as grey)"},
    )
    stretch: Literal["auto", "percentile"] = field(
        default="auto",
        metadata={"help": "auto = leave scenes that are all uint8 untouched (e.g. LEVIR-CC PNGs, as the model "
                  "saw them in training) and percentile-stretch anything else; percentile = always stretch"},
    )
    percentiles: tuple[float, float] = field(
        default=(2.0, 98.0), metadata={"help": "low/high percentiles mapped to 0/255, computed jointly over dates"}
    )
    gamma: float = field(
        default=0.6,
        metadata={"help": "display encoding after the percentile stretch (1.0 = plain linear): reflectance is "
                  "linear but display imagery (LEVIR-CC's tiles, the synthetic PNGs) is gamma-encoded, and a "
                  "linear stretch leaves vegetation near black"},
    )
    stretch_sample: int = field(
        default=512,
        metadata={"help": "longest side (pixels) of the decimated read the percentiles are estimated from; "
                  "GDAL serves it from overviews when the file has them"},
    )
    resampling: Resampling = field(
        default=Resampling.bilinear, metadata={"help": "resampling used to warp later dates onto the first's grid"}
    )
    grid: GridChoice = field(
        default="before",
        metadata={"help": "the grid every date is warped onto and outputs are written on: the earliest scene's "
                  "(before, the default), the latest's (after), or the one with the smaller (finer) or larger "
                  "(coarser) pixels"},
    )
    gdal_cache_mb: int = field(
        default=256, metadata={"help": "GDAL block cache while tiling; bounds memory on huge scenes"}
    )

    def __post_init__(self) -> None:
        if self.bands is not None and (len(self.bands) != 3 or any(int(b) < 1 for b in self.bands)):
            raise SceneError(f"IngestConfig.bands={self.bands!r}: expected three 1-based band indexes (R, G, B)")
        if self.stretch not in ("auto", "percentile"):
            raise SceneError(f"IngestConfig.stretch={self.stretch!r}: expected 'auto' or 'percentile'")
        low, high = self.percentiles
        if not 0.0 <= low < high <= 100.0:
            raise SceneError(f"IngestConfig.percentiles={self.percentiles!r}: expected 0 <= low < high <= 100")
        if not 0.1 <= self.gamma <= 3.0:
            raise SceneError(f"IngestConfig.gamma={self.gamma!r}: expected a value in [0.1, 3] (1.0 = linear)")
        if self.stretch_sample < 16:
            raise SceneError(f"IngestConfig.stretch_sample={self.stretch_sample!r}: expected at least 16 pixels")
        if self.grid not in GRID_CHOICES:
            raise SceneError(f"IngestConfig.grid={self.grid!r}: expected one of {', '.join(GRID_CHOICES)}")
        if self.gdal_cache_mb < 8:
            raise SceneError(f"IngestConfig.gdal_cache_mb={self.gdal_cache_mb!r}: expected at least 8 MB")
