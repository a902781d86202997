"""MONAI pipelines between decoded radiograph values and what a display or a model consumes.

Intensity scaling, resizing and augmentation are MONAI's (`ScaleIntensityRange*`, `Resize`, `SpatialPad`,
`RandAffine`, ...) rather than re-written here, so they behave like every other MONAI pipeline a medical
imaging engineer already knows. Every pipeline ends in `EnsureType(numpy, float32)`: callers get plain arrays,
not MONAI `MetaTensor`s that would carry tracking metadata into the rest of the suite.

MONAI (and with it torch) is imported inside each function, not at module load: `sve cxr --help`, a refused
input and a missing file must answer in well under a second (benchmarks/cxr_startup.py), and importing MONAI
takes seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from monai.transforms import Compose, EnsureType

# A DICOM without a VOI module, or a 16-bit PNG, has no intended window: clip the outer 0.5 % on each side so a
# collimator edge or a burned-in marker does not squash the anatomy into a few grey levels.
AUTO_WINDOW_PERCENTILES = (0.5, 99.5)


def _to_numpy() -> EnsureType:
    from monai.transforms import EnsureType

    return EnsureType(data_type="numpy", dtype=np.float32, track_meta=False)


def scale_range(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map [low, high] linearly onto [0, 1], clipping outside; for outputs whose range the encoding defines."""
    from monai.transforms import Compose, ScaleIntensityRange

    return Compose(
        [ScaleIntensityRange(a_min=low, a_max=high, b_min=0.0, b_max=1.0, clip=True), _to_numpy()]
    )(values)


def scale_percentiles(values: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """Map the [lower, upper] percentiles of `values` onto [0, 1]; windows for data without calibrated units."""
    from monai.transforms import Compose, ScaleIntensityRangePercentiles

    scale = ScaleIntensityRangePercentiles(lower=lower, upper=upper, b_min=0.0, b_max=1.0, clip=True)
    return Compose([scale, _to_numpy()])(values)


def model_transform(size: int) -> Compose:
    """(H, W) pixels in [0, 1] -> (1, size, size): long side resized to `size`, short side zero-padded.

    Padding instead of stretching keeps the cardiothoracic ratio (the cardiomegaly cue) independent of the
    detector's aspect ratio; zero is air, the darkest value, so the pad reads as background.
    """
    from monai.transforms import Compose, EnsureChannelFirst, Resize, SpatialPad

    return Compose(
        [
            EnsureChannelFirst(channel_dim="no_channel"),
            Resize(spatial_size=size, size_mode="longest", mode="area"),
            SpatialPad(spatial_size=(size, size)),
            _to_numpy(),
        ]
    )


def augment_transform(*, seed: int | None = None) -> Compose:
    """Training augmentation on (1, H, W) model inputs: positioning, exposure and detector noise.

    Only variations a real acquisition shows; no flips, because left/right carries meaning on a chest film
    (heart on the patient's left, gastric bubble under the left hemidiaphragm).
    """
    from monai.transforms import Compose, RandAdjustContrast, RandAffine, RandGaussianNoise

    augment = Compose(
        [
            RandAffine(
                prob=0.8,
                rotate_range=0.07,
                scale_range=0.06,
                translate_range=(4, 4),
                padding_mode="zeros",
            ),
            RandAdjustContrast(prob=0.5, gamma=(0.8, 1.25)),
            RandGaussianNoise(prob=0.3, std=0.01),
            _to_numpy(),
        ]
    )
    if seed is not None:
        augment.set_random_state(seed=seed)
    return augment
