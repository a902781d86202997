"""Render a `Landscape` to surface reflectance (R, G, B, NIR) for one acquisition date, and to display RGB.

Ground `Textures` are drawn once per place and shared by both dates, so grass and soil do not "move" between
dates; what differs is the `Season` (greenness, illumination gain, haze, sun/shadow) and sensor noise: the
radiometric shift a change captioner must learn to ignore.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from apps.rs_change.synthetic.landscape import BARE, FIELD, FOREST, GRASS, WATER, Landscape, Point
from apps.rs_change.synthetic.noise import fractal_noise

# Reflectance (R, G, B, NIR) per land-cover class, and what dry-season vegetation turns into.
COVER = np.array([
    [0.070, 0.105, 0.050, 0.36],  # GRASS
    [0.250, 0.200, 0.150, 0.30],  # BARE
    [0.035, 0.062, 0.032, 0.40],  # FOREST
    [0.030, 0.050, 0.060, 0.01],  # WATER
    [0.080, 0.120, 0.055, 0.38],  # FIELD (crop rows; soil rows are BARE)
], np.float32)
DRY = np.array([0.150, 0.140, 0.085, 0.27], np.float32)
ROAD = {True: np.array([0.16, 0.16, 0.17, 0.18], np.float32), False: np.array([0.30, 0.25, 0.19, 0.29], np.float32)}
ROOFS = np.array([
    [0.34, 0.13, 0.09, 0.30],  # red tiles
    [0.13, 0.13, 0.14, 0.15],  # dark grey
    [0.40, 0.40, 0.42, 0.42],  # light grey metal
    [0.58, 0.57, 0.55, 0.56],  # white
    [0.10, 0.17, 0.32, 0.25],  # blue
    [0.27, 0.17, 0.11, 0.26],  # brown
], np.float32)
ROOF_SIDES = np.concatenate([np.zeros((1, 4), np.float32),
                             np.stack([ROOFS * 1.12, ROOFS * 0.82], axis=1).reshape(-1, 4)])  # sunlit, shaded
CANOPY = np.array([0.030, 0.068, 0.030, 0.42], np.float32)


@dataclass(frozen=True)
class Season:
    """Everything that differs between two dates of an unchanged place."""

    dryness: float  # 0 = lush green vegetation, 1 = dry yellow-brown grass
    gain: tuple[float, float, float, float]  # per-band illumination / calibration
    haze: float  # additive path radiance
    shadow: Point  # shadow offset (pixels) from sun azimuth and elevation

    @classmethod
    def draw(cls, rng: np.random.Generator, like: Season | None = None) -> Season:
        """A random date; with `like`, a nearby one (the small shift between dates of a pair)."""
        if like is None:
            return cls(float(rng.uniform(0, 0.8)), tuple(float(g) for g in rng.uniform(0.93, 1.07, 4)),
                       float(rng.uniform(0, 0.02)), (float(rng.uniform(2, 5)), float(rng.uniform(2, 5))))
        return cls(float(np.clip(like.dryness + rng.uniform(-0.3, 0.3), 0, 1)),
                   tuple(float(g * rng.uniform(0.95, 1.05)) for g in like.gain),
                   float(np.clip(like.haze + rng.uniform(-0.01, 0.01), 0, 0.03)),
                   (like.shadow[0] + float(rng.uniform(-1, 1)), like.shadow[1] + float(rng.uniform(-1, 1))))


@dataclass(frozen=True)
class Textures:
    """Ground textures of one place, shared by all its dates (grass and soil patterns do not move)."""

    broad: np.ndarray  # (S, S) patchy brightness of fields and soil
    fine: np.ndarray  # (S, S) grain
    crowns: np.ndarray  # (S, S) tree-crown blobs in woods
    crop_rows: np.ndarray  # (S, S) bool, soil rows between crop rows

    @classmethod
    def draw(cls, seed: int, size: int) -> Textures:
        rng = np.random.default_rng(seed)
        angle = rng.uniform(0, np.pi)
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        return cls(fractal_noise(rng, size, (64, 32, 16)), fractal_noise(rng, size, (4, 2)),
                   fractal_noise(rng, size, (6, 3)), np.sin((xx * np.cos(angle) + yy * np.sin(angle)) / 2.5) > 0)


def _mask(size: int, paint) -> np.ndarray:
    """(S, S) bool of whatever `paint(draw)` draws; PIL rasterises polygons far faster than numpy could."""
    image = Image.new("1", (size, size), 0)
    paint(ImageDraw.Draw(image))
    return np.asarray(image, bool)


def render(land: Landscape, season: Season, textures: Textures, *, noise_seed: int) -> np.ndarray:
    """(4, S, S) float32 reflectance, bands R, G, B, NIR (band-first: numpy is fastest on long inner loops)."""
    size, cover, fine = land.size, land.cover, textures.fine
    palette = COVER.copy()
    for cls, amount in ((GRASS, 1.0), (FIELD, 0.6), (FOREST, 0.25)):
        palette[cls] = (1 - season.dryness * amount) * COVER[cls] + season.dryness * amount * DRY
    classes = np.where((cover == FIELD) & textures.crop_rows, BARE, cover)
    shade = (0.8 + 0.4 * textures.broad) * (0.9 + 0.2 * fine)
    shade = np.where(cover == FOREST, shade * (0.55 + 0.9 * textures.crowns), shade)
    shade = np.where(cover == WATER, 0.9 + 0.2 * textures.broad, shade)
    refl = palette.T[:, classes] * shade

    for paved in (False, True):
        roads = [r for r in land.roads if r.paved == paved]
        if roads:
            where = _mask(size, lambda d, rs=roads: [d.line([r.start, r.end], fill=1, width=int(r.width))
                                                    for r in rs])
            refl = np.where(where, ROAD[paved][:, None, None] * (0.92 + 0.16 * fine), refl)
    dx, dy = season.shadow
    if land.buildings or land.trees:
        shadow = _mask(size, lambda d: [
            [d.polygon(b.corners(shift=(dx, dy)), fill=1) for b in land.buildings],
            [d.ellipse(_box(t.centre[0] + dx, t.centre[1] + dy, t.radius), fill=1) for t in land.trees]])
        refl = np.where(shadow, refl * 0.4, refl)
    if land.trees:
        canopy = _mask(size, lambda d: [d.ellipse(_box(*t.centre, t.radius), fill=1) for t in land.trees])
        refl = np.where(canopy, CANOPY[:, None, None] * (0.6 + 0.8 * textures.crowns), refl)
    if land.buildings:
        roofs = _roof_ids(land)
        refl = np.where(roofs > 0, ROOF_SIDES.T[:, roofs] * (0.95 + 0.1 * fine), refl)
    refl = _soften(refl)
    noise = np.random.default_rng(noise_seed).random(refl.shape, dtype=np.float32) - 0.5
    gain = np.asarray(season.gain, np.float32)[:, None, None]
    return np.clip(refl * gain + season.haze + 0.012 * noise, 0.0005, 1.0)


def _box(x: float, y: float, radius: float) -> tuple[float, float, float, float]:
    return (x - radius, y - radius, x + radius, y + radius)


def _roof_ids(land: Landscape) -> np.ndarray:
    """(S, S) index into ROOF_SIDES: 0 = no roof; gable roofs have a sunlit and a shaded half."""
    image = Image.new("L", (land.size, land.size), 0)
    draw = ImageDraw.Draw(image)
    for building in land.buildings:
        p0, p1, p2, p3 = building.corners()
        m1, m0 = _mid(p1, p2), _mid(p3, p0)
        draw.polygon([p0, p1, m1, m0], fill=1 + 2 * building.roof)
        draw.polygon([m0, m1, p2, p3], fill=2 + 2 * building.roof)
    return np.asarray(image)


def _mid(a: Point, b: Point) -> Point:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)


def _soften(refl: np.ndarray) -> np.ndarray:
    """A 3x3 binomial blur: the sensor's point spread, which also hides the rasterised polygons' jaggies."""
    padded = np.pad(refl, ((0, 0), (1, 1), (1, 1)), mode="edge")
    rows = padded[:, :-2] * 0.25 + padded[:, 1:-1] * 0.5 + padded[:, 2:] * 0.25
    return rows[:, :, :-2] * 0.25 + rows[:, :, 1:-1] * 0.5 + rows[:, :, 2:] * 0.25


# reflectance quantised to 1/4096 -> display value: brightened x3 and gamma-encoded like a basemap
DISPLAY = (np.clip(np.arange(4096, dtype=np.float32) / 4096 * 3.0, 0, 1) ** (1 / 1.7) * 255 + 0.5).astype(np.uint8)


def to_rgb8(refl: np.ndarray) -> np.ndarray:
    """(4, H, W) reflectance -> (H, W, 3) uint8 true colour."""
    return DISPLAY[np.minimum(refl[:3].transpose(1, 2, 0) * 4096, 4095).astype(np.intp)]
