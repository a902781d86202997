"""Medical-Diff-VQA difference questions -> the trainer's JSONL, with the MIMIC-CXR-JPG images resized the way
`CxrPredictor` feeds its model.

    python -m apps.cxr.medical_diff_vqa_to_jsonl --data PHYSIONET_DIR --images MIMIC_CXR_JPG_DIR \\
        --out data/medical_diff_vqa --workers 16

Items come from `evaluation.datasets.medical_diff_vqa.MedicalDiffVQA`, the loader `sve eval cxr-diff` scores
with: the same rows, the same frontal image per study (PA over AP, then the smallest dicom_id). Each image is
decoded by the app's bitmap reader and written through `predictor.model_input(--size)` (long side to the size,
zero-padded square, 8-bit grey), so training, `sve eval cxr-diff --model` and `sve cxr report` see one geometry.

Dataset format written (OUT keeps MIMIC-CXR-JPG's layout, so it can be `sve eval cxr-diff --images OUT`):
    OUT/{train,val,test}.jsonl   {"messages": [{"role": "user", "content": "<image><image>" + the row's question},
                                  {"role": "assistant", "content": the row's answer}],
                                  "images": [prior, current], "meta": {"id": row index of the CSV}}
    OUT/files/pXX/pXXXXXXXX/sXXXXXXXX/<dicom_id>.jpg   every image the questions use, once, JPEG quality 95
    OUT/mimic-cxr-2.0.0-metadata.csv(.gz)               copied from --images, for the evaluation loader
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from multiprocessing import Pool
from pathlib import Path

from tqdm import tqdm

from evaluation.datasets.medical_diff_vqa import METADATA, MedicalDiffVQA
from sve_core.data import IMAGE_PLACEHOLDER
from sve_core.errors import module_main
from sve_core.jsonl import write_jsonl

SPLITS = ("train", "val", "test")
PROMPT_PREFIX = IMAGE_PLACEHOLDER * 2  # reference (prior) image, then main (current) image


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="folder with mimic_pair_questions.csv")
    parser.add_argument(
        "--images",
        type=Path,
        required=True,
        help="MIMIC-CXR-JPG root: mimic-cxr-2.0.0-metadata.csv(.gz) and files/pXX/...",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder; must be empty or not exist")
    parser.add_argument(
        "--size",
        type=int,
        help="side of the square images in pixels (default: apps.cxr.report.predictor.INPUT_SIZE, 512, which "
        "`sve cxr report --model` assumes); pass the same --size to `sve cxr report` if you change it",
    )
    parser.add_argument(
        "--splits",
        nargs="+",
        choices=SPLITS,
        default=list(SPLITS),
        help="splits to write (default: all three)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="processes resizing images in parallel (default 1)"
    )


def run(args: argparse.Namespace) -> int:
    """Write the JSONL files and the resized images; raises `ValueError`/`OSError` for inputs a user must fix."""
    from apps.cxr.report.predictor import INPUT_SIZE

    size = INPUT_SIZE if args.size is None else args.size
    if args.workers < 1 or size < 16:
        raise ValueError(f"expected --workers >= 1 and --size >= 16, got {args.workers} and {size}")
    if args.out.exists() and any(args.out.iterdir()):
        raise ValueError(f"--out {args.out} is not empty; choose a new folder so no old record is mixed in")
    splits = {split: MedicalDiffVQA(args.data, split, images_root=args.images) for split in args.splits}
    sources = sorted(
        {Path(path) for dataset in splits.values() for item in dataset.items for path in item["images"]}
    )
    jobs = [(source, args.out / source.relative_to(args.images), size) for source in sources]
    with Pool(args.workers, initializer=_init_worker) as pool:
        for _ in tqdm(pool.imap_unordered(_resize, jobs, chunksize=16), total=len(jobs), desc="images"):
            pass
    for split, dataset in splits.items():
        write_jsonl(args.out / f"{split}.jsonl", [_record(item, args.images) for item in dataset.items])
    metadata = next(
        args.images / name for name in (f"{METADATA}.gz", METADATA) if (args.images / name).exists()
    )
    shutil.copy2(metadata, args.out / metadata.name)
    counts = ", ".join(f"{split} {len(dataset)}" for split, dataset in splits.items())
    print(f"wrote {counts} pairs and {len(jobs)} images at {size} px to {args.out}")
    return 0


def _record(item: dict, images_root: Path) -> dict:
    return {
        "messages": [
            {"role": "user", "content": PROMPT_PREFIX + item["question"]},
            {"role": "assistant", "content": item["answer"]},
        ],
        "images": [Path(path).relative_to(images_root).as_posix() for path in item["images"]],
        "meta": {"id": item["id"]},
    }


def _init_worker() -> None:
    """Parallelism comes from `--workers`; torch's intra-op threads (MONAI runs on torch) would oversubscribe."""
    import torch

    torch.set_num_threads(1)


def _resize(job: tuple[Path, Path, int]) -> None:
    """Decode, transform and write one image; runs in a worker process. The app's modules are imported here,
    not at the top, because they import MONAI and transformers, which `--help` should not wait for."""
    from apps.cxr.dicom.bitmap import load_bitmap
    from apps.cxr.report.predictor import model_input

    source, target, size = job
    target.parent.mkdir(parents=True, exist_ok=True)
    model_input(load_bitmap(source), size).save(target, quality=95)


def main(argv: Sequence[str] | None = None) -> int:
    return module_main("apps.cxr.medical_diff_vqa_to_jsonl", __doc__, add_arguments, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
