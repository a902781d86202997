"""Synthetic edits: a seed fixes every byte, and each label is true of its images (the instruction names what
changed, and nothing changed outside the recorded boxes)."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from apps.image_diff.synthetic.edits import (
    EDIT_PROMPT,
    RADIUS,
    RESIZED_RADIUS,
    SEQUENCE_PROMPT,
    answer,
    random_sequence,
    user_prompt,
)
from apps.image_diff.synthetic.render import render
from apps.image_diff.synthetic.scene import BACKGROUNDS, Edit, EditSequence

SIZE = 96
SAMPLES = 400


def sequences(count: int = SAMPLES, seed: str = "test") -> list[EditSequence]:
    return [random_sequence(random.Random(f"{seed}:{index}"), 2) for index in range(count)]


@pytest.fixture(scope="module")
def edits() -> list[tuple[EditSequence, Edit]]:
    return [(sequence, sequence.edits[0]) for sequence in sequences()]


def test_same_seed_same_bytes() -> None:
    first, second = (random_sequence(random.Random("seed"), 3) for _ in range(2))
    assert first == second
    assert [render(scene, SIZE).tobytes() for scene in first.scenes] == [
        render(scene, SIZE).tobytes() for scene in second.scenes
    ]
    assert random_sequence(random.Random("other seed"), 3) != first


def test_every_operation_and_category_occurs(edits: list[tuple[EditSequence, Edit]]) -> None:
    operations = Counter(edit.operation for _, edit in edits)
    assert set(operations) == {"add", "remove", "replace", "recolor", "resize", "move", "background"}
    categories = Counter(edit.category for _, edit in edits)
    assert set(categories) == {"add", "remove", "replace", "adjust", "background"}
    assert min(categories.values()) > SAMPLES / 10  # categories are drawn uniformly


@pytest.mark.parametrize("size", [SIZE, 61])
def test_pixels_change_inside_the_boxes_and_nowhere_else(
    edits: list[tuple[EditSequence, Edit]], size: int
) -> None:
    for sequence, edit in edits:
        before, after = (np.asarray(render(scene, size), dtype=int) for scene in sequence.scenes)
        changed = np.abs(before - after).sum(axis=2) > 0
        inside = np.zeros_like(changed)
        for x0, y0, x1, y1 in edit.boxes(size):
            inside[y0:y1, x0:x1] = True
            assert changed[y0:y1, x0:x1].any(), edit
        assert not (changed & ~inside).any(), edit
        if edit.category != "background" and size == SIZE:
            assert changed.sum() >= 40, edit  # visible at 96 px: a few dozen pixels at least


def test_instruction_names_what_changed(edits: list[tuple[EditSequence, Edit]]) -> None:
    for sequence, edit in edits:
        old, new = sequence.scenes
        text = edit.instruction
        if edit.operation == "add":
            assert edit.after.label in text and edit.after in new.objects and edit.after.region in text
        elif edit.operation == "remove":
            assert edit.before.label in text and edit.before not in new.objects
        elif edit.operation == "replace":
            assert edit.before.label in text and edit.after.label in text
            assert edit.before.kind != edit.after.kind
        elif edit.operation == "recolor":
            assert edit.before.label in text and text.endswith(edit.after.color)
        elif edit.operation == "resize":
            bigger = edit.after.radius > edit.before.radius
            assert edit.before.label in text and (("bigger" in text or "enlarge" in text) == bigger)
        elif edit.operation == "move":
            assert edit.before.label in text and text.endswith(f"to the {edit.after.region}")
            assert edit.before.region != edit.after.region
        else:
            assert BACKGROUNDS[new.background].phrase in text and old.objects == new.objects
            assert old.background != new.background


def test_objects_are_uniquely_named_and_large_enough(edits: list[tuple[EditSequence, Edit]]) -> None:
    for sequence, edit in edits:
        for scene in sequence.scenes:
            assert scene.objects
            assert len({shape.label for shape in scene.objects}) == len(scene.objects)
            assert all(shape.radius >= RESIZED_RADIUS[0] for shape in scene.objects)
        if edit.operation in ("add", "replace"):
            assert edit.after.radius >= RADIUS[0]


def test_prompts_and_answers() -> None:
    assert user_prompt(2) == "<image><image>" + EDIT_PROMPT
    assert user_prompt(3) == "<image><image><image>" + SEQUENCE_PROMPT
    sequence = random_sequence(random.Random("three"), 3)
    first, second = (edit.instruction for edit in sequence.edits)
    assert answer(sequence.edits) == f"First, {first}. Then, {second}."
    assert answer(sequence.edits[:1]) == first
    recolor = next(s.edits[0] for s in sequences(80) if s.edits[0].operation == "recolor")
    seen, instruction = answer((recolor,), observations=True).split(": ")
    was, became = seen.split(" -> ")
    assert instruction == recolor.instruction
    assert was.split(f" {recolor.before.label} ")[1] == became.split(f" {recolor.after.label} ")[1]  # same place


def test_meta_records_the_edit() -> None:
    edit = next(s.edits[0] for s in sequences(50) if s.edits[0].operation == "move")
    meta = edit.meta(SIZE)
    assert meta["category"] == "adjust" and meta["operation"] == "move"
    assert meta["before"]["color"] == meta["after"]["color"] == edit.before.color
    assert len(meta["boxes"]) == 2
    x0, y0, x1, y1 = meta["bbox"]
    assert all(x0 <= b[0] and y0 <= b[1] and b[2] <= x1 and b[3] <= y1 for b in meta["boxes"])
    assert 0 <= x0 < x1 <= SIZE and 0 <= y0 < y1 <= SIZE
