"""The image-diff scene model: coloured shapes on a named background, an edit between two scenes, and the
ground truth an edit carries (category, operation, objects, changed boxes). Geometry is in fractions of the
image side, so a scene renders at any size (`render.py`); `synthetic.py` draws random scenes and edits.

Categories use ImgEdit's names so evaluation can break results down the same way: add, remove, replace,
background, and adjust (an attribute of an object that stays: its colour, size or position).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

ShapeKind = Literal["circle", "square", "triangle", "star"]
Category = Literal["add", "remove", "replace", "adjust", "background"]
Operation = Literal["add", "remove", "replace", "recolor", "resize", "move", "background"]
BackgroundKind = Literal["plain", "gradient", "split", "checkerboard", "stripes", "dots"]
RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]

SHAPES: tuple[ShapeKind, ...] = ("circle", "square", "triangle", "star")
COLORS: dict[str, RGB] = {
    "red": (215, 40, 40),
    "orange": (245, 135, 20),
    "yellow": (245, 215, 35),
    "green": (40, 160, 65),
    "blue": (35, 85, 215),
    "purple": (135, 55, 180),
    "pink": (245, 125, 190),
    "white": (250, 250, 250),
    "black": (25, 25, 25),
}
OUTLINE: RGB = (20, 20, 20)
CATEGORY: dict[Operation, Category] = {
    "add": "add",
    "remove": "remove",
    "replace": "replace",
    "recolor": "adjust",
    "resize": "adjust",
    "move": "adjust",
    "background": "background",
}
# The 3x3 grid that positions are named by, row by row, with the phrases instructions use for each cell.
REGIONS = ("top left", "top", "top right", "left", "center", "right", "bottom left", "bottom", "bottom right")


@dataclass(frozen=True)
class Background:
    """A named background; drawn from its name alone, so keeping it keeps its pixels."""

    kind: BackgroundKind
    phrase: str
    colors: tuple[RGB, RGB]


BACKGROUNDS: dict[str, Background] = {
    "grey": Background("plain", "plain grey", ((175, 175, 175), (175, 175, 175))),
    "beige": Background("plain", "plain beige", ((230, 215, 185), (230, 215, 185))),
    "light blue": Background("plain", "plain light blue", ((180, 210, 235), (180, 210, 235))),
    "sunset": Background("gradient", "a sunset gradient", ((250, 195, 105), (185, 95, 135))),
    "ocean": Background("gradient", "an ocean gradient", ((195, 235, 245), (60, 120, 175))),
    "pastel": Background("gradient", "a pastel gradient", ((245, 225, 240), (195, 215, 245))),
    "checkerboard": Background("checkerboard", "a checkerboard pattern", ((210, 210, 210), (165, 165, 165))),
    "stripes": Background("stripes", "a striped pattern", ((235, 220, 190), (200, 185, 155))),
    "dots": Background("dots", "a dotted pattern", ((225, 235, 245), (175, 195, 220))),
    "grass": Background("split", "a blue sky over green grass", ((110, 170, 230), (105, 165, 75))),
    "sand": Background("split", "a blue sky over sand", ((110, 170, 230), (225, 200, 140))),
    "snow": Background("split", "a grey sky over snow", ((150, 155, 170), (240, 242, 248))),
}


@dataclass(frozen=True)
class Shape:
    """One object; geometry in fractions of the image side so a scene renders at any size."""

    kind: ShapeKind
    color: str
    x: float
    y: float
    radius: float
    angle: float

    @property
    def label(self) -> str:
        return f"{self.color} {self.kind}"

    @property
    def region(self) -> str:
        return REGIONS[min(2, int(self.y * 3)) * 3 + min(2, int(self.x * 3))]

    def box(self, size: int) -> Box:
        """Output pixels this shape can touch: its circumcircle plus one pixel for outline and smoothing."""
        low = [math.floor((c - self.radius) * size) - 1 for c in (self.x, self.y)]
        high = [math.ceil((c + self.radius) * size) + 1 for c in (self.x, self.y)]
        return max(0, low[0]), max(0, low[1]), min(size, high[0]), min(size, high[1])

    def meta(self) -> dict[str, object]:
        """Centre and circumradius in fractions of the image side, like the fields."""
        return {
            "shape": self.kind,
            "color": self.color,
            "region": self.region,
            "center": [round(self.x, 4), round(self.y, 4)],
            "radius": round(self.radius, 4),
        }


@dataclass(frozen=True)
class Scene:
    """A background name and the objects drawn on it, in drawing order; object labels are unique."""

    background: str
    objects: tuple[Shape, ...]


@dataclass(frozen=True)
class Edit:
    """One edit from a scene to the next: the object before and after (None where absent) and the words."""

    operation: Operation
    instruction: str
    before: Shape | None
    after: Shape | None
    background: tuple[str, str]

    @property
    def category(self) -> Category:
        return CATEGORY[self.operation]

    def boxes(self, size: int) -> list[Box]:
        """Regions outside which the two images are pixel-identical (the whole image for a background)."""
        if self.operation == "background":
            return [(0, 0, size, size)]
        return list(dict.fromkeys(shape.box(size) for shape in (self.before, self.after) if shape))

    def meta(self, size: int) -> dict[str, object]:
        """Ground truth for evaluating captions and heatmaps; boxes are pixels of a `size` image, end-exclusive."""
        boxes = self.boxes(size)
        return {
            "category": self.category,
            "operation": self.operation,
            "instruction": self.instruction,
            "before": self.before.meta() if self.before else None,
            "after": self.after.meta() if self.after else None,
            "background": {"before": self.background[0], "after": self.background[1]},
            "bbox": [min(b[0] for b in boxes), min(b[1] for b in boxes)]
            + [max(b[2] for b in boxes), max(b[3] for b in boxes)],
            "boxes": [list(box) for box in boxes],
        }


@dataclass(frozen=True)
class EditSequence:
    """`len(edits) + 1` scenes, oldest first; `edits[i]` turns `scenes[i]` into `scenes[i + 1]`."""

    scenes: tuple[Scene, ...]
    edits: tuple[Edit, ...]
