"""Which of a patient's PACS studies to compare, decided from QIDO-RS headers before any pixel is retrieved.

A study is usable when it is a chest radiograph study and holds a frontal image:
- modality CR or DX (ModalitiesInStudy at study level, Modality per instance);
- BodyPartExamined CHEST (an empty or missing value is accepted, as many modalities leave it empty);
- a StudyDate, so studies can be ordered (undated studies are skipped);
- an instance with ViewPosition PA or AP, chosen as `apps.cxr.dicom.studies` chooses (PA over AP, then the lowest
  Series/Instance Number); when no instance states a view, the first one is taken and the loader's own
  frontal check and warning apply after retrieval.
The current study is the one given, or the latest usable one; priors are the usable studies dated strictly
before it, the most recent first. These are only the rules the headers of a query can decide; the retrieved
pair goes through the same loader (and comparison checks) as files given on the command line.
Every identifier stays inside `PacsStudy`, whose repr shows none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydicom import Dataset

from apps.cxr.dicom.decode import quiet_pydicom, study_key, view_position
from apps.cxr.dicom.studies import FRONTAL_VIEWS
from apps.cxr.pacs.errors import PacsError

RADIOGRAPHY = ("CR", "DX")
CHEST = ("CHEST", "")


@dataclass(frozen=True)
class PacsStudy:
    """A usable study and the frontal instance chosen in it; identifiers are hidden from repr."""

    study_uid: str = field(repr=False)
    series_uid: str = field(repr=False)
    sop_uid: str = field(repr=False)
    acquired: datetime = field(repr=False)
    view: str | None


@dataclass(frozen=True)
class Selection:
    """The studies to compare, oldest first (the last is the current one), and what was skipped and why."""

    studies: list[PacsStudy]
    skipped: list[str]  # one line per skipped study, without identifiers


@quiet_pydicom()
def _parse(item: dict[str, Any]) -> Dataset:
    try:
        return Dataset.from_json(item)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise PacsError(
            "the PACS answered with DICOM JSON that cannot be parsed (a malformed attribute); check the "
            "server's DICOMweb plugin"
        ) from error


def select_studies(
    study_answers: list[dict[str, Any]],
    list_instances: Callable[[str], list[dict[str, Any]]],
    *,
    current_uid: str | None = None,
    count: int = 2,
) -> Selection:
    """The current study and its `count - 1` most recent usable priors. `list_instances(study_uid)` is the
    QIDO-RS instance query, called only for studies that pass the study-level checks."""
    skipped: list[str] = []
    studies = sorted(
        (ds for ds in map(_parse, study_answers) if str(ds.get("StudyInstanceUID") or "")),
        key=lambda ds: study_key(ds).acquired or datetime.min,
        reverse=True,
    )
    if current_uid is not None:
        position = next((i for i, ds in enumerate(studies) if ds.StudyInstanceUID == current_uid), None)
        if position is None:
            raise PacsError(
                "--current: the patient has no study with that StudyInstanceUID on this PACS; omit --current "
                "to use the latest chest radiograph study"
            )
        studies = studies[position:]
    chosen: list[PacsStudy] = []
    for number, ds in enumerate(studies):
        is_current = not chosen
        reason = _study_problem(ds) or (
            None
            if is_current or study_key(ds).acquired < chosen[-1].acquired
            else "not dated before the next"
        )
        found = None if reason else _frontal(ds, list_instances)
        if isinstance(found, str) or reason:
            reason = reason or found
            if is_current and current_uid is not None:
                raise PacsError(f"--current: that study cannot be compared: {reason}")
            skipped.append(f"study {number + 1} of {len(studies)} (newest first): {reason}")
            continue
        chosen.append(found)
        if len(chosen) == count:
            return Selection(studies=chosen[::-1], skipped=skipped)
    if not chosen:
        raise PacsError(
            f"no chest radiograph study (CR or DX, body part CHEST, dated, with a PA or AP image) among the "
            f"patient's {len(studies)} studies on this PACS" + _listed(skipped)
        )
    what = "no valid prior" if count == 2 else f"only {len(chosen)} of the {count} studies --series asks for"
    raise PacsError(
        f"{what}: the patient has {len(chosen) - 1} usable earlier chest radiograph study(ies) (CR or DX, body "
        f"part CHEST, dated before the current, with a PA or AP image)" + _listed(skipped)
    )


def _listed(skipped: list[str]) -> str:
    return "; skipped " + "; ".join(skipped) if skipped else ""


def _study_problem(ds: Dataset) -> str | None:
    value = ds.get("ModalitiesInStudy") or []
    modalities = {str(item).upper() for item in ([value] if isinstance(value, str) else value)}
    if modalities and not modalities & set(RADIOGRAPHY):
        return f"modalities {', '.join(sorted(modalities))}, expected CR or DX"
    if study_key(ds).acquired is None:
        return "no StudyDate (0008,0020)"
    return None


def _frontal(ds: Dataset, list_instances: Callable[[str], list[dict[str, Any]]]) -> PacsStudy | str:
    """The study's chosen frontal instance, or why it has none."""
    instances = [item for item in map(_parse, list_instances(ds.StudyInstanceUID)) if _is_radiograph(item)]
    if not instances:
        return "no CR or DX chest image (Modality, BodyPartExamined)"
    views = [view_position(item) for item in instances]
    usable = [
        (item, view)
        for item, view in zip(instances, views, strict=True)
        if view is None or view.split()[0] in FRONTAL_VIEWS
    ]
    if not usable:
        return f"only non-frontal views ({', '.join(sorted(set(map(str, views))))}), expected PA or AP"
    item, view = min(usable, key=lambda pair: _rank(*pair))
    return PacsStudy(
        study_uid=ds.StudyInstanceUID,
        series_uid=str(item.get("SeriesInstanceUID") or ""),
        sop_uid=str(item.get("SOPInstanceUID") or ""),
        acquired=study_key(ds).acquired,
        view=view,
    )


def _is_radiograph(item: Dataset) -> bool:
    modality = str(item.get("Modality") or "").upper()
    body_part = str(item.get("BodyPartExamined") or "").upper()
    return modality in RADIOGRAPHY and body_part in CHEST and bool(item.get("SOPInstanceUID"))


def _rank(item: Dataset, view: str | None) -> tuple[int, int, int]:
    first = view.split()[0] if view else None
    view_rank = FRONTAL_VIEWS.index(first) if first in FRONTAL_VIEWS else len(FRONTAL_VIEWS)
    return view_rank, int(item.get("SeriesNumber") or 0), int(item.get("InstanceNumber") or 0)
