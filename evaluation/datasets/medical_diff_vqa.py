"""Medical-Diff-VQA difference questions (Hu et al., KDD 2023): what changed between a prior and a current chest X-ray.

Dataset format (the PhysioNet release plus MIMIC-CXR-JPG, read as published)::

    <root>/mimic_pair_questions.csv
    <images_root>/mimic-cxr-2.0.0-metadata.csv.gz      (or the uncompressed .csv)
    <images_root>/files/pXX/pXXXXXXXX/sXXXXXXXX/<dicom_id>.jpg

`mimic_pair_questions.csv` has an unnamed first column (the row index, which we use as the item id; copies saved
without it are read too, the id then being the 0-based data row number, which is the same value) and the columns
study_id (the main, i.e. current, study), subject_id, ref_id (the reference, i.e. prior, study),
question_type (abnormality / location / level / view / type / presence / difference), question, answer and
split (train / val / test). Only question_type "difference" rows are items here. The metadata CSV of MIMIC-CXR-JPG
maps each dicom_id to subject_id, study_id and ViewPosition; a study's image is its frontal view, PA preferred
over AP (the dataset was built on frontal images), ties broken by the smallest dicom_id so runs repeat exactly.

Date order: the public release has pairs whose reference study was acquired AFTER the main one. When the metadata
CSV is at hand (`images_root`, or `metadata_root` for scoring answers only) its StudyDate/StudyTime order each
pair; reversed pairs are dropped (their answer describes the older study against the newer one, so swapping the
images would invert it) and counted in `reversed_dropped`. Without metadata nothing can be checked and
`reversed_dropped` is None.

Each item is a dict with fixed keys: `id`, `study_id`, `ref_id`, `subject_id`, `question`, `answer`, `split`
and `images` ([prior, current] JPEG paths, oldest first as the trainer expects; an empty list when the loader was
built without `images_root`, since scoring saved predictions needs only the answers).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

from evaluation.datasets.files import require
from evaluation.errors import DatasetFormatError

NAME = "Medical-Diff-VQA"
QUESTIONS = "mimic_pair_questions.csv"
METADATA = "mimic-cxr-2.0.0-metadata.csv"
LAYOUT = (
    f"{QUESTIONS} in --data; {METADATA}(.gz) and files/pXX/pXXXXXXXX/sXXXXXXXX/<dicom_id>.jpg in --images"
)
# The release's header; its first, unnamed index column is optional when reading (a copy saved without it).
QUESTION_COLUMNS = ("", "study_id", "subject_id", "ref_id", "question_type", "question", "answer", "split")
METADATA_COLUMNS = ("dicom_id", "subject_id", "study_id", "ViewPosition")
DATE_COLUMNS = ("study_id", "StudyDate", "StudyTime")
VIEW_PREFERENCE = {"PA": 0, "AP": 1}


class DiffVQAItem(TypedDict):
    id: str
    study_id: str
    ref_id: str
    subject_id: str
    question: str
    answer: str
    split: str
    images: list[str]


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        absent = [c or "(unnamed index)" for c in columns if c not in (reader.fieldnames or [])]
        if absent:
            raise DatasetFormatError(f"{NAME}: {path} lacks the columns {absent}.")
        yield from reader


def _metadata(root: Path) -> Path:
    gz = root / f"{METADATA}.gz"
    return gz if gz.exists() else require(root / METADATA, NAME, LAYOUT)


def _study_times(metadata: Path, studies: set[str]) -> dict[str, tuple[str, float]]:
    """study_id -> (StudyDate, StudyTime) sortable, for the studies asked for."""
    times = {}
    for row in _rows(metadata, DATE_COLUMNS):
        if row["study_id"] in studies:
            times[row["study_id"]] = (row["StudyDate"], float(row["StudyTime"] or 0))
    return times


def _frontal_images(images_root: Path, studies: set[str]) -> dict[str, Path]:
    """study_id -> path of its preferred frontal image, for the studies asked for."""
    metadata = _metadata(images_root)
    best: dict[str, tuple[int, str, str]] = {}
    for row in _rows(metadata, METADATA_COLUMNS):
        study, rank = row["study_id"], VIEW_PREFERENCE.get(row["ViewPosition"])
        if study in studies and rank is not None:
            candidate = (rank, row["dicom_id"], row["subject_id"])
            best[study] = min(best.get(study, candidate), candidate)
    lacking = sorted(studies - best.keys())
    if lacking:
        raise DatasetFormatError(f"{NAME}: {metadata} lists no PA or AP image for studies {lacking[:5]}.")
    return {
        study: require(
            images_root / "files" / f"p{subject[:2]}" / f"p{subject}" / f"s{study}" / f"{dicom}.jpg",
            NAME,
            LAYOUT,
        )
        for study, (_, dicom, subject) in best.items()
    }


class MedicalDiffVQA:
    """Difference questions of one split, in file order."""

    def __init__(
        self,
        root: str | Path,
        split: str = "test",
        *,
        images_root: str | Path | None = None,
        metadata_root: str | Path | None = None,
    ) -> None:
        questions = require(Path(root) / QUESTIONS, NAME, LAYOUT)
        self.items = [
            DiffVQAItem(
                id=row.get("", str(number)),
                study_id=row["study_id"],
                ref_id=row["ref_id"],
                subject_id=row["subject_id"],
                question=row["question"],
                answer=row["answer"],
                split=row["split"],
                images=[],
            )
            for number, row in enumerate(_rows(questions, QUESTION_COLUMNS[1:]))
            if row["question_type"] == "difference" and row["split"] == split
        ]
        if not self.items:
            raise DatasetFormatError(f"{NAME}: {questions} has no difference questions with split {split!r}.")
        self.reversed_dropped: int | None = None
        metadata_root = metadata_root if metadata_root is not None else images_root
        if metadata_root is not None:
            self._drop_reversed(_metadata(Path(metadata_root)))
        if images_root is not None:
            studies = {item["study_id"] for item in self.items} | {item["ref_id"] for item in self.items}
            paths = _frontal_images(Path(images_root), studies)
            for item in self.items:
                item["images"] = [str(paths[item["ref_id"]]), str(paths[item["study_id"]])]

    def _drop_reversed(self, metadata: Path) -> None:
        """Drop pairs whose reference study is the later one (see the module docstring)."""
        times = _study_times(metadata, {i["study_id"] for i in self.items} | {i["ref_id"] for i in self.items})
        kept = [
            item
            for item in self.items
            if item["ref_id"] not in times
            or item["study_id"] not in times
            or times[item["ref_id"]] <= times[item["study_id"]]
        ]
        self.reversed_dropped = len(self.items) - len(kept)
        self.items = kept

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> DiffVQAItem:
        return self.items[index]
