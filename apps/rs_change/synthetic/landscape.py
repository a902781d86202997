"""A synthetic landscape as objects (land cover, roads, buildings, trees), not pixels.

Both dates of a synthetic pair are rendered from a `Landscape`, the after-date from an edited copy, so a change
is exactly the edit and nothing else. Sizes are pixels at LEVIR-CC's 0.5 m ground sampling: houses 14-30 px,
roads 8-14 px, so a change stays visible when a 256 px tile is shrunk to 96 px for a tiny model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

GRASS, BARE, FOREST, WATER, FIELD = range(5)  # land-cover classes in `Landscape.cover`

Point = tuple[float, float]


@dataclass(frozen=True)
class Road:
    start: Point
    end: Point
    width: float
    paved: bool

    @property
    def angle(self) -> float:
        return math.atan2(self.end[1] - self.start[1], self.end[0] - self.start[0])

    def mask(self, size: int, margin: float = 0.0) -> np.ndarray:
        """(size, size) bool: the road surface, widened by `margin` on each side."""
        image = Image.new("1", (size, size), 0)
        ImageDraw.Draw(image).line([self.start, self.end], fill=1, width=int(self.width + 2 * margin))
        return np.asarray(image, bool)


@dataclass(frozen=True)
class Building:
    centre: Point
    length: float
    depth: float
    angle: float  # radians, along `length`
    roof: int  # index into the renderer's roof palette

    def corners(self, grow: float = 0.0, shift: Point = (0.0, 0.0)) -> list[Point]:
        c, s = math.cos(self.angle), math.sin(self.angle)
        half_l, half_d = self.length / 2 + grow, self.depth / 2 + grow
        x, y = self.centre[0] + shift[0], self.centre[1] + shift[1]
        return [(x + c * a - s * b, y + s * a + c * b) for a, b in
                ((-half_l, -half_d), (half_l, -half_d), (half_l, half_d), (-half_l, half_d))]


@dataclass(frozen=True)
class Tree:
    centre: Point
    radius: float


@dataclass
class Landscape:
    size: int
    cover: np.ndarray  # (S, S) uint8 land-cover class
    roads: list[Road] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    trees: list[Tree] = field(default_factory=list)

    def copy(self) -> Landscape:
        return Landscape(self.size, self.cover.copy(), list(self.roads), list(self.buildings), list(self.trees))

    def occupied(self, margin: float = 3.0) -> np.ndarray:
        """(S, S) bool: water, roads, buildings and trees (grown by `margin`), where nothing new may go."""
        image = Image.new("1", (self.size, self.size), 0)
        draw = ImageDraw.Draw(image)
        for road in self.roads:
            draw.line([road.start, road.end], fill=1, width=int(road.width + 2 * margin))
        for building in self.buildings:
            draw.polygon(building.corners(grow=margin), fill=1)
        for tree in self.trees:
            draw.ellipse(_circle(tree.centre, tree.radius), fill=1)
        return np.asarray(image, bool) | (self.cover == WATER)


def _circle(centre: Point, radius: float) -> tuple[float, float, float, float]:
    return (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius)


def polygon_stamp(points: list[Point], size: int) -> tuple[tuple[slice, slice], np.ndarray]:
    """A polygon rasterised within its own bounding box (clipped to the scene): the (rows, cols) slices it
    covers and a bool mask of that shape. Cheap enough to test thousands of candidate spots."""
    xs, ys = zip(*points, strict=True)
    x0, y0 = max(0, int(min(xs))), max(0, int(min(ys)))
    x1, y1 = min(size, math.ceil(max(xs)) + 1), min(size, math.ceil(max(ys)) + 1)
    image = Image.new("1", (max(1, x1 - x0), max(1, y1 - y0)), 0)
    ImageDraw.Draw(image).polygon([(x - x0, y - y0) for x, y in points], fill=1)
    return (slice(y0, y1), slice(x0, x1)), np.asarray(image, bool)[: max(0, y1 - y0), : max(0, x1 - x0)]


@dataclass(frozen=True)
class Edit:
    """What turns one landscape into another: changed land-cover pixels and objects added or removed.

    Lets several change events, each prepared and applied on its own copy, be combined into one after-date."""

    cover_mask: np.ndarray  # (S, S) bool
    cover_values: np.ndarray  # new classes at `cover_mask`
    added: dict[str, list]  # "roads" / "buildings" / "trees" -> objects
    removed: dict[str, list]

    @classmethod
    def between(cls, old: Landscape, new: Landscape) -> Edit:
        mask = old.cover != new.cover
        kinds = ("roads", "buildings", "trees")
        return cls(mask, new.cover[mask],
                   {k: [x for x in getattr(new, k) if x not in getattr(old, k)] for k in kinds},
                   {k: [x for x in getattr(old, k) if x not in getattr(new, k)] for k in kinds})

    def apply(self, land: Landscape) -> None:
        land.cover[self.cover_mask] = self.cover_values
        for kind in ("roads", "buildings", "trees"):
            kept = [x for x in getattr(land, kind) if x not in self.removed[kind]]
            setattr(land, kind, kept + self.added[kind])


_BUILDINGS = ((0, "no buildings"), (1, "one building"), (3, "a few buildings"), (6, "several buildings"))


def describe(land: Landscape) -> str:
    """What one date shows, coarsely (the single-image pretraining stage of the demo models, docs/RECIPE.md):
    how many buildings and roads, and which land covers take a noticeable share of the scene."""
    count = len(land.buildings)
    parts = [next((words for most, words in _BUILDINGS if count <= most), "many buildings")]
    roads = len(land.roads)
    parts.append("no road" if roads == 0 else "a road" if roads == 1 else f"{roads} roads")
    share = {cover: float(np.mean(land.cover == cover)) for cover in (FOREST, WATER, BARE, FIELD)}
    if share[FOREST] > 0.05:
        parts.append("much woodland" if share[FOREST] > 0.25 else "some woodland")
    parts += [words for cover, words in ((WATER, "water"), (BARE, "bare land"), (FIELD, "farmland"))
              if share[cover] > 0.01]
    return ", ".join(parts) + "."
