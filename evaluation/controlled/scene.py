"""Flat CLEVR: 2D scenes of coloured shapes on a grid, the world of the multi-object change task.

Objects sit in distinct cells of a `grid` x `grid` layout (with a little jitter), so scenes of 10-40 objects
never overlap and every move or addition has a free cell to go to. Attributes follow CLEVR's closed
vocabulary (3 shapes, 8 colours, 2 sizes), which the change sentences name and the scorer parses back.
Drawn at 4x and box-filtered down, so edges are smooth at the tiny resolutions CPU models train on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

RGB = tuple[int, int, int]
Cell = tuple[int, int]  # (row, column)

SHAPES: tuple[str, ...] = ("circle", "square", "triangle")
COLORS: dict[str, RGB] = {
    "gray": (120, 120, 120), "red": (200, 35, 35), "blue": (35, 70, 210), "green": (35, 150, 55),
    "brown": (130, 80, 35), "purple": (125, 45, 170), "cyan": (30, 190, 200), "yellow": (235, 205, 30),
}
SIZES: dict[str, float] = {"small": 0.26, "large": 0.38}  # radius as a fraction of the cell side
SUPERSAMPLE = 4


@dataclass(frozen=True)
class Attributes:
    size: str
    color: str
    shape: str

    def phrase(self) -> str:
        return f"{self.size} {self.color} {self.shape}"


@dataclass(frozen=True)
class Obj:
    attributes: Attributes
    cell: Cell
    jitter: tuple[float, float] = (0.0, 0.0)  # offset of the centre, as a fraction of the cell side


@dataclass(frozen=True)
class Scene:
    grid: int
    objects: tuple[Obj, ...]
    background: RGB

    def free_cells(self) -> list[Cell]:
        taken = {o.cell for o in self.objects}
        return [(r, c) for r in range(self.grid) for c in range(self.grid) if (r, c) not in taken]

    def reading_order(self) -> list[Obj]:
        return sorted(self.objects, key=lambda o: o.cell)


def random_attributes(rng: random.Random) -> Attributes:
    return Attributes(rng.choice(sorted(SIZES)), rng.choice(sorted(COLORS)), rng.choice(SHAPES))


def random_object(rng: random.Random, cell: Cell, jitter: float) -> Obj:
    return Obj(random_attributes(rng), cell, (rng.uniform(-jitter, jitter), rng.uniform(-jitter, jitter)))


def random_scene(rng: random.Random, *, grid: int, objects: int, jitter: float = 0.08) -> Scene:
    cells = rng.sample([(r, c) for r in range(grid) for c in range(grid)], objects)
    shade = rng.randint(185, 225)
    return Scene(grid, tuple(random_object(rng, cell, jitter) for cell in cells), (shade, shade, shade - 5))


def render(scene: Scene, size: int) -> Image.Image:
    big = size * SUPERSAMPLE
    image = Image.new("RGB", (big, big), scene.background)
    draw = ImageDraw.Draw(image)
    cell = big / scene.grid
    for obj in scene.objects:
        a = obj.attributes
        cx = (obj.cell[1] + 0.5 + obj.jitter[0]) * cell
        cy = (obj.cell[0] + 0.5 + obj.jitter[1]) * cell
        r = SIZES[a.size] * cell
        fill = COLORS[a.color]
        if a.shape == "circle":
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
        elif a.shape == "square":
            s = r * 0.88  # equal area-ish with the circle
            draw.rectangle((cx - s, cy - s, cx + s, cy + s), fill=fill)
        else:
            draw.polygon([(cx, cy - r * 1.1), (cx - r * 1.1, cy + r * 0.9), (cx + r * 1.1, cy + r * 0.9)], fill=fill)
    return image.resize((size, size), Image.BOX)
