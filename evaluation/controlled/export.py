"""Writing a seeded task generator out as a training dataset folder (docs/CONVENTIONS.md layout).

Dataset format::

    OUT/train.jsonl, OUT/val.jsonl, OUT/test.jsonl
    OUT/images/<split>/<index>_<a|b|c|...>.png      (oldest image first)

Each line: ``{"messages": [{"role": "user", "content": "<image>...<image>PROMPT"}, {"role": "assistant",
"content": "ANSWER"}], "images": [...], "meta": {...}}``. Every example draws from its own
``random.Random(f"{seed}/{split}/{index}")``, so a dataset is byte-for-byte reproducible, one example does not
depend on how many others were written, and train/val/test never share a stream.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from tqdm.auto import tqdm

from sve_core.jsonl import write_jsonl

SPLITS: tuple[str, ...] = ("train", "val", "test")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Example:
    """One sample of a task: images oldest first, the question, the exact answer, ground truth for scoring."""

    images: tuple[Image.Image, ...]
    prompt: str
    answer: str
    meta: dict[str, Any] = field(default_factory=dict)


Generator = Callable[[random.Random], Example]


def example_rng(seed: int, split: str, index: int) -> random.Random:
    return random.Random(f"{seed}/{split}/{index}")


def mixture(generators: Sequence[Generator], weights: Sequence[float] | None = None) -> Generator:
    """A generator drawing each example from one of `generators` (e.g. a pretraining mix of several tasks)."""
    def generate(rng: random.Random) -> Example:
        return rng.choices(list(generators), weights=weights)[0](rng)
    return generate


def record(example: Example, image_paths: Sequence[str]) -> dict[str, Any]:
    """The JSONL object of one example whose images were saved at `image_paths`."""
    user = "<image>" * len(image_paths) + example.prompt
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": example.answer}],
            "images": list(image_paths), "meta": example.meta}


def write_dataset(out_dir: str | Path, generate: Generator, sizes: Mapping[str, int], *, seed: int = 0,
                  progress: bool = True) -> Path:
    """Write ``sizes[split]`` examples of `generate` per split into `out_dir`; returns the folder."""
    out = Path(out_dir)
    for split, count in sizes.items():
        folder = out / "images" / split
        folder.mkdir(parents=True, exist_ok=True)
        records = []
        for index in tqdm(range(count), desc=f"{out.name}/{split}", disable=not progress, leave=False):
            example = generate(example_rng(seed, split, index))
            paths = []
            for k, image in enumerate(example.images):
                relative = f"images/{split}/{index:06d}_{LETTERS[k]}.png"
                image.save(out / relative)
                paths.append(relative)
            records.append(record(example, paths))
        write_jsonl(out / f"{split}.jsonl", records)  # renamed when complete: readers never see half a file
    return out
