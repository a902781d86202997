"""Co-registration (apps/image_diff/describe/registration.py): whole-image shifts of a few pixels are undone and
said; a moved object, a large shift or another size is left alone."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image

from apps.image_diff.describe.registration import MAX_SHIFT, alignment_notice, estimate_shift, register
from apps.image_diff.synthetic.edits import random_sequence
from apps.image_diff.synthetic.nuisance import apply
from apps.image_diff.synthetic.render import render

SCENE = random_sequence(random.Random(3), 2).scenes[0]


def _moved(image: Image.Image, dy: int, dx: int) -> Image.Image:
    return Image.fromarray(np.roll(np.asarray(image), (dy, dx), axis=(0, 1)))


@pytest.mark.parametrize("shift", [(1, 0), (0, -2), (-2, 2), (3, 1)])
def test_small_shifts_are_found_and_undone(shift: tuple[int, int]) -> None:
    image = render(SCENE, 96)
    moved = _moved(image, *shift)
    assert estimate_shift(image, moved) == shift
    (first, aligned), shifts = register([image, moved])
    assert first is image and shifts == [shift]
    inner = (slice(4, -4), slice(4, -4))  # the edge padding aside, the pictures match again
    assert (np.asarray(aligned)[inner] == np.asarray(image)[inner]).all()
    assert "Aligned before comparing: image 2 sat" in alignment_notice(shifts)


def test_nuisance_shift_of_the_generator_is_undone() -> None:
    image = render(SCENE, 96)
    shifted = apply(image, "shift", random.Random(0))
    (_, aligned), shifts = register([image, shifted])
    assert shifts != [(0, 0)] and np.abs(np.asarray(aligned, float) - np.asarray(image, float)).mean() < 0.5


def test_edits_and_large_shifts_are_left_alone() -> None:
    sequence = random_sequence(random.Random(5), 3)
    images = [render(scene, 96) for scene in sequence.scenes]
    same, shifts = register(images)
    assert shifts == [(0, 0), (0, 0)] and all(a is b for a, b in zip(same, images, strict=True))
    far = _moved(images[0], MAX_SHIFT + 4, 0)
    assert register([images[0], far])[1] == [(0, 0)] and alignment_notice([(0, 0)]) == ""
    other_size = images[0].resize((64, 64))
    assert register([images[0], other_size])[1] == [(0, 0)]
