"""Seeded fake multi-image SFT data in the suite's training format, written into a test's tmp_path.

Each sample shows 2 or 3 small images with one red dot and asks where it went; every fourth sample carries a
finished earlier exchange (history) so `supervise: all` has more than one answer to learn. Run
`python tests/data/sharegpt/data.py DIR` to write a sample set and look at it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 56  # pixels; TinySpec's default image_size, so each image is 4 language-model tokens in Qwen2-VL
PROMPTS = ("where did the red dot move?", "describe the change of the red dot.")
HISTORY_QUESTION = "how many images are there?"


def dot_image(x: int, y: int) -> Image.Image:
    pixels = np.full((SIZE, SIZE, 3), 255, dtype=np.uint8)
    pixels[max(y - 4, 0) : y + 4, max(x - 4, 0) : x + 4] = (220, 30, 30)
    return Image.fromarray(pixels)


def answer(points: list[tuple[int, int]]) -> str:
    dx, dy = points[-1][0] - points[0][0], points[-1][1] - points[0][1]
    horizontal = "right" if dx > 0 else "left"
    vertical = "down" if dy > 0 else "up"
    distance = np.hypot(dx, dy) / np.hypot(SIZE, SIZE)
    return f"the dot moved {horizontal} and {vertical}, distance {distance:.4f}."


def write_split(root: Path, split: str, count: int, rng: np.random.Generator) -> Path:
    (root / "images" / split).mkdir(parents=True, exist_ok=True)
    path = root / f"{split}.jsonl"
    with path.open("w") as out:
        for index in range(count):
            n = int(rng.integers(2, 4))
            points = [(int(rng.integers(4, SIZE - 4)), int(rng.integers(4, SIZE - 4))) for _ in range(n)]
            names = []
            for t, (x, y) in enumerate(points):
                name = f"images/{split}/{index:06d}_{'abc'[t]}.png"
                dot_image(x, y).save(root / name)
                names.append(name)
            messages = []
            if index % 4 == 3:
                messages += [
                    {"role": "user", "content": HISTORY_QUESTION},
                    {"role": "assistant", "content": f"there are {n} images."},
                ]
            prompt = PROMPTS[index % len(PROMPTS)]
            messages += [
                {"role": "user", "content": "<image>" * n + prompt},
                {"role": "assistant", "content": answer(points)},
            ]
            out.write(json.dumps({"messages": messages, "images": names, "meta": {"points": points}}) + "\n")
    return path


def write_dataset(root: Path, *, train: int = 16, val: int = 4, seed: int = 0) -> Path:
    """Write `train.jsonl` and `val.jsonl` (+ images) under `root`; returns `root`."""
    rng = np.random.default_rng(seed)
    write_split(root, "train", train, rng)
    write_split(root, "val", val, rng)
    return root


if __name__ == "__main__":
    print(write_dataset(Path(sys.argv[1])))
