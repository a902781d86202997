"""Is this a comparison of two chest radiographs? One check, from the DICOM headers first and the pixels second,
shared by `sve cxr report`, the UI tab and the series path (and by PACS retrieval, which hands it headers).

Refused (a `ComparisonRefused`, a `DicomError`, naming the input and the tag):
- Modality (0008,0060) other than CR or DX, or a DX image "FOR PROCESSING" (raw detector data, not meant to be
  read): a CT, an MR or a secondary capture is not a projection radiograph.
- BodyPartExamined (0018,0015) that is not a chest spelling (CHEST, THORAX, LUNG, PORT CHEST, ...; absent is
  accepted, many modalities leave it empty), unless `allow_body_part` (`--allow-body-part`, research use), which
  puts a warning into every output instead.
- Two inputs of different PatientID (0010,0020), unless `allow_patient_mismatch`; two inputs that are the same
  image (SOPInstanceUID) or the same study (StudyInstanceUID); two images with the same pixels (the same film
  in two encodings, or a PNG export of the DICOM).
- A frontal view compared with a lateral one.

Stated as limitations of a comparison (in the report's comparison header and in the UI, never only on stderr):
- AP against PA: the AP projection magnifies the heart, so heart size differences are unreliable;
- supine against erect: fluid layers posteriorly and air rises anteriorly when supine, so effusions and
  pneumothoraces look different, and vessels to the upper lobes look distended;
- lateral views, and views without ViewPosition (assumed frontal);
- pixel spacing missing or 0: nothing can be measured in millimetres;
- PNG/JPEG inputs: "unverified input", nothing of the above could be checked;
- studies given newest first: put in date order, and the report says that it did.

Public API, header only (pixel data is neither needed nor read): `check_image(dataset, name, policy)` ->
`ImageFacts` (or None for a PNG/JPEG) and `check_comparison([facts, ...], policy)` -> `SeriesValidity`; `check_headers`
does both for a list of pydicom Datasets. `check_distinct_pixels` is the pixel-level second step.
Dates and identifiers stay in `ImageFacts` fields that are `repr=False`; messages never quote them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from PIL import Image
from pydicom import Dataset
from pydicom.uid import DigitalXRayImageStorageForProcessing

from apps.cxr.dicom.decode import StudyKey, study_key, view_position
from apps.cxr.errors import DicomError

RADIOGRAPH_MODALITIES = ("CR", "DX")
CHEST_WORDS = frozenset({"CHEST", "THORAX", "LUNG", "LUNGS", "TORAX", "THORAKS"})
FRONTAL = ("PA", "AP")
LATERAL = ("LL", "RL", "LATERAL", "LAT", "LLO", "RLO")
SAME_PIXELS_MEAN_DIFF = (
    0.01  # mean |difference| on a 64x64 thumbnail; real follow-up films differ by far more
)
_SUPINE = frozenset({"SUPINE", "RECUMBENT", "HFS", "FFS"})
_ERECT = frozenset({"ERECT", "UPRIGHT", "STANDING"})
_CODE = re.compile(r"[A-Z0-9 _-]{1,16}")  # a coded string we may quote back: not free text


class ComparisonRefused(DicomError):
    """The inputs are not a comparison of two chest radiographs of one patient; the message says which input
    and which tag, and which flag (if any) changes the rule."""


@dataclass(frozen=True)
class ValidityPolicy:
    """The two rules a user may relax; each relaxation is stated in every output."""

    allow_body_part: bool = field(
        default=False, metadata={"help": "accept a BodyPartExamined other than chest (research use)"}
    )
    allow_patient_mismatch: bool = field(
        default=False, metadata={"help": "compare studies whose PatientID differs (an ID re-issued)"}
    )


STRICT = ValidityPolicy()  # every rule on: the default of every check


@dataclass(frozen=True)
class ImageFacts:
    """What the check read from one study's chosen image. `view` and `position` are safe to show; `key` and
    `sop_uid` are PHI and have no repr."""

    name: str  # the input's base name, as messages call it
    view: str | None  # PA, AP, LL, ... (ViewPosition, first word); None when not recorded
    position: str | None  # "supine" or "erect" when the header says so
    warnings: tuple[str, ...]  # for every output: a non-chest body part accepted by --allow-body-part
    limitations: tuple[str, ...]  # for the comparison header: pixel spacing missing or 0
    key: StudyKey = field(repr=False)
    sop_uid: str | None = field(repr=False)


@dataclass(frozen=True)
class StepValidity:
    """Comparison header of study `prior` -> study `current` (indices after date ordering)."""

    prior: int
    current: int
    dates: tuple[date | None, date | None] = field(repr=False)  # shown in the report for the clinician only
    interval_days: int | None
    views: tuple[str, str]  # e.g. ("PA", "AP"); "unknown" where not recorded, "PNG" for a bitmap
    limitations: tuple[str, ...]


@dataclass(frozen=True)
class SeriesValidity:
    """The verdict on a series: the order to read it in, warnings for every output, one header per step."""

    order: tuple[int, ...]  # given position of each study, oldest first
    warnings: tuple[str, ...]
    steps: tuple[StepValidity, ...]

    @property
    def reordered(self) -> bool:
        return self.order != tuple(range(len(self.order)))


def check_image(dataset: Dataset, name: str, policy: ValidityPolicy = STRICT) -> ImageFacts:
    """Refuse a header that is not a chest radiograph; otherwise the facts the comparison check needs."""
    modality = str(dataset.get("Modality") or "").strip().upper()
    if modality not in RADIOGRAPH_MODALITIES:
        shown = _quoted(modality) or "missing"
        raise ComparisonRefused(
            f"{name}: Modality (0008,0060) is {shown}; expected a projection radiograph (CR or DX). "
            "A chest change report is only made from chest radiographs"
        )
    intent = str(dataset.get("PresentationIntentType") or "").strip().upper()
    if intent == "FOR PROCESSING" or dataset.get("SOPClassUID") == DigitalXRayImageStorageForProcessing:
        raise ComparisonRefused(
            f"{name}: a DX image FOR PROCESSING (raw detector data, PresentationIntentType (0008,0068)); "
            "expected the FOR PRESENTATION image the modality sends for reading"
        )
    view = view_position(dataset)
    return ImageFacts(
        name=name,
        view=view.split()[0] if view else None,
        position=_position(dataset),
        warnings=_body_part_warnings(dataset, name, policy),
        limitations=_spacing_limitations(dataset, name),
        key=study_key(dataset),
        sop_uid=str(dataset.get("SOPInstanceUID") or "").strip() or None,
    )


def check_headers(
    datasets: Sequence[Dataset], names: Sequence[str], policy: ValidityPolicy = STRICT
) -> SeriesValidity:
    """`check_image` on each header, then `check_comparison`: the whole check for callers holding Datasets."""
    return check_comparison(
        [check_image(ds, name, policy) for ds, name in zip(datasets, names, strict=True)], policy
    )


def check_comparison(
    facts: Sequence[ImageFacts | None], policy: ValidityPolicy = STRICT, *, names: Sequence[str] = ()
) -> SeriesValidity:
    """Refuse what cannot be compared; order oldest first; state every limitation. An entry of `facts` is None
    for a PNG/JPEG input, named by `names` (the same length as `facts`) since it has no header."""
    labels = [f.name if f is not None else names[i] for i, f in enumerate(facts)]
    warnings = [
        f"unverified input: {label} is a PNG/JPEG without a DICOM header, so its modality, body part, "
        "patient, date and view could not be checked"
        for f, label in zip(facts, labels, strict=True)
        if f is None
    ]
    dicoms = [(i, f) for i, f in enumerate(facts) if f is not None]
    warnings += [warning for _, f in dicoms for warning in f.warnings]
    warnings += _patient_warnings(dicoms, labels, policy)
    _refuse_duplicates(dicoms, labels)
    order, order_note = _chronological(facts)
    if order_note:
        warnings.append(order_note)
    steps = tuple(
        _step(number, facts[order[number - 1]], facts[order[number]], labels[order[number]])
        for number in range(1, len(order))
    )
    return SeriesValidity(order=tuple(order), warnings=tuple(warnings), steps=steps)


def check_distinct_pixels(images: Sequence[np.ndarray], names: Sequence[str]) -> None:
    """The pixel step: refuse two consecutive inputs that show the same image (the headers of a re-encoded copy
    or a PNG export may not tell). `images` are (H, W) in [0, 1], in reading order."""
    thumbs = [_thumbnail(image) for image in images]
    for k in range(1, len(thumbs)):
        if float(np.mean(np.abs(thumbs[k] - thumbs[k - 1]))) < SAME_PIXELS_MEAN_DIFF:
            raise ComparisonRefused(
                f"{names[k - 1]} and {names[k]} show the same image (their pixels match); "
                "expected a prior and a current radiograph acquired at different times"
            )


def _quoted(value: str) -> str:
    return value if _CODE.fullmatch(value) else ("an unexpected value" if value else "")


def _body_part_warnings(dataset: Dataset, name: str, policy: ValidityPolicy) -> tuple[str, ...]:
    part = str(dataset.get("BodyPartExamined") or "").strip().upper()
    if not part or CHEST_WORDS & set(re.split(r"[^A-Z]+", part)):
        return ()
    if not policy.allow_body_part:
        raise ComparisonRefused(
            f"{name}: BodyPartExamined (0018,0015) is {_quoted(part)}; expected CHEST (or THORAX, LUNG, PORT CHEST, "
            "or no value). Pass --allow-body-part (research use) to compare anyway"
        )
    return (
        f"not a chest radiograph: {name} has BodyPartExamined (0018,0015) {_quoted(part)}; compared anyway "
        "because --allow-body-part was given (research use only)",
    )


def _spacing_limitations(dataset: Dataset, name: str) -> tuple[str, ...]:
    spacing = dataset.get("PixelSpacing") or dataset.get("ImagerPixelSpacing")
    try:
        usable = spacing is not None and len(spacing) == 2 and all(float(v) > 0 for v in spacing)
    except (TypeError, ValueError):
        usable = False
    if usable:
        return ()
    return (
        f"{name}: no usable pixel spacing (PixelSpacing/ImagerPixelSpacing missing or 0), so nothing in it "
        "can be measured in millimetres",
    )


def _position(dataset: Dataset) -> str | None:
    words: set[str] = set()
    for keyword in ("ViewPosition", "PatientPosition", "SeriesDescription", "ProtocolName"):
        words |= set(re.split(r"[^A-Z]+", str(dataset.get(keyword) or "").upper()))
    if words & _SUPINE:
        return "supine"
    return "erect" if words & _ERECT else None


def _patient_warnings(
    dicoms: list[tuple[int, ImageFacts]], labels: list[str], policy: ValidityPolicy
) -> list[str]:
    warnings = [
        f"input {i + 1} ({f.name}) has no PatientID (0010,0020); cannot confirm one patient"
        for i, f in dicoms
        if f.key.patient_id is None
    ]
    known = [(i, f) for i, f in dicoms if f.key.patient_id is not None]
    for i, f in known[1:]:
        if f.key.patient_id == known[0][1].key.patient_id:
            continue
        message = (
            f"input {known[0][0] + 1} ({labels[known[0][0]]}) and input {i + 1} ({f.name}) have different "
            "PatientID (0010,0020), so they may be different patients"
        )
        if not policy.allow_patient_mismatch:
            raise ComparisonRefused(
                f"{message}; compare studies of one patient, or pass --allow-patient-mismatch if the ID changed "
                "between visits"
            )
        warnings.append(f"{message}; compared anyway because the patient check was disabled")
    return warnings


def _refuse_duplicates(dicoms: list[tuple[int, ImageFacts]], labels: list[str]) -> None:
    for tag, what, value in (
        ("SOPInstanceUID (0008,0018)", "the same image", lambda f: f.sop_uid),
        ("StudyInstanceUID (0020,000D)", "the same study", lambda f: f.key.study_uid),
    ):
        seen: dict[str, int] = {}
        for i, f in dicoms:
            uid = value(f)
            if uid is None:
                continue
            if uid in seen:
                raise ComparisonRefused(
                    f"input {seen[uid] + 1} ({labels[seen[uid]]}) and input {i + 1} ({f.name}) are {what} "
                    f"(equal {tag}); expected a prior and a current study acquired at different times"
                )
            seen[uid] = i


def _chronological(facts: Sequence[ImageFacts | None]) -> tuple[list[int], str | None]:
    given = list(range(len(facts)))
    when = [f.key.acquired if f is not None else None for f in facts]
    undated = [str(i + 1) for i in given if when[i] is None]
    if undated:
        return given, (
            f"input(s) {', '.join(undated)} have no StudyDate (0008,0020), so the given order was kept "
            "(oldest first)"
        ) if len(facts) > 1 else None
    order = sorted(given, key=lambda i: when[i])
    if order == given:
        return given, None
    if len(facts) == 2:
        return order, (
            "the prior was acquired after the current, so they were swapped: the older study is the reference"
        )
    return order, "the studies were not given in date order; they were reordered oldest first"


def _step(number: int, prior: ImageFacts | None, current: ImageFacts | None, label: str) -> StepValidity:
    views = tuple(_view_label(f) for f in (prior, current))
    limitations = [note for f in (prior, current) if f is not None for note in f.limitations]
    if prior is not None and current is not None:
        limitations += _view_limitations(prior, current, label)
    if any(f is not None and f.view is None for f in (prior, current)):
        limitations.append("a view without ViewPosition (0018,5101) was assumed frontal")
    dates = tuple(
        f.key.acquired.date() if f is not None and f.key.acquired else None for f in (prior, current)
    )
    interval = (dates[1] - dates[0]).days if dates[0] and dates[1] else None
    return StepValidity(number - 1, number, dates, interval, views, tuple(limitations))


def _view_label(facts: ImageFacts | None) -> str:
    if facts is None:
        return "PNG/JPEG"
    return " ".join(v for v in (facts.view or "unknown view", facts.position) if v)


def _view_limitations(prior: ImageFacts, current: ImageFacts, label: str) -> list[str]:
    lateral = [f.view in LATERAL for f in (prior, current)]
    if lateral[0] != lateral[1]:
        raise ComparisonRefused(
            f"{label}: a frontal view is compared with a lateral one (ViewPosition (0018,5101)); "
            "expected frontal views (PA or AP) in both studies"
        )
    notes = []
    if all(lateral):
        notes.append("lateral views compared: the change model reads frontal views; lesions may be hidden")
    if {prior.view, current.view} == set(FRONTAL):
        notes.append(
            "AP compared with PA: the AP projection magnifies the heart, so a change in heart size "
            "(cardiomegaly) may be projection alone"
        )
    if {prior.position, current.position} == {"supine", "erect"}:
        notes.append(
            "supine compared with erect: effusions layer and pneumothoraces rise anteriorly when supine, "
            "and upper-lobe vessels look distended, so these findings may change with position alone"
        )
    return notes


def _thumbnail(pixels: np.ndarray) -> np.ndarray:
    grey = Image.fromarray(np.clip(pixels, 0, 1).astype(np.float32), mode="F")
    return np.asarray(grey.resize((64, 64), Image.BILINEAR), dtype=np.float32)
