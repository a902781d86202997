"""Load chest X-ray studies (a file, a folder or a zip each) and put one patient's studies in date order.

Choosing the image: a study usually holds a frontal and a lateral view. The frontal one is chosen by
ViewPosition (0018,5101): PA over AP (PA is the standard erect film; AP is the bedside one, with a magnified
heart); laterals, obliques and decubitus views (LL, RL, LATERAL, LLO, ...) are never chosen. When no image
says PA or AP, an image without ViewPosition is assumed frontal, with a warning; if every image is
non-frontal the study is refused. Ties go to DICOM over PNG/JPEG, then the lowest Series/Instance Number.

Safety: studies compared must share PatientID (0010,0020) unless the caller opts out; a prior/current given in
the wrong order is swapped with a warning. Dates, IDs and UIDs only live in `StudyKey`, whose repr shows none
of them; messages name inputs by position and base name.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydicom import Dataset

from apps.cxr.dicom.archive import extracted_zip
from apps.cxr.dicom.bitmap import BITMAP_SUFFIXES, load_bitmap
from apps.cxr.dicom.decode import StudyKey, decode, quiet_pydicom, read_dataset, study_key, view_position
from apps.cxr.dicom.image import CxrImage
from apps.cxr.errors import DicomError

logger = logging.getLogger(__name__)

FRONTAL_VIEWS = ("PA", "AP")
_NO_KEY = StudyKey(patient_id=None, study_uid=None, acquired=None)


@dataclass(frozen=True)
class Study:
    """One study reduced to its frontal radiograph.

    `key` is for pairing and ordering only (`load_studies`); its fields are PHI and its repr shows none.
    """

    image: CxrImage
    source: str = field(metadata={"help": "base name of the file, folder or zip the study came from"})
    key: StudyKey = field(default=_NO_KEY, repr=False, compare=False)


@dataclass(frozen=True)
class _Candidate:
    path: Path
    view: str | None
    header: Dataset | None = field(repr=False)

    @property
    def frontal(self) -> str | None:
        """PA or AP (vendors write e.g. "AP SUPINE"), None for a non-frontal or unknown view."""
        first = (self.view or "").split()[:1]
        return first[0] if first and first[0] in FRONTAL_VIEWS else None

    @property
    def rank(self) -> tuple[int, bool, int, int, str]:
        header = self.header or Dataset()
        view_rank = FRONTAL_VIEWS.index(self.frontal) if self.frontal else len(FRONTAL_VIEWS)
        series, instance = int(header.get("SeriesNumber") or 0), int(header.get("InstanceNumber") or 0)
        return view_rank, self.header is None, series, instance, self.path.name


@quiet_pydicom()
def load_study(path: str | Path) -> Study:
    """The frontal radiograph of the study at `path`: a DICOM/PNG/JPEG file, a folder, or a zip of either."""
    path = Path(path)
    if path.is_dir():
        return _from_folder(path, path.name)
    if not path.is_file():
        raise DicomError(f"{path.name}: no such file or folder")
    if not _has_dicm_marker(path) and path.suffix.lower() not in BITMAP_SUFFIXES and zipfile.is_zipfile(path):
        with extracted_zip(path) as root:
            return _from_folder(root, path.name)
    return _from_candidates([_candidate(path)], path.name)


def load_studies(paths: Sequence[str | Path], *, allow_patient_mismatch: bool = False) -> list[Study]:
    """Load studies of one patient, oldest first, with `meta.study_order` set (0 = oldest = reference).

    Raises `DicomError` when PatientIDs differ, unless `allow_patient_mismatch` (e.g. an ID re-issued after a
    merge). Inputs without a usable date keep the given order, with a warning.
    """
    studies = [load_study(path) for path in paths]
    _check_one_patient(studies, allow_patient_mismatch=allow_patient_mismatch)
    ordered = _chronological(studies)
    return [
        replace(study, image=replace(study.image, meta=replace(study.image.meta, study_order=order)))
        for order, study in enumerate(ordered)
    ]


def _has_dicm_marker(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(132)[128:132] == b"DICM"


def _candidate(path: Path) -> _Candidate:
    if path.suffix.lower() in BITMAP_SUFFIXES:
        return _Candidate(path=path, view=None, header=None)
    header = read_dataset(path, pixels=False)
    return _Candidate(path=path, view=view_position(header), header=header)


def _from_folder(root: Path, label: str) -> Study:
    files = sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and not any(part.startswith((".", "__MACOSX")) for part in path.relative_to(root).parts)
    )
    usable = [path for path in files if path.suffix.lower() in BITMAP_SUFFIXES or _has_dicm_marker(path)]
    # Image objects have Rows; a DICOMDIR, report or presentation state next to them does not.
    candidates = [c for c in map(_candidate, usable) if c.header is None or "Rows" in c.header]
    study_uids = {str(c.header.get("StudyInstanceUID") or "") for c in candidates if c.header is not None}
    if len(study_uids - {""}) > 1:
        raise DicomError(
            f"{label}: holds images from {len(study_uids - {''})} different studies (StudyInstanceUID "
            "(0020,000D)); expected one study per folder or zip, so pass each study separately"
        )
    return _from_candidates(candidates, label)


def _from_candidates(candidates: list[_Candidate], label: str) -> Study:
    if not candidates:
        raise DicomError(f"{label}: no DICOM image, PNG or JPEG found; expected a chest radiograph")
    usable = [c for c in candidates if c.view is None or c.frontal]
    if not usable:
        views = ", ".join(sorted({str(c.view) for c in candidates}))
        raise DicomError(
            f"{label}: only non-frontal views ({views}) in ViewPosition (0018,5101); expected a PA or AP image"
        )
    chosen = min(usable, key=lambda c: c.rank)
    if chosen.view is None and (chosen.header is not None or len(usable) > 1):
        logger.warning(
            "%s: no image with ViewPosition (0018,5101) PA or AP; assuming %s is frontal",
            label,
            chosen.path.name,
        )
    if chosen.header is None:
        return Study(image=load_bitmap(chosen.path), source=label)
    dataset = read_dataset(chosen.path)
    return Study(image=decode(dataset, chosen.path.name), source=label, key=study_key(dataset))


def _check_one_patient(studies: list[Study], *, allow_patient_mismatch: bool) -> None:
    for number, study in enumerate(studies, start=1):
        if study.key.patient_id is None:
            logger.warning(
                "input %d (%s) has no PatientID (0010,0020); cannot confirm one patient", number, study.source
            )
    known = [(number, s) for number, s in enumerate(studies, start=1) if s.key.patient_id is not None]
    for number, study in known[1:]:
        if study.key.patient_id == known[0][1].key.patient_id:
            continue
        message = (
            f"input {known[0][0]} ({known[0][1].source}) and input {number} ({study.source}) have different "
            "PatientID (0010,0020), so they may be different patients"
        )
        if not allow_patient_mismatch:
            raise DicomError(
                f"{message}; compare studies of one patient, or pass allow_patient_mismatch=True "
                "(--allow-patient-mismatch) if the ID changed between visits"
            )
        logger.warning("%s; comparing anyway because the patient check was disabled", message)


def _chronological(studies: list[Study]) -> list[Study]:
    undated = [number for number, s in enumerate(studies, start=1) if s.key.acquired is None]
    if undated:
        if len(studies) > 1:
            logger.warning(
                "input(s) %s have no StudyDate (0008,0020); keeping the given order (oldest first)",
                ", ".join(map(str, undated)),
            )
        return studies
    order = sorted(range(len(studies)), key=lambda i: studies[i].key.acquired)
    if order != list(range(len(studies))):
        if len(studies) == 2:
            logger.warning(
                "the prior was acquired after the current; swapped them so the older study is the reference"
            )
        else:
            logger.warning("the studies were not in date order; reordered them oldest first")
    return [studies[i] for i in order]
