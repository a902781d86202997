"""Answers parse to ImgEdit categories: every instruction the generator writes, and ImgEdit's own wordings."""

from __future__ import annotations

import random

import pytest

from apps.image_diff.describe.categories import edit_categories, edit_category
from apps.image_diff.synthetic.edits import answer, random_sequence


def test_every_generated_instruction_parses_to_its_category() -> None:
    for seed in range(300):
        sequence = random_sequence(random.Random(f"categories:{seed}"), 3)
        assert [edit_category(edit.instruction) for edit in sequence.edits] == [
            edit.category for edit in sequence.edits
        ]
        assert edit_categories(answer(sequence.edits), 2) == [edit.category for edit in sequence.edits]


@pytest.mark.parametrize(
    ("text", "edits", "categories"),
    [
        ("Add a red umbrella to the table on the left.", 1, ["add"]),
        ("Please insert a lamp next to the sofa", 1, ["add"]),
        ("Get rid of the people in the far right.", 1, ["remove"]),
        ("Turn the cup into a lamp.", 1, ["replace"]),
        ("Turn the cup red.", 1, ["adjust"]),
        ("Make the car in the middle bright yellow.", 1, ["adjust"]),
        ("Remove the background and put a beach there.", 1, ["background"]),
        ("The picture looks nicer. It is bright.", 1, ["unknown"]),
        ("", 1, ["unknown"]),
        (
            "Add a green vest to the man.\nMake the vest you added earlier brown leather.",
            2,
            ["add", "adjust"],
        ),
        ("First, shift the star to the center. Then, take away the triangle.", 2, ["adjust", "remove"]),
        ("   ", 2, ["unknown"]),
    ],
)
def test_wordings(text: str, edits: int, categories: list[str]) -> None:
    assert edit_categories(text, edits) == categories
