"""Window presets a viewer applies to a decoded radiograph's pre-window `values`.

CR/DX values have no calibrated unit (unlike CT's Hounsfield units): the same lung reads 900 on one detector
and 2800 on another. A fixed centre/width would therefore be wrong on most files, so the presets are windows
on the image's own histogram, expressed as percentiles of `CxrImage.values` (larger = denser). A chest film's
histogram runs air and lung -> soft tissue and mediastinum -> bone, which is what the percentiles follow.
"default" is the file's own VOI LUT or window, i.e. `CxrImage.pixels`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from apps.cxr.dicom.image import CxrImage
from apps.cxr.dicom.transforms import scale_percentiles


@dataclass(frozen=True)
class WindowPreset:
    """A display window as the [lower, upper] percentiles of `values` mapped onto black..white."""

    lower: float
    upper: float
    description: str

    def __post_init__(self) -> None:
        if not 0.0 <= self.lower < self.upper <= 100.0:
            raise ValueError(
                f"percentiles must satisfy 0 <= lower < upper <= 100, got {self.lower}, {self.upper}"
            )


WINDOW_PRESETS: dict[str, WindowPreset | None] = {
    "default": None,
    "lung": WindowPreset(0.5, 65.0, "spreads the dark half: vessels, interstitium, pneumothorax edges"),
    "mediastinum": WindowPreset(35.0, 99.5, "spreads soft tissue: heart borders, lines and tubes, effusions"),
    "bone": WindowPreset(60.0, 99.9, "spreads the densest tail: ribs, clavicles, spine, fractures"),
}


def apply_window(image: CxrImage, preset: str = "default") -> np.ndarray:
    """(H, W) float32 in [0, 1] for display with the named preset (see `WINDOW_PRESETS`)."""
    if preset not in WINDOW_PRESETS:
        raise ValueError(f"unknown window preset {preset!r}; expected one of {', '.join(WINDOW_PRESETS)}")
    window = WINDOW_PRESETS[preset]
    if window is None:
        return image.pixels
    return scale_percentiles(image.values, window.lower, window.upper)
