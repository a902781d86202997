"""Where things go in a synthetic landscape: roads crossing the scene, houses along roads or in blocks, trees.

Placement refuses spots that are taken (`Landscape.occupied`), so objects never overlap and an added building
is always clearly new ground, which keeps captions truthful.
"""

from __future__ import annotations

import math

import numpy as np

from apps.rs_change.synthetic.landscape import (
    BARE,
    FIELD,
    FOREST,
    GRASS,
    WATER,
    Building,
    Landscape,
    Point,
    Road,
    Tree,
    polygon_stamp,
)
from apps.rs_change.synthetic.noise import fractal_noise
from apps.rs_change.synthetic.render import ROOFS

Area = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels


def crossing_line(rng: np.random.Generator, area: Area) -> tuple[Point, Point]:
    """A line entering `area` through one side and leaving through another, as roads do."""
    x0, y0, x1, y1 = area

    def point_on(side: int) -> Point:
        t = rng.uniform(0.2, 0.8)
        return [(x0 + t * (x1 - x0), y0), (x1, y0 + t * (y1 - y0)), (x0 + t * (x1 - x0), y1),
                (x0, y0 + t * (y1 - y0))][side]

    first = int(rng.integers(4))
    return point_on(first), point_on((first + int(rng.choice([1, 2, 2, 3]))) % 4)


def fits(land: Landscape, building: Building, taken: np.ndarray, area: Area) -> bool:
    """Inside `area`, on free ground (not water, not taken by anything else)."""
    xs, ys = zip(*building.corners(), strict=True)
    x0, y0, x1, y1 = area
    if min(xs) < x0 + 1 or min(ys) < y0 + 1 or max(xs) > x1 - 1 or max(ys) > y1 - 1:
        return False
    where, footprint = polygon_stamp(building.corners(), land.size)
    return not (taken[where] & footprint).any() and not (land.cover[where][footprint] == WATER).any()


def place(land: Landscape, candidates: list[Building], count: int, area: Area) -> list[Building]:
    """Add up to `count` of `candidates` (in order) that fit; returns those added."""
    taken = land.occupied()
    added: list[Building] = []
    for building in candidates:
        if len(added) == count:
            break
        if fits(land, building, taken, area):
            land.buildings.append(building)
            added.append(building)
            where, footprint = polygon_stamp(building.corners(grow=3), land.size)
            taken[where] |= footprint
    return added


def houses_along(land: Landscape, road: Road, rng: np.random.Generator, count: int,
                 area: Area | None = None) -> list[Building]:
    """Houses facing `road` on both sides, evenly spaced like a street."""
    length, depth = rng.uniform(18, 30), rng.uniform(14, 22)
    dx, dy = road.end[0] - road.start[0], road.end[1] - road.start[1]
    span = math.hypot(dx, dy)
    ux, uy = dx / span, dy / span
    roof = int(rng.integers(len(ROOFS)))
    candidates = []
    for t in np.arange(rng.uniform(5, 20), span, length + rng.uniform(6, 14)):
        for side in (-1, 1):
            offset = side * (road.width / 2 + rng.uniform(4, 8) + depth / 2)
            centre = (road.start[0] + ux * t - uy * offset, road.start[1] + uy * t + ux * offset)
            candidates.append(Building(centre, length, depth, road.angle, roof))
    rng.shuffle(candidates)
    return place(land, candidates, count, area or (0, 0, land.size, land.size))


def house_block(land: Landscape, rng: np.random.Generator, count: int, area: Area) -> list[Building]:
    """A planned block: rows of similar houses on a grid at one angle, filling `area` from a random corner."""
    length, depth = rng.uniform(16, 30), rng.uniform(14, 22)
    angle = rng.uniform(-0.5, 0.5)
    gap = rng.uniform(6, 12)
    roof = int(rng.integers(len(ROOFS)))
    x0, y0, x1, y1 = area
    cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
    c, s = math.cos(angle), math.sin(angle)
    reach = int(max(x1 - x0, y1 - y0) / min(length, depth)) + 1
    offsets = sorted(((i, j) for i in range(-reach, reach + 1) for j in range(-reach, reach + 1)),
                     key=lambda ij: ij[0] ** 2 + ij[1] ** 2)
    candidates = []
    for i, j in offsets:
        a, b = i * (length + gap), j * (depth + gap)
        candidates.append(Building((cx + c * a - s * b, cy + s * a + c * b), length, depth, angle, roof))
    return place(land, candidates, count, area)


def scatter_trees(land: Landscape, rng: np.random.Generator, count: int) -> None:
    """Isolated trees on grass: they make open ground look real and give the season shift something to change."""
    taken = land.occupied()
    for _ in range(count * 3):
        if count == 0:
            break
        x, y = rng.uniform(4, land.size - 4, 2)
        radius = float(rng.uniform(3, 7))
        if land.cover[int(y), int(x)] == GRASS and not taken[int(y), int(x)]:
            land.trees.append(Tree((float(x), float(y)), radius))
            count -= 1


def random_landscape(rng: np.random.Generator, size: int) -> Landscape:
    """Grass with bare patches and woods, sometimes water and crop fields, roads with houses along them."""
    cover = np.full((size, size), GRASS, np.uint8)
    cover[fractal_noise(rng, size) < rng.uniform(0.1, 0.35)] = BARE
    cover[fractal_noise(rng, size) > rng.uniform(0.65, 0.95)] = FOREST
    if rng.random() < 0.3:
        x0, y0 = rng.integers(0, size // 2, 2)
        w, h = rng.integers(size // 4, size // 2, 2)
        cover[y0:y0 + h, x0:x0 + w] = FIELD
    if rng.random() < 0.25:
        cover[fractal_noise(rng, size, (128, 64, 32)) > rng.uniform(0.82, 0.92)] = WATER
    land = Landscape(size, cover)
    side = size / 256  # roads scale with the scene's side (they cross it), trees with its area
    for _ in range(int(rng.poisson(side)) + (1 if size > 256 else 0)):
        start, end = crossing_line(rng, (0, 0, size, size))
        road = Road(start, end, float(rng.uniform(8, 14)), paved=bool(rng.random() < 0.7))
        land.roads.append(road)
        if rng.random() < 0.6:
            houses_along(land, road, rng, count=int(rng.integers(2, 9 * max(1, size // 256))))
    scatter_trees(land, rng, count=int(rng.poisson(6 * side**2)))
    return land
