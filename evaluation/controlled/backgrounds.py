"""Varied synthetic backgrounds for the red-dot task.

A model that must find a red dot should not be able to find it by "the only non-uniform pixels": the dot sits on
plain colours, gradients, stripes, checkerboards, low-frequency noise and scattered non-red distractor blobs.
No background uses red-dominant colours, so the dot stays unambiguous.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

RGB = tuple[int, int, int]


def _colour(rng: random.Random) -> RGB:
    """A random colour whose red channel never dominates (so it cannot be mistaken for the dot)."""
    g, b = rng.randint(40, 235), rng.randint(40, 235)
    return rng.randint(20, min(g, b)), g, b


def _plain(rng: random.Random, size: int) -> np.ndarray:
    return np.broadcast_to(np.array(_colour(rng), np.float32), (size, size, 3)).copy()


def _gradient(rng: random.Random, size: int) -> np.ndarray:
    a, b = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    y, x = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    t = (np.cos(angle) * x + np.sin(angle) * y)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    return a + (b - a) * t[..., None]


def _stripes(rng: random.Random, size: int) -> np.ndarray:
    a, b = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
    period = rng.randint(4, max(5, size // 3))
    coordinate = np.arange(size)[None, :] if rng.random() < 0.5 else np.arange(size)[:, None]
    mask = ((coordinate // period) % 2).astype(np.float32)
    return a + (b - a) * np.broadcast_to(mask, (size, size))[..., None]


def _checker(rng: random.Random, size: int) -> np.ndarray:
    a, b = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
    cell = rng.randint(4, max(5, size // 4))
    y, x = np.mgrid[0:size, 0:size] // cell
    return a + (b - a) * ((x + y) % 2).astype(np.float32)[..., None]


def _noise(rng: random.Random, size: int) -> np.ndarray:
    coarse = np.random.default_rng(rng.getrandbits(32)).random((4, 4, 3)).astype(np.float32)
    smooth = np.asarray(Image.fromarray((coarse * 255).astype(np.uint8)).resize((size, size), Image.BICUBIC))
    low, high = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
    return low + (high - low) * smooth.astype(np.float32) / 255.0


def _blobs(rng: random.Random, size: int) -> np.ndarray:
    image = Image.fromarray(_plain(rng, size).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(2, 6)):
        r = rng.uniform(0.05, 0.15) * size
        x, y = rng.uniform(0, size), rng.uniform(0, size)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_colour(rng))
    return np.asarray(image, np.float32)


KINDS: dict[str, Callable[[random.Random, int], np.ndarray]] = {
    "plain": _plain, "gradient": _gradient, "stripes": _stripes, "checker": _checker, "noise": _noise,
    "blobs": _blobs,
}


def background(rng: random.Random, size: int, kind: str | None = None) -> Image.Image:
    """A `size` x `size` RGB background of `kind` (one of `KINDS`; random when None)."""
    kind = kind or rng.choice(sorted(KINDS))
    pixels = KINDS[kind](rng, size)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
