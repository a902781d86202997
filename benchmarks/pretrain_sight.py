"""Can a tiny VLM learn where a red dot is? The design study's pretraining check, on single-dot data alone.

    python benchmarks/pretrain_sight.py --family qwen3_vl --split-digits [--steps 1500] [--out runs/sight]

Pretrains the full preset's model (vision and text 4 x 128, 112 px) on "Where is the red dot?" alone (8,000 images,
seed 0, 1 CPU thread) and prints `pretrain_check` on 200 held-out images: MAE / RMSE x10^-2 per coordinate next
to always answering the centre. docs/RECIPE.md ("A pretraining that sees") has the four runs that chose the full
preset's family and tokenizer.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from evaluation.controlled.bench import _stage, full, pretrain_check
from evaluation.controlled.export import mixture, write_dataset
from evaluation.controlled.recipe import pretrain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--family", default="qwen3_vl", help="tiny family (sve_core.tiny.FAMILIES)")
    parser.add_argument("--split-digits", action="store_true", help="one token per digit")
    parser.add_argument("--steps", type=int, default=1500, help="pretraining steps (batch 16, lr 3e-4)")
    parser.add_argument("--out", default="runs/sight", help="work folder (data shared between runs)")
    args = parser.parse_args()

    settings = full()
    out = Path(args.out)
    data = out / "data"
    if not (data / "val.jsonl").is_file():
        write_dataset(data, mixture([settings.dots.locate]), {"train": 8000, "val": 200}, seed=0)
    tiny = dataclasses.replace(settings.recipe.tiny, split_digits=args.split_digits)
    recipe = dataclasses.replace(settings.recipe, family=args.family, tiny=tiny,
                                 pretrain=_stage(args.steps, 3e-4, 16))
    began = time.perf_counter()
    name = f"{args.family}{'-digits' if args.split_digits else ''}-{args.steps}"
    model = pretrain(recipe, data, out / name, vocabulary=[data / "train.jsonl"])
    check = pretrain_check(model, data)
    print(json.dumps({"family": args.family, "split_digits": args.split_digits, "steps": args.steps,
                      "train_seconds": round(time.perf_counter() - began), **check}))


if __name__ == "__main__":
    main()
