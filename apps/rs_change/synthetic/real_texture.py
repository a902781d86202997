"""Pairs on real texture: the synthetic change drawn into a real photograph, so the model learns that real
texture which did not change is no change.

A model trained on our rendered landscapes alone calls every tile of a real scene changed, even two identical
files: real texture is simply outside what it saw. `on_real_texture` takes a crop of a real texture, randomly
scaled, flipped and rotated, as the background of both dates, and pastes the synthetic pair's pixels into it only
where the two synthetic dates differ (the change mask, grown a little, plus the same patch in both dates), so the
only difference between the dates is the change itself; unchanged pairs are the crop twice. One of the two dates,
either one, then gets radiometric nuisance (`nuisance.py`), as two real acquisitions always differ, and a model
must answer the same with the dates swapped. Labels, masks and sentences stay the synthetic pair's.

The textures ship inside packages we already depend on (no download): scikit-learn's two sample photographs,
matplotlib's sample photograph, and matplotlib's real elevation model of the Jacksboro fault (USGS, 3 arc-second)
rendered as shaded relief in three earth-tone colour maps, the closest thing to a satellite view we can obtain
offline. The test scene (a real Landsat crop, tests/apps/rs_change/describe/test_real_imagery.py) is never a
source.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image
from scipy import ndimage

RADIOMETRIC = ("gain_offset", "haze", "hue", "noise", "jpeg")  # nuisance kinds a real later date always gets
GROW = 3  # px the pasted patch extends past the change mask, so the change keeps its edges


RELIEF_COLOURS = ("gist_earth", "terrain", "YlGn")  # colour maps of the shaded-relief renders


@functools.cache
def textures() -> tuple[np.ndarray, ...]:
    """The real textures (see the module docstring), each (H, W, 3) uint8."""
    import matplotlib.cbook
    from matplotlib import colormaps
    from matplotlib.colors import LightSource, Normalize
    from sklearn.datasets import load_sample_images

    photos = [np.asarray(image, np.uint8) for image in load_sample_images().images]
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as file:
        photos.append(np.asarray(Image.open(file).convert("RGB"), np.uint8))
    elevation = matplotlib.cbook.get_sample_data("jacksboro_fault_dem.npz")["elevation"].astype(np.float64)
    low, span = elevation.min(), np.ptp(elevation)
    land = Normalize(low - 0.4 * span, low + 1.1 * span)  # the land part of each map: no blue "sea" in valleys
    light = LightSource(azdeg=315, altdeg=45)
    reliefs = [np.asarray(light.shade(elevation, cmap=colormaps[name], norm=land, blend_mode="soft",
                                      vert_exag=0.05)[..., :3] * 255, np.uint8) for name in RELIEF_COLOURS]
    return tuple(photos + reliefs)


def real_crop(rng: np.random.Generator, size: int) -> np.ndarray:
    """(size, size, 3) uint8: a random square of a random texture at a random scale, flip and rotation."""
    photo = textures()[int(rng.integers(len(textures())))]
    side = int(rng.integers(min(photo.shape[:2]) // 4, min(photo.shape[:2]) + 1))
    top = int(rng.integers(0, photo.shape[0] - side + 1))
    left = int(rng.integers(0, photo.shape[1] - side + 1))
    crop = np.rot90(photo[top:top + side, left:left + side], k=int(rng.integers(4)))
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.asarray(Image.fromarray(np.ascontiguousarray(crop)).resize((size, size), Image.Resampling.BILINEAR))


def on_real_texture(before: np.ndarray, after: np.ndarray, mask: np.ndarray,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], bool]:
    """(before, after, nuisance kinds, whether they go to the earlier date rather than the later): the synthetic
    dates' (H, W, 3) uint8 pixels where `mask` (H, W) bool, grown by `GROW`, is set, a real crop elsewhere; the
    kinds are drawn from `RADIOMETRIC`."""
    background = real_crop(rng, before.shape[0])
    patch = ndimage.binary_dilation(mask, iterations=GROW) if mask.any() else mask
    dates = [np.where(patch[..., None], date, background) for date in (before, after)]
    count = int(rng.integers(1, 3))
    kinds = tuple(sorted(rng.choice(RADIOMETRIC, size=count, replace=False).tolist()))
    return dates[0], dates[1], kinds, bool(rng.random() < 0.5)
