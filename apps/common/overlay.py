"""Change heatmaps drawn over images (for viewers, reports and PNG outputs)."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from PIL import Image


def heatmap_overlay(image: Image.Image, heatmap: np.ndarray | None, *, alpha: float = 0.45) -> Image.Image:
    """`image` with `heatmap` ((H, W) in [0, 1], any size) blended on top in the 'inferno' colour map."""
    base = image.convert("RGB")
    if heatmap is None:
        return base
    heat = Image.fromarray((np.clip(heatmap, 0, 1) * 255).astype(np.uint8)).resize(base.size, Image.BILINEAR)
    coloured = (colormaps["inferno"](np.asarray(heat) / 255.0)[..., :3] * 255).astype(np.uint8)
    weight = alpha * (np.asarray(heat, dtype=np.float32)[..., None] / 255.0)
    mixed = np.asarray(base, dtype=np.float32) * (1 - weight) + coloured.astype(np.float32) * weight
    return Image.fromarray(mixed.round().astype(np.uint8))
