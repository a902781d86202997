"""Drawing a `Scene` as pixels. Scenes are drawn at `SUPERSAMPLE` times the output size and box-averaged down:
edges are smooth, yet each output pixel depends only on its own block, so pixels outside an edit's boxes are
exactly unchanged."""

from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image, ImageDraw

from apps.image_diff.synthetic.scene import BACKGROUNDS, COLORS, OUTLINE, Scene, Shape

SUPERSAMPLE = 4


def render(scene: Scene, size: int) -> Image.Image:
    """The scene as a `size` x `size` RGB image."""
    big = size * SUPERSAMPLE
    image = _background(scene.background, big).copy()
    draw = ImageDraw.Draw(image)
    for shape in scene.objects:
        fill = COLORS[shape.color]
        if shape.kind == "circle":
            corners = [(shape.x - shape.radius) * big, (shape.y - shape.radius) * big]
            corners += [(shape.x + shape.radius) * big, (shape.y + shape.radius) * big]
            draw.ellipse(corners, fill=fill, outline=OUTLINE, width=SUPERSAMPLE)
        else:
            draw.polygon(_vertices(shape, big), fill=fill, outline=OUTLINE, width=SUPERSAMPLE)
    return image.reduce(SUPERSAMPLE)


@functools.lru_cache(maxsize=64)
def _background(name: str, size: int) -> Image.Image:
    """Cached: a background depends only on its name and size, and drawing it costs most of a render."""
    background = BACKGROUNDS[name]
    top, bottom = (np.array(color, dtype=np.float32) for color in background.colors)
    y, x = (np.mgrid[0:size, 0:size] + 0.5) / size  # (H, W) each, pixel centres in [0, 1]
    if background.kind == "gradient":
        pixels = top + (bottom - top) * y[..., None]
    elif background.kind == "split":  # sky lightening towards the horizon, flat ground below it
        sky = top + (255 - top) * 0.45 * (y[..., None] / 0.62)
        pixels = np.where(y[..., None] < 0.62, sky, bottom)
    else:
        pattern = {
            "plain": np.zeros_like(x, dtype=bool),
            "checkerboard": (np.floor(x * 8) + np.floor(y * 8)) % 2 == 1,
            "stripes": ((x + y) * 10) % 1 < 0.5,
            "dots": (x * 10 % 1 - 0.5) ** 2 + (y * 10 % 1 - 0.5) ** 2 < 0.22**2,
        }[background.kind]
        pixels = np.where(pattern[..., None], bottom, top)
    return Image.fromarray(np.round(pixels).astype(np.uint8), "RGB")


# Polygon shapes: tips on the circumcircle, the star's inner corners at this fraction of it, first tip angle.
_POLYGONS: dict[str, tuple[int, float | None, float]] = {
    "square": (4, None, -135),
    "triangle": (3, None, -90),
    "star": (5, 0.45, -90),
}


def _vertices(shape: Shape, size: int) -> list[tuple[float, float]]:
    """Polygon corners in pixels of a `size` image; every shape fits its circumcircle, so boxes are simple."""
    tips, inner, start = _POLYGONS[shape.kind]
    steps = tips * 2 if inner else tips
    points = []
    for step in range(steps):
        radius = shape.radius * size * (inner if inner and step % 2 else 1.0)
        theta = math.radians(start + shape.angle + step * 360 / steps)
        points.append((shape.x * size + radius * math.cos(theta), shape.y * size + radius * math.sin(theta)))
    return points
