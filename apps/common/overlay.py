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


def side_by_side(images: list[Image.Image], *, height: int = 256, gap: int = 8) -> Image.Image:
    """Images scaled to one height and laid out left to right on white."""
    scaled = [im.convert("RGB").resize((max(1, round(im.width * height / im.height)), height)) for im in images]
    canvas = Image.new("RGB", (sum(im.width for im in scaled) + gap * (len(scaled) - 1), height), "white")
    x = 0
    for im in scaled:
        canvas.paste(im, (x, 0))
        x += im.width + gap
    return canvas
