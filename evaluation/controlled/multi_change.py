"""Multi-object change (a flat CLEVR-Multi-Change, REFERENCE §3): two renders of a scene of shapes, between which
1-4 objects were moved, added, deleted or replaced; the answer has one sentence per change.

Sentences come in the order of the changed objects' cells (top-left first) so the target is learnable, and the
scorer matches them permutation-invariantly anyway. `describe` is the single-image pretraining task (list the
objects in reading order) that teaches a stateless encoder the vocabulary of shapes, colours and sizes, and
`object_at` (what is in row r, column c?) the same vocabulary bound to a place, which a change sentence needs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from evaluation.controlled.change_text import KINDS, TEMPLATES, key_of, sentence
from evaluation.controlled.export import Example
from evaluation.controlled.scene import (
    Attributes,
    Obj,
    Scene,
    random_attributes,
    random_object,
    random_scene,
    render,
)

CHANGE_PROMPT = "What changed between the two images?"
DESCRIBE_PROMPT = "Describe the scene."
OBJECT_AT_PROMPT = "What is in row {row}, column {column}?"


@dataclass(frozen=True)
class Change:
    kind: str
    old: Obj | None  # None for an addition
    new: Obj | None  # None for a deletion

    @property
    def cell(self) -> tuple[int, int]:
        return (self.old or self.new).cell


@dataclass(frozen=True)
class MultiChangeTask:
    """Scene sizes and change counts; the paper's setting is 30-40 objects and 4 changes."""

    image_size: int = 112
    grid: int = 8
    objects: tuple[int, int] = (10, 40)
    changes: tuple[int, int] = (1, 4)
    kinds: tuple[str, ...] = KINDS
    jitter: float = 0.08

    def __post_init__(self) -> None:
        low, high = self.objects
        if not 1 <= low <= high or high + self.changes[1] > self.grid ** 2:
            raise ValueError(f"MultiChangeTask.objects={self.objects!r}: expected 1 <= min <= max and max + "
                             f"{self.changes[1]} changes <= {self.grid ** 2} cells of the {self.grid}x{self.grid} grid")
        if not 1 <= self.changes[0] <= self.changes[1] or self.changes[1] > low:
            raise ValueError(f"MultiChangeTask.changes={self.changes!r}: expected 1 <= min <= max <= {low} "
                             "(the fewest objects a scene has)")
        if not self.kinds or set(self.kinds) - set(KINDS):
            raise ValueError(f"MultiChangeTask.kinds={self.kinds!r}: expected a subset of {KINDS}")

    def scene(self, rng: random.Random) -> Scene:
        return random_scene(rng, grid=self.grid, objects=rng.randint(*self.objects), jitter=self.jitter)

    def change(self, rng: random.Random) -> Example:
        before = self.scene(rng)
        after, changes = apply_changes(rng, before, [rng.choice(self.kinds) for _ in range(rng.randint(*self.changes))],
                                       self.jitter)
        changes.sort(key=lambda c: c.cell)
        sentences = [sentence(rng.choice(TEMPLATES[c.kind]), c.old and c.old.attributes, c.new and c.new.attributes)
                     for c in changes]
        return Example(
            images=(render(before, self.image_size), render(after, self.image_size)), prompt=CHANGE_PROMPT,
            answer=" ".join(sentences),
            meta={"task": "multi_change", "objects": len(before.objects),
                  "changes": [key_of(c.kind, c.old and c.old.attributes, c.new and c.new.attributes).fields()
                              for c in changes]},
        )

    def describe(self, rng: random.Random) -> Example:
        scene = self.scene(rng)
        return Example(images=(render(scene, self.image_size),), prompt=DESCRIBE_PROMPT,
                       answer=", ".join(o.attributes.phrase() for o in scene.reading_order()) + ".",
                       meta={"task": "multi_change_describe", "objects": len(scene.objects)})

    def object_at(self, rng: random.Random) -> Example:
        """One cell of a scene: an occupied one three times in four, else any; "nothing." when empty."""
        scene = self.scene(rng)
        objects = {o.cell: o for o in scene.objects}
        cell = (rng.choice(sorted(objects)) if rng.random() < 0.75
                else (rng.randrange(self.grid), rng.randrange(self.grid)))
        found = objects.get(cell)
        return Example(images=(render(scene, self.image_size),),
                       prompt=OBJECT_AT_PROMPT.format(row=cell[0] + 1, column=cell[1] + 1),
                       answer=f"a {found.attributes.phrase()}." if found else "nothing.",
                       meta={"task": "multi_change_object_at", "cell": list(cell), "objects": len(scene.objects)})


def apply_changes(rng: random.Random, scene: Scene, kinds: list[str], jitter: float) -> tuple[Scene, list[Change]]:
    """`scene` after one change of each kind in `kinds`, each touching a different object or free cell."""
    objects = list(scene.objects)
    touched = rng.sample(range(len(objects)), sum(k != "add" for k in kinds))
    free = rng.sample(scene.free_cells(), sum(k in ("add", "move") for k in kinds))
    changes: list[Change] = []
    removed: set[int] = set()
    for kind in kinds:
        if kind == "add":
            new = random_object(rng, free.pop(), jitter)
            objects.append(new)
            changes.append(Change(kind, None, new))
            continue
        index = touched.pop()
        old = objects[index]
        if kind == "delete":
            removed.add(index)
            changes.append(Change(kind, old, None))
            continue
        if kind == "move":
            new = replace(old, cell=free.pop())
        else:
            new = replace(old, attributes=_different(rng, old.attributes))
        objects[index] = new
        changes.append(Change(kind, old, new))
    kept = tuple(o for i, o in enumerate(objects) if i not in removed)
    return replace(scene, objects=kept), changes


def _different(rng: random.Random, attributes: Attributes) -> Attributes:
    """Random attributes that differ from `attributes` in colour or shape (a replacement must be visible)."""
    while True:
        new = random_attributes(rng)
        if (new.color, new.shape) != (attributes.color, attributes.shape):
            return new
