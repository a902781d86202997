#!/usr/bin/env python3
"""Fake chest X-ray inputs for tests/apps/cxr, written into a test's tmp folder, all seeded.

The images are small phantoms from `apps.cxr.phantoms.render`; the encodings cover what hospital files do
(transfer syntaxes, MONOCHROME1, rescale, windows, multi-frame, missing views) and the ways inputs go wrong
(truncated, not an image, zip-slip, zip bomb). Every file carries the same made-up but realistic-looking PHI
(`PHI`), so a test can assert that none of it reaches a message, a log record or a file name.
Run `PYTHONPATH=. python tests/data/cxr/data.py DIR` from the repository root to write one of each.
"""

from __future__ import annotations

import sys
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from pydicom import Dataset
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
)

from apps.cxr.phantoms.dicom_writer import DicomEncoding, PhantomIdentity, phantom_dataset
from apps.cxr.phantoms.patients import sample_pair
from apps.cxr.phantoms.render import render_frontal, render_lateral

SIZE = 48
FIRST_DAY = datetime(2023, 4, 5, 9, 30, 15)
PHI = {
    "PatientName": "DOE^JANE",
    "PatientID": "MRN0012345",
    "PatientBirthDate": "19610203",
    "AccessionNumber": "ACC998877",
    "InstitutionName": "SAINT EXAMPLE HOSPITAL",
}
# How the PHI above, the study date/time and the UIDs could show up in a message or log record.
_PHI_SPELLINGS = (*PHI.values(), "DOE", "JANE", "20230405", "2023-04-05", "093015", "1.2.826.0.1.3680043")
UNCOMPRESSED = (ExplicitVRLittleEndian, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian)


def leaks(text: str, *, report: bool = False) -> list[str]:
    """The PHI spellings found in `text`; a test asserts this is empty for messages and log records. A
    `report` (report.md / report.json, read by the clinician) may show the study date in its comparison header
    (ISO format, `2023-04-05`), and nothing else."""
    return [value for value in _PHI_SPELLINGS if value in text and not (report and value == "2023-04-05")]


def radiograph(
    seed: int = 0, *, lateral: bool = False, findings: dict[str, float] | None = None, day: int = 0
) -> np.ndarray:
    """A (SIZE, SIZE) phantom in [0, 1], bright = dense; the same seed gives the same patient, and the same
    `day` the same pose (a later day is positioned a little differently, as a follow-up film is)."""
    pair = sample_pair(np.random.default_rng(seed))
    shift = (pair.prior.shift[0] + day / 1500, pair.prior.shift[1])
    visit = replace(pair.prior, findings=findings or {}, noise=0.0, shift=shift)
    render = render_lateral if lateral else render_frontal
    return render(pair.patient, visit, SIZE)


def dataset(
    image: np.ndarray | None = None,
    *,
    encoding: DicomEncoding | None = None,
    patient: str = PHI["PatientID"],
    day: int = 0,
    image_number: int = 1,
) -> Dataset:
    """A DICOM radiograph carrying `PHI`, acquired `day` days after `FIRST_DAY`; tweak it, then `save` it."""
    when = FIRST_DAY + timedelta(days=day)
    identity = PhantomIdentity(seed=0, patient=day, study=day, image=image_number, acquired=when)
    ds = phantom_dataset(radiograph() if image is None else image, encoding or DicomEncoding(), identity)
    for keyword, value in PHI.items():
        setattr(ds, keyword, value)
    ds.PatientID = patient
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.8.498.777.{day}"
    return ds


def save(ds: Dataset, path: Path, transfer_syntax: UID = ExplicitVRLittleEndian) -> Path:
    """Write `ds` with `transfer_syntax`: re-encoded for uncompressed ones, compressed by pydicom otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if transfer_syntax in UNCOMPRESSED:
        ds.file_meta.TransferSyntaxUID = transfer_syntax
    else:
        ds.compress(transfer_syntax, generate_instance_uid=False)
    ds.save_as(path, enforce_file_format=True)
    return path


def multi_frame(path: Path) -> Path:
    """Two frames: the phantom, then its negative, so a test can tell which one was decoded."""
    ds = dataset()
    first = ds.pixel_array
    ds.set_pixel_data(np.stack([first, first.max() - first]), "MONOCHROME2", 12, generate_instance_uid=False)
    return save(ds, path)


def non_image(path: Path) -> Path:
    """A text report (Basic Text SR) with PHI and no Pixel Data, as found next to images in a study export."""
    ds = dataset()
    del ds.PixelData
    ds.SOPClassUID = UID("1.2.840.10008.5.1.4.1.1.88.11")
    return save(ds, path)


def truncated(path: Path, *, keep: float = 0.6) -> Path:
    """A radiograph cut off after `keep` of its bytes, like an interrupted download."""
    save(dataset(), path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def study(
    folder: Path, views: tuple[str | None, ...], *, patient: str = PHI["PatientID"], day: int = 0
) -> Path:
    """One study folder, `image_<n>.dcm` per view; frontal views get the seed-1 phantom, laterals a lateral."""
    for number, view in enumerate(views, start=1):
        lateral = view not in (None, "PA", "AP")
        image = radiograph(1, lateral=lateral, day=day) if lateral else radiograph(number, day=day)
        ds = dataset(
            image, encoding=DicomEncoding(view_position=view), patient=patient, day=day, image_number=number
        )
        save(ds, folder / f"image_{number}.dcm")
    return folder


def zipped(folder: Path, path: Path) -> Path:
    """`folder`'s files in a zip, under a top folder as a user's "compress folder" makes them."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            archive.write(file, Path(folder.name) / file.relative_to(folder))
    return path


def zip_slip(path: Path) -> Path:
    """A zip whose member climbs out of the extraction folder."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../escaped.dcm", b"not really a dicom")
    return path


def zip_bomb(path: Path) -> Path:
    """A 40 KB zip that inflates to 40 MB of zeros."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("image_1.dcm", bytes(40 * 1024**2))
    return path


def main(out: Path) -> None:
    for syntax in (*UNCOMPRESSED, RLELossless, JPEG2000Lossless):
        save(dataset(), out / f"{syntax.name.replace(' ', '_')}.dcm", syntax)
    save(dataset(encoding=DicomEncoding(photometric="MONOCHROME1")), out / "monochrome1.dcm")
    multi_frame(out / "multi_frame.dcm")
    non_image(out / "report.dcm")
    truncated(out / "truncated.dcm")
    zipped(study(out / "study", ("LL", "PA")), out / "study.zip")
    zip_slip(out / "zip_slip.zip")
    print(f"wrote fixtures to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
