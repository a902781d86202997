#!/usr/bin/env python3
"""Writes a tiny fake Medical-Diff-VQA + MIMIC-CXR-JPG in the real layout, all identifiers invented:

- `mimic_pair_questions.csv`: an unnamed index column, then study_id, subject_id, ref_id, question_type, question,
  answer, split (as released on PhysioNet);
- `mimic-cxr-2.0.0-metadata.csv.gz`: MIMIC-CXR-JPG's per-image metadata (dicom_id, subject_id, study_id, ...,
  ViewPosition, ..., StudyDate, StudyTime, ...);
- `files/pXX/pXXXXXXXX/sXXXXXXXX/<dicom_id>.jpg`: 16x16 grey JPEGs.
Views are mixed on purpose: a study with PA + LATERAL, one with AP + PA (PA must win), one AP only.
Run `python tests/data/medical_diff_vqa/data.py` to rewrite the files beside this script.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
METADATA_COLUMNS = [
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
]
# subject -> [(study, views, study date)], oldest first
STUDIES = {
    "10000001": [("50000001", ("PA", "LATERAL"), "21500101"), ("50000002", ("AP", "PA"), "21500301")],
    "11000002": [("51000003", ("AP",), "21600510"), ("51000004", ("PA", "LL"), "21600601")],
    "12000003": [("52000005", ("AP",), "21701110"), ("52000006", ("AP",), "21701201")],
}
DIFF_QUESTION = "what has changed compared to the reference image?"
# (subject, main study, reference study, answer, split)
PAIRS = [
    (
        "10000001",
        "50000002",
        "50000001",
        "the main image has additional findings of edema, and pleural effusion "
        "than the reference image. the main image is missing the finding of pneumothorax than the reference image. ",
        "test",
    ),
    ("11000002", "51000004", "51000003", "nothing has changed.", "test"),
    (
        "12000003",
        "52000006",
        "52000005",
        "the main image is missing the findings of atelectasis, and lung opacity than the reference image. ",
        "test",
    ),
    (
        "10000001",
        "50000002",
        "50000001",
        "the main image has an additional finding of cardiomegaly than the reference image. ",
        "train",
    ),
]


def _dicom_id(rng: random.Random) -> str:
    return "-".join(f"{rng.getrandbits(32):08x}" for _ in range(5))


def main() -> None:
    rng = random.Random(0)
    pixels = np.random.default_rng(0)
    metadata = []
    for subject, studies in STUDIES.items():
        for study, views, date in studies:
            for view in views:
                dicom = _dicom_id(rng)
                metadata.append(
                    [
                        dicom,
                        subject,
                        study,
                        "CHEST (PA AND LAT)",
                        view,
                        "16",
                        "16",
                        date,
                        f"{rng.randint(0, 235959):06d}.000",
                        "",
                        "",
                        "",
                    ]
                )
                path = HERE / "files" / f"p{subject[:2]}" / f"p{subject}" / f"s{study}" / f"{dicom}.jpg"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(pixels.integers(0, 256, size=(16, 16), dtype=np.uint8)).save(path, quality=50)
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([METADATA_COLUMNS, *metadata])
    with gzip.GzipFile(HERE / "mimic-cxr-2.0.0-metadata.csv.gz", "wb", mtime=0) as handle:
        handle.write(text.getvalue().encode())

    rows = []
    for subject, main, ref, answer, split in PAIRS:
        rows.append(
            [main, subject, ref, "abnormality", "what abnormalities are seen in this image?", "edema", split]
        )
        rows.append([main, subject, ref, "difference", DIFF_QUESTION, answer, split])
    with (HERE / "mimic_pair_questions.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["", "study_id", "subject_id", "ref_id", "question_type", "question", "answer", "split"]
        )
        writer.writerows([index, *row] for index, row in enumerate(rows))


if __name__ == "__main__":
    main()
