#!/usr/bin/env python3
"""Writes a tiny fake ImgEdit-style comparison set in the layout `evaluation.datasets.imgedit` documents:
`test.jsonl` (one edit per line: id, edit_type, input_images, output_images, prompt) and the images it names
under `images/<id>/`. One row per edit type; the two multi-turn types carry a 3-image sequence.
Run `python tests/data/imgedit/data.py` to rewrite the files beside this script.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
EDITS = [
    ("add", "Add a red umbrella to the table on the left."),
    ("adjust", "Make the car in the middle bright yellow."),
    ("background", "Change the background to a snowy mountain range."),
    ("content memory", "Add a green vest to the man.\nMake the vest you added earlier brown leather."),
    ("content understanding", "Remove the cup.\nReplace the object left of where the cup was with a lamp."),
    ("remove", "Remove the group of people walking in the far right."),
    ("replace", "Replace the dog on the sofa with a cat."),
]


def main() -> None:
    rng = np.random.default_rng(0)
    lines = []
    for n, (edit_type, prompt) in enumerate(EDITS):
        item = f"{edit_type.replace(' ', '_')}_{n:03d}"
        multi_turn = "\n" in prompt
        inputs = [f"images/{item}/origin_0.png" if multi_turn else f"images/{item}/original.png"]
        outputs = (
            [f"images/{item}/result_0.png", f"images/{item}/result_1.png"]
            if multi_turn
            else [f"images/{item}/result.png"]
        )
        for relative in inputs + outputs:
            path = HERE / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)).save(path, optimize=True)
        record = {
            "id": item,
            "edit_type": edit_type,
            "input_images": inputs,
            "output_images": outputs,
            "prompt": prompt,
        }
        lines.append(json.dumps(record))
    (HERE / "test.jsonl").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
