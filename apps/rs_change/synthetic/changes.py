"""Change events: edits that turn a before-landscape into an after-landscape, and what they did.

Each event may first prepare the before-date (clear a construction site, put woods where they will be felled,
put houses where they will be demolished) so it can always happen wherever it is asked to, then edits a copy.
The `Change` record is the ground truth the captions are written from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from apps.rs_change.synthetic.landscape import (
    BARE,
    FOREST,
    GRASS,
    WATER,
    Building,
    Landscape,
    Road,
    polygon_stamp,
)
from apps.rs_change.synthetic.noise import fractal_noise
from apps.rs_change.synthetic.placement import Area, crossing_line, house_block, houses_along

ChangeKind = Literal["none", "buildings_built", "buildings_demolished", "road_built", "road_and_buildings",
                     "pond_dug", "trees_cleared"]
CHANGE_KINDS: tuple[str, ...] = get_args(ChangeKind)
# How often each kind of change is drawn for changed pairs (buildings dominate LEVIR-CC as they do here).
KIND_WEIGHTS: dict[str, float] = {"buildings_built": 0.35, "buildings_demolished": 0.15, "road_built": 0.12,
                                  "road_and_buildings": 0.15, "pond_dug": 0.11, "trees_cleared": 0.12}

Ground = Literal["bare land", "grassland", "woods", "farmland", ""]


@dataclass(frozen=True)
class Change:
    """What happened, where (pixel box within `area`) and on what, in the words captions need."""

    kind: ChangeKind
    count: int  # buildings added or removed; 0 for other kinds
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 of the changed pixels
    area: Area  # the region the event was confined to (the whole tile for LEVIR-CC-style pairs)
    ground: Ground  # what the new things stand on, or what was removed from
    along_road: bool  # new buildings line a road


Outcome = tuple[Landscape, Landscape, Change] | None  # (before, after, change); None: no room, try again


def draw_kind(rng: np.random.Generator) -> ChangeKind:
    """A kind of change (never "none"), with LEVIR-CC-like frequencies."""
    kinds, weights = zip(*KIND_WEIGHTS.items(), strict=True)
    return str(rng.choice(kinds, p=np.asarray(weights) / sum(weights)))


def draw_count(rng: np.random.Generator) -> int:
    """1, a few, several or many buildings, equally often (the quantities LEVIR-CC captions distinguish)."""
    return int(rng.choice([rng.integers(1, 2), rng.integers(2, 4), rng.integers(4, 7), rng.integers(7, 15)]))


def apply_change(before: Landscape, kind: ChangeKind, rng: np.random.Generator,
                 area: Area | None = None) -> Outcome:
    """(before, after, change) with the event confined to `area`; None if it found no room (try again).

    `before` may be edited in place to prepare the event (see the module docstring)."""
    area = area or (0, 0, before.size, before.size)
    if kind == "none":
        return before, before.copy(), Change("none", 0, (0, 0, 0, 0), area, "", False)
    return EVENTS[kind](before, rng, area)


def _box_of(mask: np.ndarray) -> tuple[float, float, float, float]:
    rows, cols = np.nonzero(mask)
    return float(cols.min()), float(rows.min()), float(cols.max() + 1), float(rows.max() + 1)


def _site(rng: np.random.Generator, area: Area) -> Area:
    """A random sub-rectangle covering 35-75% of each side of `area`."""
    x0, y0, x1, y1 = area
    w, h = (int((x1 - x0) * rng.uniform(0.35, 0.75)), int((y1 - y0) * rng.uniform(0.35, 0.75)))
    left, top = int(rng.integers(x0, x1 - w + 1)), int(rng.integers(y0, y1 - h + 1))
    return left, top, left + w, top + h


def _ground_under(land: Landscape, mask: np.ndarray) -> Ground:
    classes = land.cover[mask]
    majority = int(np.bincount(classes, minlength=5).argmax()) if classes.size else GRASS
    return {BARE: "bare land", GRASS: "grassland", FOREST: "woods"}.get(majority, "farmland")


def _footprints(land: Landscape, buildings: list[Building]) -> np.ndarray:
    mask = np.zeros((land.size, land.size), bool)
    for building in buildings:
        where, stamp = polygon_stamp(building.corners(), land.size)
        mask[where] |= stamp
    return mask


def buildings_built(before: Landscape, rng: np.random.Generator, area: Area) -> Outcome:
    site = _site(rng, area)
    x0, y0, x1, y1 = site
    if rng.random() < 0.5:  # a cleared construction site, visible on both dates
        before.cover[y0:y1, x0:x1] = np.where(before.cover[y0:y1, x0:x1] == WATER, WATER, BARE)
        before.trees = [t for t in before.trees if not (x0 <= t.centre[0] < x1 and y0 <= t.centre[1] < y1)]
    after = before.copy()
    roads = [r for r in after.roads if r.mask(after.size)[y0:y1, x0:x1].any()]
    along_road = bool(roads) and rng.random() < 0.7
    if along_road:
        added = houses_along(after, roads[0], rng, draw_count(rng), area=site)
    else:
        added = house_block(after, rng, draw_count(rng), site)
    if not added:
        return None
    mask = _footprints(after, added)
    return before, after, Change("buildings_built", len(added), _box_of(mask), area, _ground_under(before, mask),
                                 along_road)


def buildings_demolished(before: Landscape, rng: np.random.Generator, area: Area) -> Outcome:
    x0, y0, x1, y1 = area
    inside = [b for b in before.buildings if x0 <= b.centre[0] < x1 and y0 <= b.centre[1] < y1]
    if not inside:  # build the houses first, so there is something to demolish
        inside = house_block(before, rng, int(rng.integers(2, 9)), _site(rng, area))
        if not inside:
            return None
    first = inside[int(rng.integers(len(inside)))]
    inside.sort(key=lambda b: (b.centre[0] - first.centre[0]) ** 2 + (b.centre[1] - first.centre[1]) ** 2)
    gone = inside[:draw_count(rng)]
    after = before.copy()
    after.buildings = [b for b in after.buildings if b not in gone]
    mask = _footprints(after, gone)
    after.cover[mask & (after.cover != WATER)] = BARE
    return before, after, Change("buildings_demolished", len(gone), _box_of(mask), area,
                                 _ground_under(before, mask), False)


def _new_road(before: Landscape, rng: np.random.Generator, area: Area) -> tuple[Landscape, Road, np.ndarray] | None:
    """A copy of `before` with a road across `area` (woods and trees cleared along it); None if it would cut
    through buildings or water."""
    start, end = crossing_line(rng, area)
    road = Road(start, end, float(rng.uniform(9, 14)), paved=bool(rng.random() < 0.8))
    surface = road.mask(before.size)
    verge = road.mask(before.size, margin=3)
    if (verge & _footprints(before, before.buildings)).any() or (before.cover[surface] == WATER).any():
        return None
    after = before.copy()
    after.roads.append(road)
    after.cover[verge & (after.cover == FOREST)] = BARE
    after.trees = [t for t in after.trees if not verge[int(t.centre[1]), int(t.centre[0])]]
    return after, road, surface


def road_built(before: Landscape, rng: np.random.Generator, area: Area) -> Outcome:
    made = _new_road(before, rng, area)
    if made is None:
        return None
    after, _, surface = made
    return before, after, Change("road_built", 0, _box_of(surface), area, _ground_under(before, surface), False)


def road_and_buildings(before: Landscape, rng: np.random.Generator, area: Area) -> Outcome:
    made = _new_road(before, rng, area)
    if made is None:
        return None
    after, road, surface = made
    added = houses_along(after, road, rng, max(2, draw_count(rng)), area=area)
    if not added:
        return None
    return before, after, Change("road_and_buildings", len(added), _box_of(surface | _footprints(after, added)),
                                 area, _ground_under(before, surface), True)


def pond_dug(before: Landscape, rng: np.random.Generator, area: Area) -> Outcome:
    x0, y0, x1, y1 = area
    taken = before.occupied(margin=4)
    yy, xx = np.mgrid[0:before.size, 0:before.size]
    wobble = fractal_noise(rng, before.size, (32, 16))
    for _ in range(12):
        radius = rng.uniform(0.12, 0.25) * min(x1 - x0, y1 - y0)
        cx, cy = rng.uniform(x0 + radius, x1 - radius), rng.uniform(y0 + radius, y1 - radius)
        squash = rng.uniform(0.6, 1.0)
        pond = ((xx - cx) / radius) ** 2 + ((yy - cy) / (radius * squash)) ** 2 < 0.75 + 0.5 * wobble
        if pond.sum() > 150 and not (pond & taken).any():
            after = before.copy()
            after.cover[pond] = WATER
            return before, after, Change("pond_dug", 0, _box_of(pond), area, _ground_under(before, pond), False)
    return None


def trees_cleared(before: Landscape, rng: np.random.Generator, area: Area) -> Outcome:
    x0, y0, x1, y1 = area
    radius = rng.uniform(0.2, 0.35) * min(x1 - x0, y1 - y0)
    cx, cy = rng.uniform(x0 + radius, x1 - radius), rng.uniform(y0 + radius, y1 - radius)
    yy, xx = np.mgrid[0:before.size, 0:before.size]
    wobble = fractal_noise(rng, before.size, (32, 16))
    patch = (xx - cx) ** 2 + (yy - cy) ** 2 < radius**2 * (0.7 + 0.6 * wobble)
    patch &= ~before.occupied(margin=2) & (before.cover != WATER)
    if patch.sum() < 300:
        return None
    before.cover[patch] = FOREST  # woods first, so there is something to fell
    after = before.copy()
    after.cover[patch] = BARE
    return before, after, Change("trees_cleared", 0, _box_of(patch), area, "woods", False)


EVENTS = {"buildings_built": buildings_built, "buildings_demolished": buildings_demolished,
          "road_built": road_built, "road_and_buildings": road_and_buildings, "pond_dug": pond_dug,
          "trees_cleared": trees_cleared}
