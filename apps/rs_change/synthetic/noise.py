"""Fractal value noise: the cheap source of every natural-looking texture in the synthetic scenes."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image


def fractal_noise(rng: np.random.Generator, size: int, scales: tuple[int, ...] = (64, 32, 16, 8, 4)) -> np.ndarray:
    """(size, size) float32 in [0, 1]: random grids with the given cell sizes (pixels), upsampled and summed,
    coarse cells weighted most, so patches have soft irregular edges like fields and woods.

    Octaves are summed at the coarsest resolution that still resolves the finest one (2 pixels per cell) and
    upsampled once, which makes broad textures almost free.
    """
    work = min(size, max(2, math.ceil(size * 2 / min(scales))))
    total = np.zeros((work, work), np.float32)
    for rank, cell in enumerate(sorted(scales, reverse=True)):
        cells = max(2, size // cell + 2)
        grid = Image.fromarray(rng.random((cells, cells), dtype=np.float32))
        total += np.asarray(grid.resize((work, work), Image.Resampling.BICUBIC), np.float32) * 0.6**rank
    if work < size:
        total = np.asarray(Image.fromarray(total).resize((size, size), Image.Resampling.BICUBIC), np.float32)
    low, high = float(total.min()), float(total.max())
    return (total - low) / max(high - low, 1e-6)
