"""The report as DICOM objects for the current study: a Comprehensive SR and the heatmap as a Secondary Capture.

Both objects join the current study (its StudyInstanceUID and patient/study attributes, copied from the current
image), each in a new series, so any viewer lists them next to the images they describe. highdicom takes the
study of an SR from its first evidence dataset, so the current image always comes first.

SR content tree (root: LOINC 18748-4 "Diagnostic Imaging Report"):
- per comparison, a CONTAINER LOINC 59776-5 "Findings" holding the prior and current IMAGE references, one CODE
  item per changed finding (concept name: the finding; value: the change direction) and the model's answer;
- a CONTAINER DCM 121072 "Impressions" with the comparison report in radiology wording and the research notice.
Findings are coded in SNOMED CT where pydicom's code dictionary has a concept of exactly that name, otherwise in
the local scheme 99SVE (DICOM's convention for private codes); change directions are SNOMED CT "New finding",
"Problem resolved", and 99SVE "new in part and resolved in part". The SR is marked complete and unverified: a
model wrote it and a radiologist has not signed it.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from typing import TYPE_CHECKING, Any

import highdicom as hd
import numpy as np
from pydicom import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from apps.cxr.report.result import RESEARCH_NOTE, Status

if TYPE_CHECKING:
    from apps.cxr.report.result import CxrResult, Step

MANUFACTURER = "SVE suite"
LOCAL_SCHEME = "99SVE"
SR_SERIES_NUMBER, SC_SERIES_NUMBER = 9901, 9902
CHANGE_CODES: dict[Status, Code] = {
    "added": codes.SCT.NewFinding,
    "missing": codes.SCT.ProblemResolved,
    "added and missing": Code("interval-change", LOCAL_SCHEME, "New in part and resolved in part"),
}
FRONTAL_DISPLAY_ORIENTATION = ("L", "F")  # rows run to the patient's left, columns to the feet
PRIOR_IMAGE = Code("prior-image", LOCAL_SCHEME, "Prior image")
CURRENT_IMAGE = Code("current-image", LOCAL_SCHEME, "Current image")
MODEL_ANSWER = Code("model-answer", LOCAL_SCHEME, "Model answer")
# Type 2 attributes highdicom copies from the evidence; a modality may have left them out entirely.
_TYPE2_COPIED = (
    "PatientName",
    "PatientBirthDate",
    "PatientSex",
    "AccessionNumber",
    "StudyID",
    "ReferringPhysicianName",
)


def finding_code(name: str) -> Code:
    """SNOMED CT from pydicom's dictionary when a concept has exactly this name, else a local 99SVE code."""
    keyword = "".join(word.capitalize() for word in name.replace("-", " ").split())
    if keyword in codes.SCT.dir():
        return getattr(codes.SCT, keyword)
    return Code(name.replace(" ", "-"), LOCAL_SCHEME, name.capitalize())


def report_objects(result: CxrResult, headers: Sequence[Dataset]) -> list[Dataset]:
    """The SR, and the Secondary Capture of the last comparison's heatmap when the model gives one. `headers`
    are the compared instances' headers, oldest first, as `result.images`; the last one is the current image."""
    headers = [_with_type2(header) for header in headers]
    objects: list[Dataset] = [structured_report(result, headers)]
    if result.steps[-1].heatmap is not None:
        objects.append(secondary_capture(result, headers[-1]))
    return objects


def structured_report(result: CxrResult, headers: Sequence[Dataset]) -> hd.sr.ComprehensiveSR:
    root = hd.sr.ContainerContentItem(name=codes.LN.DiagnosticImagingReport, is_content_continuous=False)
    root.ContentSequence = [
        *(_findings(result, step, headers) for step in result.steps),
        _impressions(result),
    ]
    current = headers[-1]
    report = hd.sr.ComprehensiveSR(
        evidence=[current, *headers[:-1]],  # the first evidence dataset decides the SR's study
        content=root,
        **_new_series(SR_SERIES_NUMBER),
        is_complete=True,
        is_final=False,
        is_verified=False,
    )
    report.SeriesDescription = "SVE chest X-ray change report"
    return report


def _findings(result: CxrResult, step: Step, headers: Sequence[Dataset]) -> hd.sr.ContainerContentItem:
    container = hd.sr.ContainerContentItem(
        name=codes.LN.Findings, is_content_continuous=False, relationship_type="CONTAINS"
    )
    items = [
        hd.sr.ImageContentItem(
            name=name,
            referenced_sop_class_uid=headers[index].SOPClassUID,
            referenced_sop_instance_uid=headers[index].SOPInstanceUID,
            relationship_type="CONTAINS",
        )
        for name, index in ((PRIOR_IMAGE, step.prior), (CURRENT_IMAGE, step.current))
    ]
    items += [
        hd.sr.CodeContentItem(
            name=finding_code(row.finding), value=CHANGE_CODES[row.status], relationship_type="CONTAINS"
        )
        for row in step.comparison.rows
        if row.status != "unchanged"
    ]
    items.append(
        hd.sr.TextContentItem(
            name=MODEL_ANSWER, value=step.comparison.answer[:1024], relationship_type="CONTAINS"
        )
    )
    container.ContentSequence = items
    return container


def _impressions(result: CxrResult) -> hd.sr.ContainerContentItem:
    container = hd.sr.ContainerContentItem(
        name=codes.DCM.Impressions, is_content_continuous=False, relationship_type="CONTAINS"
    )
    names = result.names
    container.ContentSequence = [
        hd.sr.TextContentItem(
            name=codes.DCM.Impression,
            value=f"{names[step.prior]} -> {names[step.current]}: {step.comparison.report}",
            relationship_type="CONTAINS",
        )
        for step in result.steps
    ] + [hd.sr.TextContentItem(name=codes.DCM.Impression, value=RESEARCH_NOTE, relationship_type="CONTAINS")]
    return container


def secondary_capture(result: CxrResult, current: Dataset) -> hd.sc.SCImage:
    """The current image with the change heatmap drawn over it (RGB), in the current study."""
    pixels = np.asarray(result.view(len(result.images) - 1, heatmap=True), dtype=np.uint8)  # (H, W, 3)
    stated = current.get("PatientOrientation") or []
    # No stated orientation: a frontal chest film is displayed with the patient's right on the image's left.
    orientation = tuple(stated) if len(stated) == 2 else FRONTAL_DISPLAY_ORIENTATION
    capture = hd.sc.SCImage.from_ref_dataset(
        ref_dataset=current,
        pixel_array=pixels,
        photometric_interpretation="RGB",
        bits_allocated=8,
        coordinate_system="PATIENT",
        **_new_series(SC_SERIES_NUMBER),
        patient_orientation=orientation,
    )
    capture.SeriesDescription = "SVE change heatmap (research, not for diagnosis)"
    capture.BurnedInAnnotation = "NO"
    if "Laterality" not in capture:
        capture.Laterality = ""  # Type 2 in the General Series module
    return capture


def _new_series(series_number: int) -> dict[str, Any]:
    """The identity of an object we make: a new series holding it alone, our name as manufacturer."""
    return {
        "series_instance_uid": hd.UID(),
        "series_number": series_number,
        "sop_instance_uid": hd.UID(),
        "instance_number": 1,
        "manufacturer": MANUFACTURER,
    }


def _with_type2(header: Dataset) -> Dataset:
    """A pixel-free copy of an instance header with the Type 2 attributes highdicom copies present (empty)."""
    copy = Dataset({tag: deepcopy(element) for tag, element in header.items() if tag < 0x7FE00000})
    copy.file_meta = deepcopy(header.file_meta) if hasattr(header, "file_meta") else None
    for keyword in _TYPE2_COPIED:
        if keyword not in copy:
            setattr(copy, keyword, "")
    return copy
