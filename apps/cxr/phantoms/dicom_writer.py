"""Write a rendered phantom as a DICOM radiograph the way a CR/DX modality would.

The encoding varies on purpose (CR or DX, MONOCHROME1 or 2, 12 or 16 bits, a rescale, a window chosen
from the data like a modality's auto-window), so the generated dataset exercises the same ingestion paths
as hospital files. Identity attributes are plainly fake: PatientName `PHANTOM^Pnnnnnn`, IDs `PHANTOM-nnnnnn`,
dates in the 2100s, and UIDs derived from the generator seed so a dataset is reproducible file for file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
from pydicom import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.uid import (
    ComputedRadiographyImageStorage,
    DigitalXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    generate_uid,
)

_SOP_CLASSES = {"CR": ComputedRadiographyImageStorage, "DX": DigitalXRayImageStorageForPresentation}
# Stored values use the middle 90 % of the bit range, like a detector that leaves head-room at both ends.
_MARGIN = 0.05


@dataclass(frozen=True)
class PhantomIdentity:
    """The fake patient/study/image a file belongs to; `seed` makes its UIDs unique per generated dataset."""

    seed: int
    patient: int
    study: int = field(metadata={"help": "1-based visit number within the patient"})
    image: int = field(metadata={"help": "1-based image number within the study"})
    acquired: datetime

    def uid(self, level: str) -> str:
        return generate_uid(
            entropy_srcs=["sve-cxr-phantom", str(self.seed), str(self.patient), str(self.study), level]
        )


@dataclass(frozen=True)
class DicomEncoding:
    """How a modality stores the image; every field changes the bytes but not what a viewer shows."""

    modality: Literal["CR", "DX"] = "DX"
    photometric: Literal["MONOCHROME1", "MONOCHROME2"] = "MONOCHROME2"
    bits_stored: Literal[12, 16] = 12
    rescale_slope: float = 1.0
    rescale_intercept: float = 0.0
    window: bool = field(default=True, metadata={"help": "write WindowCenter/Width covering the anatomy"})
    view_position: str | None = field(default="PA", metadata={"help": "ViewPosition; None omits the tag"})
    pixel_spacing_mm: float = 0.5

    @classmethod
    def sample(cls, rng: np.random.Generator, view_position: str | None) -> DicomEncoding:
        return cls(
            modality=str(rng.choice(["CR", "DX"])),
            photometric=str(rng.choice(["MONOCHROME1", "MONOCHROME2"], p=[0.3, 0.7])),
            bits_stored=int(rng.choice([12, 16])),
            rescale_slope=float(rng.choice([1.0, 0.5, 2.0])),
            rescale_intercept=float(rng.choice([0.0, -1024.0])),
            view_position=view_position,
        )


def phantom_dataset(image: np.ndarray, encoding: DicomEncoding, identity: PhantomIdentity) -> Dataset:
    """A DICOM dataset for `image` ((H, W) in [0, 1], bright = dense), Explicit VR Little Endian."""
    top = 2**encoding.bits_stored - 1
    stored = np.round((_MARGIN + (1 - 2 * _MARGIN) * np.clip(image, 0, 1)) * top).astype(np.uint16)
    if encoding.photometric == "MONOCHROME1":
        stored = top - stored
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = _SOP_CLASSES[encoding.modality]
    ds.SOPInstanceUID = identity.uid(f"image-{identity.image}")
    ds.StudyInstanceUID = identity.uid("study")
    ds.SeriesInstanceUID = identity.uid(f"series-{identity.image}")
    ds.PatientName = f"PHANTOM^P{identity.patient:06d}"
    ds.PatientID = f"PHANTOM-{identity.patient:06d}"
    ds.PatientSex = "O"
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = identity.acquired.strftime("%Y%m%d")
    ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = identity.acquired.strftime("%H%M%S")
    ds.AccessionNumber = f"PH{identity.patient:06d}{identity.study:02d}"
    ds.StudyDescription = "SYNTHETIC PHANTOM CHEST"
    ds.Modality = encoding.modality
    ds.BodyPartExamined = "CHEST"
    ds.SeriesNumber, ds.InstanceNumber = identity.image, 1
    if encoding.view_position is not None:
        ds.ViewPosition = encoding.view_position
    ds.ImagerPixelSpacing = [encoding.pixel_spacing_mm, encoding.pixel_spacing_mm]
    ds.set_pixel_data(stored, encoding.photometric, encoding.bits_stored, generate_instance_uid=False)
    ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = (
        encoding.rescale_slope,
        encoding.rescale_intercept,
        "US",
    )
    if encoding.window:
        # Symmetric percentiles: the MONOCHROME1 file of an image gets the mirrored window, so it displays the same.
        low, high = np.percentile(stored * encoding.rescale_slope + encoding.rescale_intercept, [1.0, 99.0])
        ds.WindowCenter, ds.WindowWidth = round((low + high) / 2, 2), round(max(high - low, 1.0), 2)
    return ds


def write_phantom_dicom(
    path: Path, image: np.ndarray, encoding: DicomEncoding, identity: PhantomIdentity
) -> None:
    """Write `phantom_dataset(...)` as a DICOM Part 10 file (preamble, file meta) at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    phantom_dataset(image, encoding, identity).save_as(path, enforce_file_format=True)
