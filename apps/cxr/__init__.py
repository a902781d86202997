"""Longitudinal chest X-ray: DICOM/PNG ingestion (`dicom`, `bitmap`, `studies`), display windows (`windows`),
MONAI pipelines (`transforms`) and a synthetic phantom dataset (`phantoms`, `make_dataset`).

Exports resolve on first use: importing MONAI costs ~10 s, which `sve --help`, `DicomError` handlers and the
phantom renderer should not pay.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apps.cxr.dicom import StudyKey, load_dicom
    from apps.cxr.errors import DicomError
    from apps.cxr.image import CxrImage, CxrMeta
    from apps.cxr.studies import Study, load_studies, load_study
    from apps.cxr.transforms import augment_transform, model_transform
    from apps.cxr.windows import WINDOW_PRESETS, WindowPreset, apply_window

_EXPORTS = {
    "CxrImage": "apps.cxr.image",
    "CxrMeta": "apps.cxr.image",
    "DicomError": "apps.cxr.errors",
    "Study": "apps.cxr.studies",
    "StudyKey": "apps.cxr.dicom",
    "WINDOW_PRESETS": "apps.cxr.windows",
    "WindowPreset": "apps.cxr.windows",
    "apply_window": "apps.cxr.windows",
    "augment_transform": "apps.cxr.transforms",
    "load_dicom": "apps.cxr.dicom",
    "load_studies": "apps.cxr.studies",
    "load_study": "apps.cxr.studies",
    "model_transform": "apps.cxr.transforms",
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
