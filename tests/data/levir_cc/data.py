#!/usr/bin/env python3
"""Writes a tiny fake LEVIR-CC in the real layout: `LevirCCcaptions.json` + `images/{split}/{A,B}/<split>_NNNNNN.png`.

Raw sentences keep the real file's quirks (a leading space, " ." at the end); images are 16x16 instead of 256x256.
Run from anywhere: `python tests/data/levir_cc/data.py` rewrites the files beside this script.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
SPLITS = {"train": 3, "val": 2, "test": 4}
NO_CHANGE = [
    "the scene is the same as before",
    "there is no difference",
    "nothing has changed",
    "the two scenes seem identical",
    "no change has occurred",
]
CHANGE = [
    "a road is built near the houses",
    "many houses are constructed along the road",
    "some trees are removed to build a house",
    "a new building appears in the bottom left corner",
    "the bareland is replaced by several villas",
]


def _image(rng: np.random.Generator, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)).save(path, optimize=True)


def main() -> None:
    rng = np.random.default_rng(0)
    pick = random.Random(0)
    images, imgid, sentid = [], 0, 0
    for split, count in SPLITS.items():
        for n in range(count):
            filename = f"{split}_{n:06d}.png"
            changed = n % 2 == 0
            pool = CHANGE if changed else NO_CHANGE
            sentences = []
            for text in pick.sample(pool, 5):
                raw = f" {text} ."
                sentences.append({"tokens": text.split(" "), "raw": raw, "imgid": imgid, "sentid": sentid})
                sentid += 1
            images.append(
                {
                    "filepath": split,
                    "filename": filename,
                    "imgid": imgid,
                    "split": split,
                    "sentids": [s["sentid"] for s in sentences],
                    "changeflag": int(changed),
                    "sentences": sentences,
                }
            )
            for side in ("A", "B"):
                _image(rng, HERE / "images" / split / side / filename)
            imgid += 1
    (HERE / "LevirCCcaptions.json").write_text(json.dumps({"images": images}))


if __name__ == "__main__":
    main()
