"""Changes that are not edits: what a camera, a codec or a resize does to an image whose content stays the same.

A pair whose second image is the first after one of these is labelled `synthetic.NO_EDIT`, so a model learns
that re-encoding, exposure, sensor noise, rescaling and a slight misregistration are not edits. Each is seeded
by the caller's `random.Random`, so a sample's bytes depend on its seed alone.
"""

from __future__ import annotations

import io
import random
from typing import Literal

import numpy as np
from PIL import Image, ImageEnhance

Nuisance = Literal["identical", "jpeg", "brightness", "contrast", "noise", "resize", "shift"]
NUISANCES: tuple[Nuisance, ...] = ("jpeg", "brightness", "contrast", "noise", "resize", "shift")  # not identical
JPEG_QUALITY = (40, 90)
ENHANCE = (0.03, 0.10)  # brightness/contrast change, either way
NOISE_SIGMA = (2.0, 6.0)  # Gaussian sensor noise, in 0-255 levels
DOWNSCALE = (0.6, 0.9)  # resized down by this factor and back up
MAX_SHIFT = 2  # pixels, either axis


def apply(image: Image.Image, nuisance: Nuisance, rng: random.Random) -> Image.Image:
    """`image` after `nuisance`, same size and mode (RGB)."""
    if nuisance == "identical":
        return image.copy()
    if nuisance == "jpeg":
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=rng.randint(*JPEG_QUALITY))
        return Image.open(buffer).convert("RGB")
    if nuisance in ("brightness", "contrast"):
        factor = 1 + rng.choice((-1, 1)) * rng.uniform(*ENHANCE)
        enhancer = ImageEnhance.Brightness if nuisance == "brightness" else ImageEnhance.Contrast
        return enhancer(image).enhance(factor)
    if nuisance == "noise":
        noise = np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(*NOISE_SIGMA), (image.height, image.width, 3))
        return Image.fromarray(np.clip(np.asarray(image, dtype=np.float32) + noise, 0, 255).astype(np.uint8))
    if nuisance == "resize":
        factor = rng.uniform(*DOWNSCALE)
        small = image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.BILINEAR)
        return small.resize(image.size, Image.Resampling.BILINEAR)
    shift = [0, 0]
    while shift == [0, 0]:
        shift = [rng.randint(-MAX_SHIFT, MAX_SHIFT) for _ in range(2)]
    dx, dy = shift
    pixels = np.pad(np.asarray(image), ((MAX_SHIFT, MAX_SHIFT), (MAX_SHIFT, MAX_SHIFT), (0, 0)), mode="edge")
    top, left = MAX_SHIFT - dy, MAX_SHIFT - dx
    return Image.fromarray(pixels[top : top + image.height, left : left + image.width])
