"""How far an image is from what the embedded demo model was trained on: flat-colour shapes on drawn backgrounds.

The measure, `palette_share`: the share of an image's pixels whose colour lies within `MAX_DISTANCE` (Euclidean,
in 0-255 RGB) of a colour the generator draws: a shape colour, the outline, a plain background, or a point on
one of its gradients (`synthetic.BACKGROUNDS`). It is taken at the demo model's working size (96 px, box-averaged)
after a 3x3 median filter, so sensor noise and JPEG ringing do not count against an image. An image below
`MIN_SHARE` is out of domain, and the user reads so before any answer.

Measured with `python -m apps.image_diff.describe.domain` (seeded scenes of `synthetic.py`, each also JPEG re-encoded
at quality 50, with Gaussian noise of sigma 6, 10% brighter, 10% less contrast): the lowest share of 1000 such
images is 0.93; photographs shipped with installed packages score 0.39-0.78 (matplotlib's Grace Hopper 0.78,
gradio's tower 0.75 and cheetah 0.39, scikit-learn's china 0.63 and flower 0.46) and the shipped
examples/photo_a.jpg 0.51. Hence `MIN_SHARE` 0.9. It says nothing about a model trained on
other data, so it is checked for the demo model only.
"""

from __future__ import annotations

import functools
import io
import random
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from apps.image_diff.synthetic.edits import random_scene
from apps.image_diff.synthetic.render import render
from apps.image_diff.synthetic.scene import BACKGROUNDS, COLORS, OUTLINE

WORKING_SIZE = 96  # the demo model's training image side
MAX_DISTANCE = 40.0  # RGB distance from a drawable colour that still counts as one
MIN_SHARE = 0.9  # below this share of near-palette pixels an image is out of the demo model's domain
SKY_LIGHTENING = 0.45  # `synthetic._background`: a "split" sky goes this far towards white


@functools.cache
def _segments() -> tuple[np.ndarray, np.ndarray]:
    """Start and end colours (K, 3) of every colour the generator draws: a point is a segment of length 0."""
    segments = [(color, color) for color in (*COLORS.values(), OUTLINE)]
    for background in BACKGROUNDS.values():
        top, bottom = background.colors
        if background.kind == "split":
            segments += [(top, tuple(c + (255 - c) * SKY_LIGHTENING for c in top)), (bottom, bottom)]
        else:
            segments.append((top, bottom))
    starts, ends = zip(*segments, strict=True)
    return np.array(starts, dtype=np.float32), np.array(ends, dtype=np.float32)


def palette_share(image: Image.Image) -> float:
    """Share of pixels within `MAX_DISTANCE` of a colour the generator draws, in [0, 1]."""
    small = image.convert("RGB").resize((WORKING_SIZE, WORKING_SIZE), Image.Resampling.BOX)
    pixels = np.asarray(small.filter(ImageFilter.MedianFilter(3)), dtype=np.float32).reshape(-1, 1, 3)  # (N, 1, 3)
    starts, ends = _segments()  # (K, 3) each
    span = ends - starts
    length = np.maximum((span**2).sum(-1), 1.0)  # (K,)
    along = np.clip(((pixels - starts) * span).sum(-1) / length, 0.0, 1.0)  # (N, K)
    distance = np.linalg.norm(pixels - (starts + along[..., None] * span), axis=-1).min(axis=1)  # (N,)
    return float((distance <= MAX_DISTANCE).mean())


def domain_notice(images: list[Image.Image]) -> str:
    """A plain-words notice naming the images (1-based) far from the demo model's domain; "" when none is."""
    shares = [palette_share(image) for image in images]
    far = [f"{share:.0%} of image {number}'s" for number, share in enumerate(shares, start=1) if share < MIN_SHARE]
    if not far:
        return ""
    return (
        f"These images do not look like what the demo model was trained on (flat-colour shapes on simple "
        f"backgrounds): only {' and '.join(far)} pixels have a colour it knows, where its training images have at "
        f"least {MIN_SHARE:.0%}. Whatever it answers about them is unlikely to mean anything; use a model trained "
        "on photographs (--model) for photographs."
    )


def _nuisances(image: Image.Image, rng: np.random.Generator) -> list[Image.Image]:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=50)
    noisy = np.asarray(image, dtype=np.float32) + rng.normal(0, 6, (image.height, image.width, 3))
    return [
        image,
        Image.open(buffer),
        Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)),
        ImageEnhance.Brightness(image).enhance(1.1),
        ImageEnhance.Contrast(image).enhance(0.9),
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the lowest share over seeded synthetic scenes and their nuisances, and the share of each file given."""
    rng = np.random.default_rng(0)
    shares = [
        palette_share(variant)
        for seed in range(200)
        for variant in _nuisances(render(random_scene(random.Random(seed)), WORKING_SIZE), rng)
    ]
    print(f"synthetic ({len(shares)} images): lowest {min(shares):.2f}, threshold {MIN_SHARE}")
    for path in argv if argv is not None else sys.argv[1:]:
        print(f"{Path(path).name}: {palette_share(Image.open(path)):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
