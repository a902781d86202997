"""The readability check: everything the generator writes reads, word salad and loops do not."""

from __future__ import annotations

import random

import pytest

from apps.image_diff.describe.readable import read
from apps.image_diff.synthetic.edits import NO_EDIT, answer, random_sequence


@pytest.mark.parametrize("observations", [False, True])
def test_every_generated_answer_is_readable(observations: bool) -> None:
    for seed in range(400):
        rng = random.Random(seed)
        text = answer(random_sequence(rng, rng.choice((2, 3))).edits, observations=observations)
        assert read(text, grammar=True).readable, text
        assert read(text, grammar=False).readable, text


@pytest.mark.parametrize(
    ("text", "grammar", "reason"),
    [
        # the demo model on a photograph, as quoted in issue 27
        ("place a white star in white triangle in yellow star white triangle in top left in yellow star black star",
         True, "is not an instruction the model was taught"),
        ("remove the red", True, "is not an instruction the model was taught"),  # a fragment
        ("First, remove the red circle. Later, add a blue star at the top.", True,
         "is not an instruction the model was taught"),
        ("make the red star red star red star red star", False, "repeats itself"),
        ("the the the", True, "repeats itself"),
        ("c\ufffd\n\ufffd lference", False, "names no edit"),  # a random-initialised tiny model
        ("   ", False, "is empty"),
    ],
)
def test_unreadable_answers(text: str, grammar: bool, reason: str) -> None:
    assert read(text, grammar=grammar).reason == reason and not read(text, grammar=grammar).readable


@pytest.mark.parametrize("text", [NO_EDIT, "No edit.", "make the green square smaller", "shrink the blue star"])
def test_readable_answers(text: str) -> None:
    assert read(text, grammar=True).readable and read(text, grammar=False).readable
