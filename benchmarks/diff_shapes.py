"""Does an image_diff model see shapes? Object-level recall of its single-image descriptions on held-out scenes.

    python benchmarks/diff_shapes.py --model runs/demo/image_diff_stage1b [--images 300] [--seed 7] [--size 96]

Writes a fresh synthetic edit dataset (generator seed `--seed`, not the demo data's 0; temporary folder, removed
afterwards), asks the model `DESCRIBE_PROMPT` on `--images` of its images, and counts, over the objects of the
reference descriptions, how often the answer names an object of the same colour, and of the same colour and shape.
A model of the stage-1 recipe (docs/RECIPE.md) that gets colours right but shapes wrong cannot tell a recolour from
a replacement later, whatever stage 2 does.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

from apps.image_diff.synthetic.edits import DESCRIBE_PROMPT
from apps.image_diff.synthetic.make_dataset import DatasetConfig, write_dataset
from apps.image_diff.synthetic.scene import COLORS, SHAPES
from sve_core.data import IMAGE_PLACEHOLDER
from sve_core.inference import Request, load_describer
from sve_core.jsonl import read_jsonl

OBJECT = re.compile(rf"\b({'|'.join(COLORS)}) ({'|'.join(SHAPES)})\b")


def recall(references: list[str], answers: list[str]) -> tuple[int, int, int]:
    """(objects, colour named, colour and shape named) over the reference descriptions' objects."""
    objects = colour = both = 0
    for reference, answer in zip(references, answers, strict=True):
        named = OBJECT.findall(answer)
        for wanted_colour, wanted_shape in OBJECT.findall(reference):
            objects += 1
            colour += any(c == wanted_colour for c, _ in named)
            both += (wanted_colour, wanted_shape) in named
    return objects, colour, both


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="model folder (e.g. a stage-1b run) or hub id")
    parser.add_argument("--images", type=int, default=300, help="images to describe (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed of the held-out scenes (default 7)")
    parser.add_argument("--size", type=int, default=96, help="image side in px (default 96, the demo data's)")
    parser.add_argument("--batch-size", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        # each pair gives two described images; the val and test splits are not needed
        write_dataset(DatasetConfig(Path(folder), n_train=(args.images + 1) // 2, n_val=0, n_test=0, seed=args.seed,
                                    size=args.size))
        rows = read_jsonl(Path(folder) / "describe.jsonl")
        rows = rows[: args.images]
        describer = load_describer(args.model, max_new_tokens=64)
        prompt = DESCRIBE_PROMPT.removeprefix(IMAGE_PLACEHOLDER)
        requests = [Request([Path(folder) / row["images"][0]], prompt) for row in rows]
        answers = [answer.text for answer in describer.predict(requests, batch_size=args.batch_size)]
    references = [row["messages"][1]["content"] for row in rows]
    objects, colour, both = recall(references, answers)
    print(f"{args.model}: {len(rows)} held-out images (seed {args.seed}), {objects} objects")
    print("| colour named | colour and shape named | shape given the colour |\n|---|---|---|")
    print(f"| {100 * colour / objects:.1f}% | {100 * both / objects:.1f}% | {100 * both / max(colour, 1):.1f}% |")
    print(f"first image: reference {references[0]!r}\n             answer    {answers[0]!r}")


if __name__ == "__main__":
    main()
