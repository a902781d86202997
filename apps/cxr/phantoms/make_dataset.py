"""Generate a synthetic longitudinal chest X-ray dataset: DICOM studies plus the trainer's JSONL export.

    python -m apps.cxr.phantoms.make_dataset --out data/cxr_phantoms --n-train 4000 --n-val 400 --n-test 400 --seed 0

Dataset format (docs/CONVENTIONS.md):
    OUT/{train,val,test}.jsonl          one record per prior/current pair, prompt `CHANGE_QUESTION`
    OUT/describe.jsonl                  one record per training image, prompt `FINDINGS_QUESTION`: the
                                        single-image pretraining stage of the demo models (docs/RECIPE.md)
    OUT/images/<split>/NNNNNN_a.png     prior (reference), `--size` px, 8-bit grey
    OUT/images/<split>/NNNNNN_b.png     current (main)
    OUT/dicom/<split>/patient_NNNNNN/study_{1,2}/image_{1,2}.dcm
                                        the same visits as DICOM; about 30 % of studies also hold a
                                        lateral view, in either file slot, that loaders must skip
`meta` holds the ground truth: `added`, `missing`, the findings and severities of both visits, views and the
DICOM study folders. The PNGs are made by loading those DICOM studies back with `apps.cxr.load_studies` and
`model_transform`, so training images pass through exactly the pipeline a hospital file will.
Records are seeded individually from (seed, split, index): a dataset is reproducible file for file whatever
`--workers` is, and growing `--n-train` keeps the first records unchanged.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from multiprocessing import Pool
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from tqdm import tqdm

from apps.cxr.phantoms.patients import (
    CHANGE_QUESTION,
    FINDINGS,
    FINDINGS_QUESTION,
    PhantomPair,
    Visit,
    findings_answer,
    sample_pair,
)
from sve_core.errors import module_main
from sve_core.jsonl import write_jsonl

if TYPE_CHECKING:
    from apps.cxr.phantoms.dicom_writer import PhantomIdentity

SPLITS = ("train", "val", "test")
_FIRST_DAY = datetime(2100, 1, 1)
# A frontal image without ViewPosition (when it is alone in its study) exercises the loader's fallback.
_MISSING_VIEW_RATE = 0.05


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="output folder; must be empty or not exist")
    parser.add_argument("--n-train", type=int, default=4000, help="training pairs (default 4000)")
    parser.add_argument("--n-val", type=int, default=400, help="validation pairs (default 400)")
    parser.add_argument("--n-test", type=int, default=400, help="test pairs (default 400)")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed; same seed, same files (default 0)")
    parser.add_argument(
        "--size", type=int, default=96, help="side of the exported PNGs in pixels (default 96)"
    )
    parser.add_argument(
        "--dicom-size",
        type=int,
        default=256,
        help="side of the rendered DICOM images in pixels (default 256)",
    )
    parser.add_argument("--workers", type=int, default=1, help="processes rendering in parallel (default 1)")


def run(args: argparse.Namespace) -> int:
    """Write the dataset described by `args`; raises `ValueError` for arguments a user must change."""
    counts = {"train": args.n_train, "val": args.n_val, "test": args.n_test}
    if min(counts.values()) < 0 or args.workers < 1:
        raise ValueError("--n-train/--n-val/--n-test must be >= 0 and --workers >= 1")
    if not 16 <= args.size <= args.dicom_size:
        raise ValueError(
            f"expected 16 <= --size <= --dicom-size, got --size {args.size}, --dicom-size {args.dicom_size}"
        )
    if args.out.exists() and any(args.out.iterdir()):
        raise ValueError(f"--out {args.out} is not empty; choose a new folder so no old record is mixed in")
    jobs, first_patient = [], 1
    for split_index, split in enumerate(SPLITS):
        jobs += [(args, split_index, index, first_patient + index) for index in range(counts[split])]
        first_patient += counts[split]
    records: dict[str, list[dict]] = {split: [] for split in SPLITS}
    with Pool(args.workers, initializer=_init_worker) as pool:
        for split, record in tqdm(
            pool.imap(_make_record, jobs, chunksize=8), total=len(jobs), desc="phantoms"
        ):
            records[split].append(record)
    for split in SPLITS:
        write_jsonl(args.out / f"{split}.jsonl", records[split])
    write_jsonl(args.out / "describe.jsonl", (r for record in records["train"] for r in describe_records(record)))
    print(f"wrote {len(jobs)} pairs ({', '.join(f'{s} {len(r)}' for s, r in records.items())}) to {args.out}")
    return 0


def _init_worker() -> None:
    """Worker setup. The studies trigger the loader's fallbacks on purpose (a missing ViewPosition), so its
    warnings are noise here. Parallelism comes from `--workers`: torch's intra-op threads (MONAI transforms
    run on torch) would only oversubscribe the cores, which made them ~30x slower on a busy machine."""
    import torch  # imported here for the same reason as the loader in `_make_record`

    logging.getLogger("apps.cxr").setLevel(logging.ERROR)
    torch.set_num_threads(1)


def _make_record(job: tuple[argparse.Namespace, int, int, int]) -> tuple[str, dict]:
    """Render, write and re-load one pair; runs in a worker process.

    The loader is imported here, not at the top, because it imports MONAI (~10 s): `--help` and the `sve` CLI
    that registers these arguments should not wait for it.
    """
    from apps.cxr.dicom.studies import load_studies
    from apps.cxr.dicom.transforms import model_transform
    from apps.cxr.phantoms.dicom_writer import PhantomIdentity

    args, split_index, index, patient_number = job
    split = SPLITS[split_index]
    rng = np.random.default_rng([args.seed, split_index, index])
    pair = sample_pair(rng)
    acquired = _FIRST_DAY + timedelta(days=float(rng.uniform(0, 3650)))
    study_dirs = []
    for number, visit in enumerate((pair.prior, pair.current), start=1):
        folder = args.out / "dicom" / split / f"patient_{patient_number:06d}" / f"study_{number}"
        identity = PhantomIdentity(
            seed=args.seed, patient=patient_number, study=number, image=1, acquired=acquired
        )
        _write_study(folder, pair, visit, identity, args.dicom_size, rng)
        study_dirs.append(folder)
        acquired += timedelta(days=float(rng.uniform(1, 720)))
    prior, current = load_studies(study_dirs)
    to_model = model_transform(args.size)
    images = []
    for suffix, study in zip("ab", (prior, current), strict=True):
        relative = Path("images") / split / f"{index + 1:06d}_{suffix}.png"
        (args.out / relative).parent.mkdir(parents=True, exist_ok=True)
        pixels = to_model(study.image.pixels)[0]
        Image.fromarray(np.round(pixels * 255).astype(np.uint8)).save(args.out / relative)
        images.append(relative.as_posix())
    record = {
        "messages": [
            {"role": "user", "content": CHANGE_QUESTION},
            {"role": "assistant", "content": pair.answer},
        ],
        "images": images,
        "meta": _meta(pair, [d.relative_to(args.out).as_posix() for d in study_dirs]),
    }
    return split, record


def describe_records(record: dict) -> list[dict]:
    """The single-image records of a pair record: each of its two images and the findings that visit shows."""
    meta = record["meta"]
    return [
        {
            "messages": [
                {"role": "user", "content": FINDINGS_QUESTION},
                {"role": "assistant", "content": findings_answer(meta[key])},
            ],
            "images": [image],
            "meta": {"findings": meta[key], "synthetic": True},
        }
        for image, key in zip(record["images"], ("prior_findings", "current_findings"), strict=True)
    ]


def _write_study(
    folder: Path,
    pair: PhantomPair,
    visit: Visit,
    identity: PhantomIdentity,
    size: int,
    rng: np.random.Generator,
) -> None:
    """The frontal image, and when the visit has one a lateral distractor, in a random file order. The
    renderer (scipy) and the DICOM writer (pydicom) are imported here so that `sve cxr --help` does not wait."""
    from apps.cxr.phantoms.dicom_writer import DicomEncoding, write_phantom_dicom
    from apps.cxr.phantoms.render import render_frontal, render_lateral

    frontal_view = None if not visit.with_lateral and rng.random() < _MISSING_VIEW_RATE else visit.view
    images = [(render_frontal(pair.patient, visit, size), frontal_view)]
    if visit.with_lateral:
        images.append((render_lateral(pair.patient, visit, size), str(rng.choice(["LL", "LATERAL"]))))
    for slot, order in enumerate(rng.permutation(len(images)), start=1):
        image, view = images[order]
        encoding = DicomEncoding.sample(rng, view)
        write_phantom_dicom(folder / f"image_{slot}.dcm", image, encoding, replace(identity, image=slot))


def _meta(pair: PhantomPair, dicom_dirs: list[str]) -> dict:
    return {
        "added": list(pair.added),
        "missing": list(pair.missing),
        "prior_findings": [name for name in FINDINGS if name in pair.prior.findings],
        "current_findings": [name for name in FINDINGS if name in pair.current.findings],
        "prior_severity": {
            name: round(pair.prior.findings[name], 3) for name in FINDINGS if name in pair.prior.findings
        },
        "current_severity": {
            name: round(pair.current.findings[name], 3) for name in FINDINGS if name in pair.current.findings
        },
        "views": [pair.prior.view, pair.current.view],
        "dicom": dicom_dirs,
        "synthetic": True,
    }


def main(argv: Sequence[str] | None = None) -> int:
    return module_main("apps.cxr.phantoms.make_dataset", __doc__, add_arguments, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
