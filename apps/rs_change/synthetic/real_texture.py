"""Pairs on real texture: the synthetic change drawn into a real photograph, so the model learns that real
texture which did not change is no change.

A model trained on our rendered landscapes alone calls every tile of a real scene changed, even two identical
files: real texture is simply outside what it saw. `on_real_texture` takes a crop of a real photograph
(scikit-learn's sample images, `sklearn.datasets.load_sample_images`, shipped inside the package: no download),
randomly scaled, flipped and rotated, as the background of both dates, and pastes the synthetic pair's pixels
into it only where the two synthetic dates differ (the change mask, grown a little, plus the same patch in both
dates), so the only difference between the dates is the change itself; unchanged pairs are the crop twice.
The later date then gets radiometric nuisance (`nuisance.py`), as two real acquisitions always differ. Labels,
masks and sentences stay the synthetic pair's. The test scene (a real Landsat crop, tests/apps/rs_change/
describe/test_real_imagery.py) is never a source.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image
from scipy import ndimage

RADIOMETRIC = ("gain_offset", "haze", "hue", "noise", "jpeg")  # nuisance kinds a real later date always gets
GROW = 3  # px the pasted patch extends past the change mask, so the change keeps its edges


@functools.cache
def photographs() -> tuple[np.ndarray, ...]:
    """scikit-learn's sample photographs, (H, W, 3) uint8."""
    from sklearn.datasets import load_sample_images

    return tuple(np.asarray(image, np.uint8) for image in load_sample_images().images)


def real_crop(rng: np.random.Generator, size: int) -> np.ndarray:
    """(size, size, 3) uint8: a random square of a random photograph at a random scale, flip and rotation."""
    photo = photographs()[int(rng.integers(len(photographs())))]
    side = int(rng.integers(min(photo.shape[:2]) // 4, min(photo.shape[:2]) + 1))
    top = int(rng.integers(0, photo.shape[0] - side + 1))
    left = int(rng.integers(0, photo.shape[1] - side + 1))
    crop = np.rot90(photo[top:top + side, left:left + side], k=int(rng.integers(4)))
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.asarray(Image.fromarray(np.ascontiguousarray(crop)).resize((size, size), Image.Resampling.BILINEAR))


def on_real_texture(before: np.ndarray, after: np.ndarray, mask: np.ndarray,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(before, after, nuisance kinds for the later date): the synthetic dates' (H, W, 3) uint8 pixels where
    `mask` (H, W) bool, grown by `GROW`, is set, a real crop elsewhere; the kinds are drawn from `RADIOMETRIC`."""
    background = real_crop(rng, before.shape[0])
    patch = ndimage.binary_dilation(mask, iterations=GROW) if mask.any() else mask
    dates = [np.where(patch[..., None], date, background) for date in (before, after)]
    count = int(rng.integers(1, 3))
    kinds = tuple(sorted(rng.choice(RADIOMETRIC, size=count, replace=False).tolist()))
    return dates[0], dates[1], kinds
