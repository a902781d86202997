"""Write a synthetic image-edit dataset in the trainer's format (docs/CONVENTIONS.md, "Training data").

Dataset format: `OUT/{train,val,test}.jsonl`, one sample a line, and `OUT/images/<split>/<index>_<a|b|c>.png`
(`--size` px squares, oldest first). The user turn is `<image>` per image plus `EDIT_PROMPT` (2 images) or
`SEQUENCE_PROMPT` (3 images); the answer is the instruction, or one sentence per edit in order (with
`--observations`, an edit of one object in place first says what the object was and became). `meta.edits`
holds one record per consecutive pair: category, operation, instruction, the object before and after,
backgrounds, and the changed region as `bbox`/`boxes` in pixels. `OUT/describe.jsonl` holds one record per
training image, `DESCRIBE_PROMPT` and the scene's description: the single-image pretraining stage of the demo
models (docs/RECIPE.md).

Every sample has its own random generator seeded by (seed, split, index), so a sample's bytes depend on
nothing else: growing `--n-train` keeps the earlier samples, and each split draws from its own streams.

No-edit pairs (`--no-edit-share`, default 0 so the shipped splits stay byte-identical): with that probability,
drawn from a stream of its own, a sample becomes a pair whose second image is the first unchanged or after one
nuisance (`nuisance.py`: JPEG, brightness, contrast, noise, resize, 1-2 px shift), answered `synthetic.NO_EDIT`
and recorded as `meta.edits: []` with `meta.no_edit.nuisance`; every other sample keeps its bytes.
`--n-nuisance N` writes `OUT/nuisance.jsonl`: N nuisance-only pairs (never identical) for evaluation.

    python -m apps.image_diff.synthetic.make_dataset --out data/image_diff --n-train 4000 --n-val 200 --n-test 200
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass
from pathlib import Path

from apps.image_diff.synthetic.edits import (
    DESCRIBE_PROMPT,
    NO_EDIT,
    answer,
    describe,
    random_sequence,
    user_prompt,
)
from apps.image_diff.synthetic.nuisance import NUISANCES, Nuisance, apply
from apps.image_diff.synthetic.render import render
from apps.image_diff.synthetic.scene import EditSequence
from sve_core.errors import module_main
from sve_core.jsonl import write_jsonl

MIN_SIZE = 48
NUISANCE_SPLIT = "nuisance"


@dataclass(frozen=True)
class DatasetConfig:
    """What a dataset is generated from; equal configs give byte-identical datasets."""

    out: Path
    n_train: int = 4000
    n_val: int = 200
    n_test: int = 200
    seed: int = 0
    size: int = 96
    max_images: int = 2
    observations: bool = False  # answers state what the edited object was and became (`answers.observed`)
    no_edit_share: float = 0.0  # share of samples, in every split, that are no-edit pairs
    n_nuisance: int = 0  # nuisance-only no-edit pairs in OUT/nuisance.jsonl

    def __post_init__(self) -> None:
        if min(self.n_train, self.n_val, self.n_test, self.n_nuisance) < 0:
            raise ValueError(
                f"sample counts must be >= 0, got {self.n_train}/{self.n_val}/{self.n_test}/{self.n_nuisance}"
            )
        if not 0.0 <= self.no_edit_share <= 1.0:
            raise ValueError(f"--no-edit-share must be between 0 and 1, got {self.no_edit_share}")
        if self.size < MIN_SIZE:
            raise ValueError(
                f"--size must be at least {MIN_SIZE} px (smaller shapes vanish), got {self.size}"
            )
        if self.max_images not in (2, 3):
            raise ValueError(f"--max-images must be 2 or 3, got {self.max_images}")


def write_dataset(config: DatasetConfig) -> None:
    """Write all three splits; refuses a non-empty folder so no stale image survives from an older run."""
    if config.out.exists() and any(config.out.iterdir()):
        raise ValueError(f"{config.out}: folder is not empty; expected a new or empty folder")
    for split, count in (("train", config.n_train), ("val", config.n_val), ("test", config.n_test)):
        singles = write_split(config, split, count)
        if split == "train":
            write_jsonl(config.out / "describe.jsonl", singles)
    if config.n_nuisance:
        write_split(config, NUISANCE_SPLIT, config.n_nuisance)


def write_split(config: DatasetConfig, split: str, count: int) -> list[dict]:
    """Write `split.jsonl` and its images; with `max_images` 3, each sample has 2 or 3 images at even odds.
    Returns the single-image description record of every image written."""
    image_dir = config.out / "images" / split
    image_dir.mkdir(parents=True, exist_ok=True)
    singles, records = [], []
    for index in range(1, count + 1):
        rng = random.Random(f"{config.seed}:{split}:{index}")
        nuisance = _no_edit(config, split, index)
        num_images = rng.choice((2, 3)) if config.max_images == 3 and nuisance is None else 2
        sequence = random_sequence(rng, num_images)
        if nuisance is not None:
            sequence = EditSequence(sequence.scenes[:1] * 2, ())
        images = []
        for letter, scene in zip("abc", sequence.scenes, strict=False):
            relative = f"images/{split}/{index:06d}_{letter}.png"
            image = render(scene, config.size)
            if nuisance is not None and letter == "b":
                image = apply(image, nuisance, random.Random(f"{config.seed}:{split}:{index}:{nuisance}"))
            image.save(config.out / relative)
            images.append(relative)
        record = {
            "messages": [
                {"role": "user", "content": user_prompt(num_images)},
                {
                    "role": "assistant",
                    "content": NO_EDIT if nuisance else answer(sequence.edits, observations=config.observations),
                },
            ],
            "images": images,
            "meta": {"edits": [edit.meta(config.size) for edit in sequence.edits]},
        }
        if nuisance is not None:
            record["meta"]["no_edit"] = {"nuisance": nuisance}
        records.append(record)
        singles += [
            {"messages": [{"role": "user", "content": DESCRIBE_PROMPT},
                          {"role": "assistant", "content": describe(scene)}], "images": [image]}
            for image, scene in zip(images, sequence.scenes, strict=True)
        ]
    write_jsonl(config.out / f"{split}.jsonl", records)
    return singles


def _no_edit(config: DatasetConfig, split: str, index: int) -> Nuisance | None:
    """The nuisance of a no-edit sample, None for an edit; drawn apart from the sample's own stream."""
    rng = random.Random(f"{config.seed}:{split}:{index}:no-edit")
    if split == NUISANCE_SPLIT:
        return rng.choice(NUISANCES)
    if rng.random() >= config.no_edit_share:
        return None
    return rng.choice(("identical", *NUISANCES))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The generator's flags, shared by `python -m apps.image_diff.synthetic.make_dataset` and any `sve` subcommand."""
    parser.add_argument("--out", type=Path, required=True, help="new or empty folder to write the dataset to")
    parser.add_argument("--n-train", type=int, default=4000, help="number of training samples")
    parser.add_argument("--n-val", type=int, default=200, help="number of validation samples")
    parser.add_argument("--n-test", type=int, default=200, help="number of test samples")
    parser.add_argument("--seed", type=int, default=0, help="seed; the same seed gives the same bytes")
    parser.add_argument("--size", type=int, default=96, help="image side in pixels")
    parser.add_argument(
        "--max-images", type=int, choices=(2, 3), default=2, help="3 mixes in 3-image sequences (two edits)"
    )
    parser.add_argument(
        "--observations",
        action="store_true",
        help="answers of one-object edits first say what the object was and became (the demo model's stage 2b)",
    )
    parser.add_argument(
        "--no-edit-share",
        type=float,
        default=0.0,
        help="share of samples in every split that are no-edit pairs (identical or nuisance only), answered "
        f"{NO_EDIT!r}; default 0 keeps older datasets byte-identical",
    )
    parser.add_argument(
        "--n-nuisance",
        type=int,
        default=0,
        help="number of nuisance-only no-edit pairs to write as OUT/nuisance.jsonl (default 0: none)",
    )


def run(args: argparse.Namespace) -> int:
    config = DatasetConfig(
        out=args.out,
        n_train=args.n_train,
        n_val=args.n_val,
        n_test=args.n_test,
        seed=args.seed,
        size=args.size,
        max_images=args.max_images,
        observations=args.observations,
        no_edit_share=args.no_edit_share,
        n_nuisance=args.n_nuisance,
    )
    start = time.perf_counter()
    write_dataset(config)
    total = config.n_train + config.n_val + config.n_test + config.n_nuisance
    print(f"wrote {total} samples to {config.out} in {time.perf_counter() - start:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    return module_main("apps.image_diff.synthetic.make_dataset", __doc__, add_arguments, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
