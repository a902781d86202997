"""Seeded synthetic image edits: scenes of coloured shapes, an edit, and the edit instruction in words.

Real edit pairs (ImgEdit) come from diffusion editors at high resolution with noisy labels; a tiny model at
96 px first needs pairs whose edit is visible and whose ground truth (category, object, changed region) is
exact. Every scene is drawn from a `random.Random`, so a seed fixes the bytes of every image.

Categories use ImgEdit's names so evaluation can break results down the same way: add, remove, replace,
background, and adjust. Adjust covers changing an attribute of an object that stays: its colour, its size
or its position, so a move is an adjust edit. The finer `operation` (recolor, resize, move, ...) is kept too.

The scene model lives in `scene.py`, drawing in `render.py`; this module holds the prompts, the words and the
random scenes and edits.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from apps.image_diff.answers import observed
from apps.image_diff.synthetic.scene import (
    BACKGROUNDS,
    CATEGORY,
    COLORS,
    REGIONS,
    SHAPES,
    Edit,
    EditSequence,
    Operation,
    Scene,
    Shape,
    ShapeKind,
)

EDIT_PROMPT = "What edit turns the first image into the second?"
SEQUENCE_PROMPT = "What edits turn each image into the next? Describe them in order."
DESCRIBE_PROMPT = "<image>Describe the image."  # single-image pretraining (docs/RECIPE.md)
NO_EDIT = "no edit"  # the answer for a pair that shows no edit: identical, or nuisance only (`nuisance.py`)
# How a model is asked about three images: all at once (SEQUENCE_PROMPT), or each consecutive pair (EDIT_PROMPT)
# with the answers joined in order, for models trained on pairs only.
SequenceMode = Literal["joint", "pairwise"]
SEQUENCE_MODES: tuple[SequenceMode, ...] = ("joint", "pairwise")

TEMPLATES: dict[Operation, tuple[str, ...]] = {
    "add": ("add {a_new} {where}", "put {a_new} {where}", "place {a_new} {where}"),
    "remove": ("remove the {old}", "delete the {old}", "take away the {old}", "erase the {old}"),
    "replace": (
        "replace the {old} with {a_new}",
        "turn the {old} into {a_new}",
        "swap the {old} for {a_new}",
    ),
    "recolor": (
        "change the color of the {old} to {color}",
        "make the {old} {color}",
        "paint the {old} {color}",
    ),
    "resize": ("make the {old} {comparative}", "{resize_verb} the {old}"),
    "move": ("move the {old} {to}", "shift the {old} {to}"),
    "background": ("change the background to {background}", "replace the background with {background}"),
}
_AT = {"top": "at the top", "bottom": "at the bottom", "left": "on the left", "right": "on the right"}

MIN_OBJECTS, MAX_OBJECTS = 2, 4
# Circumradius as a fraction of the image side. Polygons sit inside that circle, so at 96 px the smallest
# triangle is still 17 px wide, enough for a tiny model; only "make smaller" goes below, to RESIZED_RADIUS[0].
RADIUS = (0.10, 0.16)
RESIZED_RADIUS = (0.06, 0.22)
MARGIN, GAP, CELL_INSET = 0.02, 0.03, 0.03
PLACE_TRIES, EDIT_TRIES = 60, 10


def user_prompt(num_images: int) -> str:
    """The user turn: one `<image>` per image, then the question for a pair or for a sequence."""
    return "<image>" * num_images + (EDIT_PROMPT if num_images == 2 else SEQUENCE_PROMPT)


def answer(edits: tuple[Edit, ...], *, observations: bool = False) -> str:
    """The target text: the instruction alone for a pair; for a sequence one sentence per edit, in order. With
    `observations`, an edit of one object in place (replace, recolour, resize, move) states first what the object
    was and became (`answers.observed`)."""
    texts = [_observed(edit) if observations else edit.instruction for edit in edits]
    return texts[0] if len(texts) == 1 else in_order(texts)


def _observed(edit: Edit) -> str:
    if edit.before is None or edit.after is None:
        return edit.instruction
    return observed(_phrase(edit.before), _phrase(edit.after), edit.instruction)


def in_order(instructions: Sequence[str]) -> str:
    """'First, <1st>. Then, <2nd>. After that, <3rd>.': several edit instructions as one answer."""
    words = ["First", "Then"] + ["After that"] * (len(instructions) - 2)
    return " ".join(f"{word}, {text.rstrip('.')}." for word, text in zip(words, instructions, strict=True))


def describe(scene: Scene) -> str:
    """Every object, left to right within rows, where it is, then the background: what `DESCRIBE_PROMPT` asks."""
    objects = sorted(scene.objects, key=lambda shape: REGIONS.index(shape.region))
    return f"{', '.join(_phrase(shape) for shape in objects)} on {BACKGROUNDS[scene.background].phrase}."


def _phrase(shape: Shape) -> str:
    """'a small blue triangle in the top left': an object as descriptions and observations name it."""
    return f"{_article(_size_word(shape) + shape.label)} {where(shape.region, 'at')}"


def _size_word(shape: Shape) -> str:
    """'small ' or 'large ' outside the sizes a new object is drawn at (only resize edits get there)."""
    return "small " if shape.radius < RADIUS[0] else "large " if shape.radius > RADIUS[1] else ""


def random_sequence(rng: random.Random, num_images: int) -> EditSequence:
    """A random scene followed by `num_images - 1` successive random edits."""
    scenes, edits = [random_scene(rng)], []
    for _ in range(num_images - 1):
        scene, edit = random_edit(scenes[-1], rng)
        scenes.append(scene)
        edits.append(edit)
    return EditSequence(tuple(scenes), tuple(edits))


def random_scene(rng: random.Random) -> Scene:
    """2-4 non-overlapping objects with distinct labels on a random background."""
    background = rng.choice(sorted(BACKGROUNDS))
    objects: list[Shape] = []
    count = rng.randint(MIN_OBJECTS, MAX_OBJECTS)
    while len(objects) < count:  # terminates: a small enough fourth shape always fits
        kind, color = _free_label(rng, objects)
        radius = rng.uniform(*RADIUS)
        position = _place(rng, objects, radius, None)
        if position:
            objects.append(Shape(kind, color, *position, radius, _angle(rng)))
    return Scene(background, tuple(objects))


def random_edit(scene: Scene, rng: random.Random) -> tuple[Scene, Edit]:
    """Pick a category uniformly, then one of its operations.

    An operation that fails by chance (no room where the shape was to go) is retried with fresh choices, so
    categories stay balanced; one the scene rules out (nothing left to remove) gives way to a new draw.
    """
    categories = sorted(set(CATEGORY.values()))
    while True:  # terminates: a background edit always applies
        category = rng.choice(categories)
        operation = rng.choice([op for op, cat in CATEGORY.items() if cat == category])
        for _ in range(EDIT_TRIES):
            result = _EDITORS[operation](scene, rng)
            if result:
                return result


def _angle(rng: random.Random) -> float:
    """A small tilt: enough to vary scenes, too little to turn a square into a diamond."""
    return rng.uniform(-12, 12)


def _article(noun_phrase: str) -> str:
    return ("an " if noun_phrase[0] in "aeiou" else "a ") + noun_phrase


def _free_label(
    rng: random.Random, objects: Sequence[Shape], kinds: Sequence[ShapeKind] = SHAPES
) -> tuple[ShapeKind, str]:
    """A (kind, colour) pair no object has, so "the red circle" always names exactly one object."""
    used = {(shape.kind, shape.color) for shape in objects}
    return rng.choice([(kind, color) for kind in kinds for color in COLORS if (kind, color) not in used])


def _fits(x: float, y: float, radius: float, others: Sequence[Shape]) -> bool:
    inside = all(MARGIN + radius <= c <= 1 - MARGIN - radius for c in (x, y))
    return inside and all(math.hypot(x - o.x, y - o.y) >= radius + o.radius + GAP for o in others)


def _place(
    rng: random.Random, others: Sequence[Shape], radius: float, region: str | None
) -> tuple[float, float] | None:
    """A centre for a new shape clear of `others`, inside the named 3x3 cell if given (None if none found)."""
    low, high = MARGIN + radius, 1 - MARGIN - radius
    low_x, high_x, low_y, high_y = low, high, low, high
    if region:
        row, col = divmod(REGIONS.index(region), 3)
        low_x, high_x = max(low, col / 3 + CELL_INSET), min(high, (col + 1) / 3 - CELL_INSET)
        low_y, high_y = max(low, row / 3 + CELL_INSET), min(high, (row + 1) / 3 - CELL_INSET)
    if low_x > high_x or low_y > high_y:
        return None
    for _ in range(PLACE_TRIES):
        x, y = rng.uniform(low_x, high_x), rng.uniform(low_y, high_y)
        if _fits(x, y, radius, others):
            return x, y
    return None


def where(region: str, preposition: str) -> str:
    """'in the top left', 'at the top', 'on the left', 'in the center'; with 'to': 'to the left'."""
    if preposition == "to":
        return f"to the {region}"
    return _AT.get(region, f"in the {region}")


def _edit(
    operation: Operation,
    scene: Scene,
    rng: random.Random,
    *,
    before: Shape | None = None,
    after: Shape | None = None,
    background: str | None = None,
    **words: str,
) -> Edit:
    """The edit record, its instruction from a random template of `operation` filled with `words`."""
    words["old"] = before.label if before else ""
    words["a_new"] = _article(after.label) if after else ""
    words["background"] = BACKGROUNDS[background].phrase if background else ""
    instruction = rng.choice(TEMPLATES[operation]).format(**words)
    return Edit(operation, instruction, before, after, (scene.background, background or scene.background))


def _add(scene: Scene, rng: random.Random) -> tuple[Scene, Edit] | None:
    if len(scene.objects) > MAX_OBJECTS:
        return None
    kind, color = _free_label(rng, scene.objects)
    radius, region = rng.uniform(*RADIUS), rng.choice(REGIONS)
    position = _place(rng, scene.objects, radius, region)
    if not position:
        return None
    added = Shape(kind, color, *position, radius, _angle(rng))
    edit = _edit("add", scene, rng, after=added, where=where(region, "in"))
    return Scene(scene.background, (*scene.objects, added)), edit


def _remove(scene: Scene, rng: random.Random) -> tuple[Scene, Edit] | None:
    if len(scene.objects) < 2:  # keep at least one object, so later edits have something to act on
        return None
    target = rng.choice(scene.objects)
    kept = tuple(shape for shape in scene.objects if shape != target)
    return Scene(scene.background, kept), _edit("remove", scene, rng, before=target)


def _replace(scene: Scene, rng: random.Random) -> tuple[Scene, Edit] | None:
    target = rng.choice(scene.objects)
    kind, color = _free_label(rng, scene.objects, [kind for kind in SHAPES if kind != target.kind])
    new = replace(target, kind=kind, color=color, angle=_angle(rng))
    return _swap(scene, target, new), _edit("replace", scene, rng, before=target, after=new)


def _recolor(scene: Scene, rng: random.Random) -> tuple[Scene, Edit] | None:
    target = rng.choice(scene.objects)
    _, color = _free_label(rng, scene.objects, [target.kind])
    new = replace(target, color=color)
    return _swap(scene, target, new), _edit("recolor", scene, rng, before=target, after=new, color=color)


def _resize(scene: Scene, rng: random.Random) -> tuple[Scene, Edit] | None:
    target = rng.choice(scene.objects)
    others = tuple(shape for shape in scene.objects if shape != target)
    bigger = rng.random() < 0.5
    radius = target.radius * (rng.uniform(1.4, 1.6) if bigger else rng.uniform(0.6, 0.7))
    if not RESIZED_RADIUS[0] <= radius <= RESIZED_RADIUS[1] or not _fits(target.x, target.y, radius, others):
        return None
    new = replace(target, radius=radius)
    words = {
        "comparative": "bigger" if bigger else "smaller",
        "resize_verb": "enlarge" if bigger else "shrink",
    }
    return _swap(scene, target, new), _edit("resize", scene, rng, before=target, after=new, **words)


def _move(scene: Scene, rng: random.Random) -> tuple[Scene, Edit] | None:
    target = rng.choice(scene.objects)
    others = tuple(shape for shape in scene.objects if shape != target)
    region = rng.choice([name for name in REGIONS if name != target.region])
    position = _place(rng, others, target.radius, region)
    if not position:
        return None
    new = replace(target, x=position[0], y=position[1])
    return _swap(scene, target, new), _edit(
        "move", scene, rng, before=target, after=new, to=where(region, "to")
    )


def _change_background(scene: Scene, rng: random.Random) -> tuple[Scene, Edit] | None:
    key = rng.choice(sorted(set(BACKGROUNDS) - {scene.background}))
    return Scene(key, scene.objects), _edit("background", scene, rng, background=key)


def _swap(scene: Scene, old: Shape, new: Shape) -> Scene:
    """The scene with `old` replaced in place by `new`, keeping the drawing order."""
    return Scene(scene.background, tuple(new if shape == old else shape for shape in scene.objects))


_EDITORS = {
    "add": _add,
    "remove": _remove,
    "replace": _replace,
    "recolor": _recolor,
    "resize": _resize,
    "move": _move,
    "background": _change_background,
}
