"""Observations before instructions: written by the generator, taken out again for scoring and display."""

from __future__ import annotations

import random

import pytest

from apps.image_diff.answers import Answer, observed, split_answer
from apps.image_diff.describe.categories import edit_categories
from apps.image_diff.synthetic.edits import answer, random_sequence


def test_observed_answers_split_back_into_the_plain_answer() -> None:
    seen = 0
    for seed in range(300):
        sequence = random_sequence(random.Random(f"answers:{seed}"), 2 + seed % 2)
        text = answer(sequence.edits, observations=True)
        parts = split_answer(text)
        assert parts.instruction == answer(sequence.edits)
        in_place = [edit for edit in sequence.edits if edit.before and edit.after]
        assert len(parts.observations) == len(in_place)
        assert edit_categories(parts.instruction, len(sequence.edits)) == [e.category for e in sequence.edits]
        seen += len(in_place)
    assert seen > 100  # replace, recolour, resize and move edits all state one


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            observed("a red star at the top", "a blue star at the top", "make the red star blue"),
            Answer("make the red star blue", ("a red star at the top -> a blue star at the top",)),
        ),
        (
            "First, a red star at the top -> a red star on the left: move the red star to the left. "
            "Then, remove the blue circle.",
            Answer(
                "First, move the red star to the left. Then, remove the blue circle.",
                ("a red star at the top -> a red star on the left",),
            ),
        ),
        ("replace the cup with a lamp", Answer("replace the cup with a lamp", ())),  # another model's answer
        ("", Answer("", ())),
    ],
)
def test_split_answer(text: str, expected: Answer) -> None:
    assert split_answer(text) == expected
