"""Spatial aggregation (REFERENCE §3): one red dot per image, 2-5 images, one number about all of them.

- 2 images: Euclidean distance between the dots, normalised so that opposite corners are 1;
- 3 images: area of the triangle they span / image area;
- 4-5 images: area of their convex hull / image area.

No single image holds the answer: the model must carry each dot's position across the sequence, which is what
a stateful encoder is for. Answers are text with 4 decimals. `locate` is the single-image pretraining task
(where is the dot?) that teaches a stateless encoder to see the dot before any aggregation is asked of it;
`locate_few` asks for 2-3 dots in one image, left to right.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy.spatial import ConvexHull, QhullError

from evaluation.controlled.backgrounds import background
from evaluation.controlled.export import Example

Point = tuple[float, float]  # (x, y) in [0, 1], origin top-left

PROMPTS: dict[str, str] = {
    "distance": "What is the distance between the red dots, as a fraction of the image diagonal?",
    "triangle": "What is the area of the triangle formed by the red dots, as a fraction of the image area?",
    "hull": "What is the area of the convex hull of the red dots, as a fraction of the image area?",
}
LOCATE_PROMPT = "Where is the red dot?"
LOCATE_FEW_PROMPT = "Where are the red dots?"


def subtask(count: int) -> str:
    if count == 2:
        return "distance"
    if count == 3:
        return "triangle"
    if count in (4, 5):
        return "hull"
    raise ValueError(f"the dot task takes 2-5 images, got {count}")


def normalised_distance(a: Point, b: Point) -> float:
    return math.dist(a, b) / math.sqrt(2.0)


def hull_area(points: Sequence[Point]) -> float:
    """Convex-hull area in units of the image area (a triangle's area for 3 points; 0 if collinear)."""
    try:
        return float(ConvexHull(np.asarray(points, dtype=np.float64)).volume)  # 2-D "volume" is the area
    except QhullError:
        return 0.0


def answer_value(points: Sequence[Point]) -> float:
    return normalised_distance(*points) if len(points) == 2 else hull_area(points)


@dataclass(frozen=True)
class DotsTask:
    """Geometry of the dot images; `counts` = the image counts a sample may have (2-5 in the paper)."""

    image_size: int = 56
    dot_radius: float = 0.05  # fraction of the image side
    counts: tuple[int, ...] = (2, 3, 4, 5)

    def __post_init__(self) -> None:
        if not self.counts or any(c not in (2, 3, 4, 5) for c in self.counts):
            raise ValueError(f"DotsTask.counts={self.counts!r}: expected image counts among 2, 3, 4, 5")

    def draw(self, rng: random.Random, point: Point, image: Image.Image | None = None) -> Image.Image:
        """An image with the red dot centred at `point`, on a random background or drawn into `image`."""
        image = image if image is not None else background(rng, self.image_size)
        r, s = self.dot_radius * self.image_size, self.image_size
        x, y = point[0] * s, point[1] * s
        red = (rng.randint(200, 240), rng.randint(10, 40), rng.randint(10, 40))
        ImageDraw.Draw(image).ellipse((x - r, y - r, x + r, y + r), fill=red)
        return image

    def point(self, rng: random.Random) -> Point:
        """A dot centre that keeps the whole dot inside the image."""
        low, high = self.dot_radius, 1.0 - self.dot_radius
        return rng.uniform(low, high), rng.uniform(low, high)

    def aggregate(self, rng: random.Random) -> Example:
        count = rng.choice(self.counts)
        points = [self.point(rng) for _ in range(count)]
        value = answer_value(points)
        return Example(images=tuple(self.draw(rng, p) for p in points), prompt=PROMPTS[subtask(count)],
                       answer=f"{value:.4f}",
                       meta={"task": "dots", "subtask": subtask(count), "points": points, "value": value})

    def locate(self, rng: random.Random) -> Example:
        p = self.point(rng)
        return Example(images=(self.draw(rng, p),), prompt=LOCATE_PROMPT, answer=point_text(p),
                       meta={"task": "dots_locate", "points": [p]})

    def locate_few(self, rng: random.Random) -> Example:
        """2-3 dots in one image (they may touch), answered left to right."""
        points = sorted(self.point(rng) for _ in range(rng.randint(2, 3)))
        image = self.draw(rng, points[0])
        for p in points[1:]:
            image = self.draw(rng, p, image)
        return Example(images=(image,), prompt=LOCATE_FEW_PROMPT, answer=" ".join(point_text(p) for p in points),
                       meta={"task": "dots_locate_few", "points": points})


def point_text(p: Point) -> str:
    return f"({p[0]:.2f}, {p[1]:.2f})"
