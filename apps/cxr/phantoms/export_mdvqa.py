"""The phantom dataset re-written as a Medical-Diff-VQA + MIMIC-CXR-JPG release, so a model trained on phantoms is
scored by `sve eval cxr-diff` along exactly the path a real Medical-Diff-VQA run takes (CSV rows, metadata, view
choice, JPEG decoding), not only by `sve cxr evaluate` on the JSONL.

    python -m apps.cxr.phantoms.export_mdvqa --data runs/data/cxr --out runs/data/cxr_mdvqa
    sve eval cxr-diff --data runs/data/cxr_mdvqa --model CHECKPOINT --out runs/eval/cxr_mdvqa

Dataset format written, the layout `evaluation.datasets.medical_diff_vqa` reads (one folder is both --data and
--images), with the files' headers, column order and line ends as in the releases:
    OUT/mimic_pair_questions.csv          unnamed row index, study_id (current), subject_id, ref_id (prior),
                                          question_type "difference", question, answer, split
    OUT/mimic-cxr-2.0.0-metadata.csv.gz   MIMIC-CXR-JPG's 12 columns; one frontal image per study, ViewPosition
                                          from the phantom's `meta.views`
    OUT/files/pXX/pXXXXXXXX/sXXXXXXXX/<dicom_id>.jpg   the record's PNG as an 8-bit grey JPEG (MIMIC-CXR-JPG's
                                          quality 95 unless --quality says otherwise)
Rows follow the splits in train, val, test order and each split's JSONL order. The question is the JSONL's prompt
without placeholders, the one the model was trained on, and the answer its gold answer. Identifiers are invented
from the split and line, never read from the phantom DICOM: subject 1<split><line>, prior study 5<2 split><line>,
current study 5<2 split + 1><line> (8 digits each), dicom_id a hash of subject and study in MIMIC's 5 x 8 hex form;
every prior is dated 2100-01-01 and every current 2100-03-01 (only their order carries meaning).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from apps.common.evaluate import SplitItem, read_split
from evaluation.datasets.medical_diff_vqa import METADATA, QUESTION_COLUMNS, QUESTIONS
from evaluation.errors import DatasetFormatError
from sve_core.errors import module_main

SPLITS = ("train", "val", "test")
MAX_LINES = 999_999  # six digits of line number in an 8-digit id
# MIMIC-CXR-JPG 2.0.0's metadata header, in its order.
METADATA_COLUMNS = (
    "dicom_id",
    "subject_id",
    "study_id",
    "PerformedProcedureStepDescription",
    "ViewPosition",
    "Rows",
    "Columns",
    "StudyDate",
    "StudyTime",
    "ProcedureCodeSequence_CodeMeaning",
    "ViewCodeSequence_CodeMeaning",
    "PatientOrientationCodeSequence_CodeMeaning",
)
# ViewPosition -> (procedure, view code meaning, patient orientation), the values MIMIC-CXR-JPG pairs with it.
VIEW_TERMS = {
    "PA": ("CHEST (PA AND LAT)", "postero-anterior", "Erect"),
    "AP": ("CHEST (PORTABLE AP)", "antero-posterior", "Recumbent"),
}
STUDY_DATES = ("21000101", "21000301")  # prior, current
STUDY_TIME = "120000.000"


@dataclass(frozen=True)
class Study:
    """One exported study: its ids, its single frontal image and where that image goes."""

    subject_id: str
    study_id: str
    dicom_id: str
    view: str
    date: str
    source: Path  # the phantom PNG

    @property
    def path(self) -> Path:
        """Relative to OUT, as MIMIC-CXR-JPG files it."""
        subject = self.subject_id
        return Path("files", f"p{subject[:2]}", f"p{subject}", f"s{self.study_id}", f"{self.dicom_id}.jpg")


def dicom_id(subject_id: str, study_id: str) -> str:
    digest = hashlib.sha1(f"{subject_id}/{study_id}".encode()).hexdigest()
    return "-".join(digest[k : k + 8] for k in range(0, 40, 8))


def studies(item: SplitItem, split_index: int) -> tuple[Study, Study]:
    """(prior, current) of one JSONL record, under identifiers made from its split and line number."""
    line = int(item.id)
    if line > MAX_LINES or len(item.images) != 2:
        raise DatasetFormatError(
            f"{item.source}: expected a prior/current pair on one of the first {MAX_LINES} lines, got "
            f"{len(item.images)} images."
        )
    views = item.meta.get("views", ["PA", "PA"])
    if not (isinstance(views, list) and len(views) == 2 and all(v in VIEW_TERMS for v in views)):
        raise DatasetFormatError(
            f"{item.source}: meta.views should be two of {sorted(VIEW_TERMS)}, got {views!r}."
        )
    subject = f"1{split_index}{line:06d}"
    prior, current = (
        Study(subject, study, dicom_id(subject, study), view, date, Path(image))
        for study, view, date, image in zip(
            (f"5{2 * split_index}{line:06d}", f"5{2 * split_index + 1}{line:06d}"),
            views,
            STUDY_DATES,
            item.images,
            strict=True,
        )
    )
    return prior, current


def _metadata_row(study: Study, size: tuple[int, int]) -> list[str]:
    procedure, view_meaning, orientation = VIEW_TERMS[study.view]
    width, height = size
    return [
        study.dicom_id,
        study.subject_id,
        study.study_id,
        procedure,
        study.view,
        str(height),
        str(width),
        study.date,
        STUDY_TIME,
        procedure,
        view_meaning,
        orientation,
    ]


def _csv_text(rows: Sequence[Sequence[object]]) -> str:
    """pandas' `to_csv` spelling, which the releases were written with: minimal quoting, "\\n" line ends."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue()


def export(data: Path, out: Path, splits: Sequence[str], *, quality: int = 95) -> dict[str, int]:
    """Write the release into `out` (new or empty); returns pairs per split."""
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"--out {out} is not empty; choose a new folder so no old file is mixed in")
    pairs = {split: read_split(data, split) for split in SPLITS if split in splits}
    questions: list[list[object]] = [list(QUESTION_COLUMNS)]
    metadata: list[list[str]] = [list(METADATA_COLUMNS)]
    total = sum(len(items) for items in pairs.values())
    with tqdm(total=total, desc="Medical-Diff-VQA export", unit="pair") as bar:
        for split, items in pairs.items():
            for item in items:
                prior, current = studies(item, SPLITS.index(split))
                for study in (prior, current):
                    with Image.open(study.source) as image:
                        grey = image.convert("L")
                    target = out / study.path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    grey.save(target, quality=quality)
                    metadata.append(_metadata_row(study, grey.size))
                questions.append(
                    [
                        len(questions) - 1,
                        current.study_id,
                        current.subject_id,
                        prior.study_id,
                        "difference",
                        item.prompt,
                        item.answer,
                        split,
                    ]
                )
                bar.update()
    (out / QUESTIONS).write_text(_csv_text(questions), encoding="utf-8")
    with gzip.GzipFile(out / f"{METADATA}.gz", "wb", mtime=0) as handle:
        handle.write(_csv_text(metadata).encode("utf-8"))
    return {split: len(items) for split, items in pairs.items()}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, required=True, help="phantom dataset folder (sve cxr make-dataset --out)"
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder; must be empty or not exist")
    parser.add_argument(
        "--splits",
        nargs="+",
        choices=SPLITS,
        default=list(SPLITS),
        help="splits to write (default: all three)",
    )
    parser.add_argument("--quality", type=int, default=95, help="JPEG quality (default 95, MIMIC-CXR-JPG's)")


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.quality <= 100:
        raise ValueError(f"--quality must be within 1..100, got {args.quality}")
    counts = export(args.data, args.out, args.splits, quality=args.quality)
    print(
        f"wrote {', '.join(f'{split} {n}' for split, n in counts.items())} pairs to {args.out}; score with "
        f"`sve eval cxr-diff --data {args.out} --split test --model CHECKPOINT`"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return module_main("apps.cxr.phantoms.export_mdvqa", __doc__, add_arguments, run, argv)


if __name__ == "__main__":
    raise SystemExit(main())
