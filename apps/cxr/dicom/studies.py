"""Load chest X-ray studies (a file, a folder or a zip each) and put one patient's studies in date order.

Choosing the image: a study usually holds a frontal and a lateral view. The frontal one is chosen by
ViewPosition (0018,5101): PA over AP (PA is the standard erect film; AP is the bedside one, with a magnified
heart); laterals, obliques and decubitus views (LL, RL, LATERAL, LLO, ...) are never chosen. When no image
says PA or AP, an image without ViewPosition is assumed frontal, with a warning; if every image is
non-frontal the study is refused. Ties go to DICOM over PNG/JPEG, then the lowest Series/Instance Number.

Safety: each chosen image's header goes through `apps.cxr.dicom.validity.check_image` before its pixels are decoded
(a CT, an MR, a skull film is refused there), and the series through `check_comparison` and
`check_distinct_pixels` (one patient, distinct studies, date order, view limitations). Dates, IDs and UIDs only
live in `StudyKey`, whose repr shows none of them; messages name inputs by position and base name.
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
from apps.cxr.dicom.decode import StudyKey, decode, quiet_pydicom, read_dataset, view_position
from apps.cxr.dicom.image import CxrImage
from apps.cxr.dicom.validity import (
    STRICT,
    ImageFacts,
    SeriesValidity,
    ValidityPolicy,
    check_comparison,
    check_distinct_pixels,
    check_image,
)
from apps.cxr.errors import DicomError

logger = logging.getLogger(__name__)

FRONTAL_VIEWS = ("PA", "AP")
_NO_KEY = StudyKey(patient_id=None, study_uid=None, acquired=None)


@dataclass(frozen=True)
class Study:
    """One study reduced to its frontal radiograph.

    `facts` is what the validity check read from the image's header (None for a PNG/JPEG); its identifiers and
    dates are PHI and its repr shows none.
    """

    image: CxrImage
    source: str = field(metadata={"help": "base name of the file, folder or zip the study came from"})
    facts: ImageFacts | None = field(default=None, repr=False, compare=False)
    skipped: tuple[str, ...] = ()  # base names of a folder's or zip's files that are no image of this study

    @property
    def key(self) -> StudyKey:
        """Patient, study and acquisition time for pairing (all PHI, no repr); empty for a PNG/JPEG."""
        return self.facts.key if self.facts is not None else _NO_KEY


@dataclass(frozen=True)
class StudySeries:
    """One patient's studies, oldest first, with the validity verdict (order, warnings, limitations per step)."""

    studies: list[Study]
    validity: SeriesValidity


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
def load_study(path: str | Path, policy: ValidityPolicy = STRICT) -> Study:
    """The frontal radiograph of the study at `path`: a DICOM/PNG/JPEG file, a folder, or a zip of either.
    Raises `validity.ComparisonRefused` for an image that is not a chest radiograph under `policy`."""
    path = Path(path)
    if path.is_dir():
        return _from_folder(path, path.name, policy)
    if not path.is_file():
        raise DicomError(f"{path.name}: no such file or folder")
    if not _has_dicm_marker(path) and path.suffix.lower() not in BITMAP_SUFFIXES and zipfile.is_zipfile(path):
        with extracted_zip(path) as root:
            return _from_folder(root, path.name, policy)
    return _from_candidates([_candidate(path)], path.name, policy)


def load_series(paths: Sequence[str | Path], policy: ValidityPolicy = STRICT) -> StudySeries:
    """Load studies of one patient, check that they make a comparison (`apps.cxr.dicom.validity`) and put them oldest
    first, with `meta.study_order` set (0 = oldest = reference). Inputs without a usable date keep the given
    order."""
    studies = [load_study(path, policy) for path in paths]
    validity = check_comparison(
        [study.facts for study in studies], policy, names=[study.source for study in studies]
    )
    ordered = [studies[i] for i in validity.order]
    check_distinct_pixels([study.image.pixels for study in ordered], [study.source for study in ordered])
    return StudySeries(
        studies=[
            replace(study, image=replace(study.image, meta=replace(study.image.meta, study_order=order)))
            for order, study in enumerate(ordered)
        ],
        validity=validity,
    )


def load_studies(paths: Sequence[str | Path], *, allow_patient_mismatch: bool = False) -> list[Study]:
    """`load_series` for callers that need the images only (the dataset generator, scripts)."""
    return load_series(paths, ValidityPolicy(allow_patient_mismatch=allow_patient_mismatch)).studies


def _has_dicm_marker(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(132)[128:132] == b"DICM"


def _candidate(path: Path) -> _Candidate:
    if path.suffix.lower() in BITMAP_SUFFIXES:
        return _Candidate(path=path, view=None, header=None)
    header = read_dataset(path, pixels=False)
    return _Candidate(path=path, view=view_position(header), header=header)


def _from_folder(root: Path, label: str, policy: ValidityPolicy) -> Study:
    files = sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and not any(part.startswith((".", "__MACOSX")) for part in path.relative_to(root).parts)
    )
    usable = [path for path in files if path.suffix.lower() in BITMAP_SUFFIXES or _has_dicm_marker(path)]
    # Image objects have Rows; a DICOMDIR, report or presentation state next to them does not.
    read = [_candidate(path) for path in usable]
    candidates = [c for c in read if c.header is None or "Rows" in c.header]
    study_uids = {str(c.header.get("StudyInstanceUID") or "") for c in candidates if c.header is not None}
    if len(study_uids - {""}) > 1:
        raise DicomError(
            f"{label}: holds images from {len(study_uids - {''})} different studies (StudyInstanceUID "
            "(0020,000D)); expected one study per folder or zip, so pass each study separately"
        )
    kept = {c.path for c in candidates}
    skipped = [path.name for path in files if path not in kept]  # not an image, or no image object (a report)
    return replace(_from_candidates(candidates, label, policy), skipped=tuple(skipped))


def _from_candidates(candidates: list[_Candidate], label: str, policy: ValidityPolicy) -> Study:
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
    facts = check_image(chosen.header, label, policy)
    return Study(image=decode(read_dataset(chosen.path), chosen.path.name), source=label, facts=facts)
