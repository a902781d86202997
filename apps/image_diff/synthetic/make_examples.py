"""Write the example inputs the image-diff UI offers (`apps/image_diff/examples/`), reproducibly.

Three cases come from the synthetic generator (the kind of input a model trained on it knows), picked as the
first seeds whose edits are of the wanted kinds; one is a photo-like landscape, JPEG with soft focus and
grain, to show the app on something closer to a real picture. `examples.json` lists each case's files,
oldest first, with the reference instruction.

    python -m apps.image_diff.synthetic.make_examples
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from apps.image_diff.synthetic.edits import answer, random_sequence
from apps.image_diff.synthetic.render import render
from apps.image_diff.synthetic.scene import BACKGROUNDS, EditSequence

OUT = Path(__file__).resolve().parents[1] / "examples"
SIZE = 192
PHOTO_SIZE = (320, 240)
PHOTO_INSTRUCTION = "add a red hot air balloon in the top right"


def first_sequence(num_images: int, wanted: Callable[[EditSequence], bool]) -> EditSequence:
    """The first seeded sequence meeting `wanted`; plain backgrounds keep the PNGs to a few KB."""
    candidates = (
        random_sequence(random.Random(f"examples:{index}"), num_images) for index in itertools.count()
    )
    return next(s for s in candidates if BACKGROUNDS[s.scenes[0].background].kind == "plain" and wanted(s))


def operations(*names: str) -> Callable[[EditSequence], bool]:
    """Edits of these operations, in order, each on a different object (no "move X, then delete X")."""

    def wanted(sequence: EditSequence) -> bool:
        pairs = itertools.pairwise(sequence.edits)
        distinct = all(later.before is None or later.before != earlier.after for earlier, later in pairs)
        return distinct and tuple(edit.operation for edit in sequence.edits) == names

    return wanted


def landscape(rng: np.random.Generator, balloon: bool) -> Image.Image:
    """Sky, two mountain ridges, a meadow with a house and trees; the same `rng` state gives the same scene."""
    width, height = PHOTO_SIZE
    rows = (np.arange(height)[:, None, None] + 0.5) / height  # (H, 1, 1)
    pixels = _mix((70, 130, 205), (210, 228, 242), np.clip(rows / 0.6, 0, 1)) * np.ones((1, width, 1))
    for base, height_range, color in ((0.40, 0.12, (120, 130, 158)), (0.52, 0.07, (72, 102, 82))):
        ridge = base + height_range * _smooth_noise(rng, width)  # (W,)
        shade = _mix(color, np.array(color) * 0.7, np.clip((rows - base) / 0.3, 0, 1))
        pixels = np.where(rows >= ridge[None, :, None], shade, pixels)
    meadow = _mix((112, 150, 66), (62, 104, 42), (rows - 0.62) / 0.38)
    pixels = np.where(rows >= 0.62, meadow, pixels)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 140, 112, 178), fill=(214, 196, 160))  # house walls
    draw.polygon([(52, 142), (86, 114), (120, 142)], fill=(150, 62, 48))  # roof
    draw.rectangle((80, 158, 92, 178), fill=(96, 64, 40))  # door
    for x, base_y, scale in ((180, 190, 1.0), (212, 186, 0.8), (250, 196, 1.2), (30, 196, 0.9)):
        draw.rectangle((x - 3, base_y - 8 * scale, x + 3, base_y), fill=(90, 60, 35))
        for level in range(3):
            top = base_y - (26 + 14 * level) * scale
            half = (16 - 4 * level) * scale
            draw.polygon(
                [(x - half, top + 22 * scale), (x, top), (x + half, top + 22 * scale)], fill=(34, 84, 44)
            )
    if balloon:
        draw.ellipse((236, 22, 276, 68), fill=(206, 40, 36), outline=(150, 26, 24), width=2)
        draw.ellipse((248, 26, 258, 44), fill=(236, 110, 96))  # highlight
        draw.line([(246, 62), (252, 80)], fill=(60, 40, 30), width=1)
        draw.line([(266, 62), (260, 80)], fill=(60, 40, 30), width=1)
        draw.rectangle((250, 80, 262, 88), fill=(120, 80, 45))  # basket
    return image


def photo_finish(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Soft focus and sensor grain, so the scene reads as a photograph rather than a drawing."""
    soft = np.asarray(image.filter(ImageFilter.GaussianBlur(0.8)), dtype=np.float32)
    grain = rng.normal(0, 4, soft.shape[:2])[..., None]  # (H, W, 1): luminance grain
    return Image.fromarray(np.clip(soft + grain, 0, 255).astype(np.uint8), "RGB")


def write_examples(out: Path = OUT) -> list[dict[str, object]]:
    out.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, object]] = []
    cases = {
        "add": first_sequence(2, operations("add")),
        "recolor": first_sequence(2, operations("recolor")),
        "sequence": first_sequence(3, operations("move", "remove")),
    }
    for name, sequence in cases.items():
        files = [f"{name}_{letter}.png" for letter in "abc"[: len(sequence.scenes)]]
        for file, scene in zip(files, sequence.scenes, strict=True):
            render(scene, SIZE).save(out / file, optimize=True)
        manifest.append({"name": name, "images": files, "reference": answer(sequence.edits)})
    files = ["photo_a.jpg", "photo_b.jpg"]
    for file, balloon in zip(files, (False, True), strict=True):
        rng = np.random.default_rng(7)  # the same ridges and grain in both images
        photo_finish(landscape(rng, balloon), rng).save(out / file, quality=88)
    manifest.append({"name": "photo", "images": files, "reference": PHOTO_INSTRUCTION})
    (out / "examples.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _mix(
    start: tuple[float, ...] | np.ndarray, end: tuple[float, ...] | np.ndarray, t: np.ndarray
) -> np.ndarray:
    return np.asarray(start, dtype=np.float32) + (np.asarray(end, dtype=np.float32) - start) * t


def _smooth_noise(rng: np.random.Generator, length: int) -> np.ndarray:
    """A ridge line in [-1, 1]: a random walk smoothed by a moving average."""
    walk = np.cumsum(rng.normal(0, 1, length + 40))
    smooth = np.convolve(walk, np.ones(41) / 41, mode="valid")[:length]
    return (smooth - smooth.mean()) / (np.abs(smooth - smooth.mean()).max() + 1e-6)


if __name__ == "__main__":
    for case in write_examples():
        print(f"{case['name']}: {', '.join(case['images'])} -> {case['reference']}")
