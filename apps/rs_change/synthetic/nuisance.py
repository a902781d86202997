"""Nuisance change: what two acquisitions of an unchanged place always differ by, and what is not land change.

A model that never saw these labelled "no change" calls every real pair changed. `make_pair(nuisance=True)`
draws a few kinds per pair; `apply_nuisance` applies the image-level ones to the later date's display RGB (JPEG
needs bytes, misregistration needs the whole image), `relit` the sun-direction one before rendering. The pair's
label and change mask are not touched: a changed pair with nuisance is still changed, exactly where it was.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage

from apps.rs_change.synthetic.render import Season

NUISANCES = ("gain_offset", "haze", "hue", "noise", "jpeg", "misregistration", "shadow")


def draw_kinds(rng: np.random.Generator) -> tuple[str, ...]:
    """One to three distinct kinds, in `NUISANCES` order (so a pair's list reads the same every time)."""
    count = int(rng.integers(1, 4))
    chosen = set(rng.choice(len(NUISANCES), size=count, replace=False).tolist())
    return tuple(kind for index, kind in enumerate(NUISANCES) if index in chosen)


def relit(season: Season, rng: np.random.Generator) -> Season:
    """The same date under a sun from another direction: shadows fall the other way."""
    sign = rng.choice([-1.0, 1.0], size=2)
    return Season(season.dryness, season.gain, season.haze,
                  (float(sign[0] * season.shadow[0]), float(sign[1] * season.shadow[1])))


def apply_nuisance(rgb: np.ndarray, kinds: tuple[str, ...], rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8 -> the same scene with the image-level `kinds` applied (others are ignored)."""
    image = rgb.astype(np.float32)
    if "gain_offset" in kinds:
        image = image * rng.uniform(0.8, 1.2) + rng.uniform(-20, 20)
    if "haze" in kinds:
        amount = rng.uniform(0.1, 0.35)
        image = (1 - amount) * image + amount * rng.uniform(170, 230)
    if "hue" in kinds:  # per-band gain: a seasonal / sensor colour cast
        image = image * rng.uniform(0.88, 1.12, size=3)
    if "misregistration" in kinds:
        shift = rng.uniform(-2, 2, size=2)
        image = np.stack([ndimage.shift(image[..., b], shift, order=1, mode="nearest") for b in range(3)], -1)
    if "noise" in kinds:
        image = image + rng.normal(0, rng.uniform(2, 8), size=image.shape)
    out = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    if "jpeg" in kinds:
        buffer = io.BytesIO()
        Image.fromarray(out).save(buffer, format="JPEG", quality=int(rng.integers(30, 76)))
        out = np.asarray(Image.open(buffer).convert("RGB"))
    return out
