"""Turn a LEVIR-CC download into the trainer's JSONL (docs/CONVENTIONS.md, "Training data"), images in place.

    python -m apps.rs_change.levircc_to_jsonl --data data/Levir-CC-dataset --out data/levircc_sft
    (or: sve rs levircc-jsonl --data ... --out ...)

Reads the release with the evaluation loader (`evaluation.datasets.levir_cc.LevirCC`), so training and scoring
see the same pairs. Writes `OUT/{train,val,test}.jsonl`; every record points at the release's own PNGs
(`images/<split>/{A,B}/<name>.png`, 256 px, before first) by a path relative to OUT, so nothing is copied.
The user turn is `<image><image>` + `CHANGE_PROMPT`, the instruction the synthetic export and the predictor
use; the answer is a reference sentence (its tokens joined, plus "."), `meta` holds the pair's id, change
flag and all its references.

Training pairs give one record per distinct reference sentence (`--train-captions all`: about 5 x 6,815
records, how change-captioning models are usually trained on LEVIR-CC) or one per pair (`first`); validation
and test pairs give one record each (the first sentence), enough for a held-out loss.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, Literal

from evaluation.datasets.levir_cc import PROMPT as CHANGE_PROMPT
from evaluation.datasets.levir_cc import LevirCC, LevirCCItem
from evaluation.errors import DatasetFormatError
from sve_core.errors import module_main
from sve_core.jsonl import write_jsonl

SPLITS = ("train", "val", "test")


def sentences(item: LevirCCItem) -> list[str]:
    """The pair's distinct reference sentences, in the release's order, as answers."""
    answers = [" ".join(tokens).strip() for tokens in item["tokens"]]
    if not all(answers):
        raise DatasetFormatError(f"LEVIR-CC {item['split']} pair {item['id']}: a sentence has no tokens")
    return [f"{answer}." for answer in dict.fromkeys(answers)]


def records(item: LevirCCItem, out: Path, *, every_sentence: bool) -> list[dict[str, Any]]:
    images = [os.path.relpath(Path(path).resolve(), out.resolve()) for path in item["images"]]
    answers = sentences(item)
    meta = {"id": item["id"], "changeflag": int(item["changed"]), "references": answers}
    return [
        {
            "messages": [
                {"role": "user", "content": "<image><image>" + CHANGE_PROMPT},
                {"role": "assistant", "content": answer},
            ],
            "images": images,
            "meta": meta,
        }
        for answer in (answers if every_sentence else answers[:1])
    ]


def convert(data: Path, out: Path, *, train_captions: Literal["all", "first"] = "all") -> dict[str, int]:
    """Write the three JSONL files; returns records per split."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split in SPLITS:
        every = split == "train" and train_captions == "all"
        rows = [row for item in LevirCC(data, split) for row in records(item, out, every_sentence=every)]
        write_jsonl(out / f"{split}.jsonl", rows)
        counts[split] = len(rows)
    return counts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The converter's flags, shared by `python -m apps.rs_change.levircc_to_jsonl` and `sve rs
    levircc-jsonl`."""
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        help="LEVIR-CC folder: LevirCCcaptions.json and images/{train,val,test}/{A,B}/",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for {train,val,test}.jsonl (images stay where they are)",
    )
    parser.add_argument(
        "--train-captions",
        choices=("all", "first"),
        default="all",
        help="all: one training record per distinct reference sentence (default); first: one per pair",
    )


def run(args: argparse.Namespace) -> int:
    counts = convert(args.data, args.out, train_captions=args.train_captions)
    print(f"wrote {', '.join(f'{n} {split}' for split, n in counts.items())} records to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return module_main("apps.rs_change.levircc_to_jsonl", __doc__, add_arguments, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
