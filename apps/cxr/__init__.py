"""Longitudinal chest X-ray. Sub-packages by concern: `dicom/` (DICOM/PNG ingestion, studies, display windows, MONAI
pipelines), `phantoms/` (the synthetic phantom dataset), `report/` (the predictor and its comparison report),
`pacs/` (studies from a PACS over DICOMweb, the report stored back); `app.py`, `cli.py` and `evaluate.py` build
on them.

Exports resolve on first use: importing MONAI costs ~10 s, which `sve --help`, `DicomError` handlers and the
phantom renderer should not pay.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apps.cxr.dicom.decode import StudyKey, load_dicom
    from apps.cxr.dicom.image import CxrImage, CxrMeta
    from apps.cxr.dicom.studies import Study, load_studies, load_study
    from apps.cxr.dicom.transforms import augment_transform, model_transform
    from apps.cxr.dicom.windows import WINDOW_PRESETS, WindowPreset, apply_window
    from apps.cxr.errors import DicomError

_EXPORTS = {
    "CxrImage": "apps.cxr.dicom.image",
    "CxrMeta": "apps.cxr.dicom.image",
    "DicomError": "apps.cxr.errors",
    "Study": "apps.cxr.dicom.studies",
    "StudyKey": "apps.cxr.dicom.decode",
    "WINDOW_PRESETS": "apps.cxr.dicom.windows",
    "WindowPreset": "apps.cxr.dicom.windows",
    "apply_window": "apps.cxr.dicom.windows",
    "augment_transform": "apps.cxr.dicom.transforms",
    "load_dicom": "apps.cxr.dicom.decode",
    "load_studies": "apps.cxr.dicom.studies",
    "load_study": "apps.cxr.dicom.studies",
    "model_transform": "apps.cxr.dicom.transforms",
}
__all__ = [
    "WINDOW_PRESETS",
    "CxrImage",
    "CxrMeta",
    "DicomError",
    "Study",
    "StudyKey",
    "WindowPreset",
    "apply_window",
    "augment_transform",
    "load_dicom",
    "load_studies",
    "load_study",
    "model_transform",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
