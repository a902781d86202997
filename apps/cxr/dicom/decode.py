"""Decode one DICOM radiograph into a `CxrImage`, following the standard's display pipeline.

Order (PS3.4 N.2): stored values -> modality LUT (rescale slope/intercept) -> VOI LUT or window centre/width
-> MONOCHROME1 inversion, which pydicom leaves to the caller -> [0, 1]. A file without a VOI module gets a
percentile window instead (`transforms.AUTO_WINDOW_PERCENTILES`).

Choices a user may trip over:
- Multi-frame: only the first frame is decoded, with a warning. Radiograph objects with several frames are
  almost always a duplicate or a processed variant of the same exposure; an error would block them for
  nothing, while decoding all frames would silently multiply memory.
- Compressed syntaxes: JPEG 2000 and RLE decode out of the box (pylibjpeg-openjpeg, pylibjpeg-rle, pydicom);
  JPEG baseline/extended/lossless and JPEG-LS need the optional GPL decoder (`sve-suite[jpeg]`), and the
  error says so instead of pydicom's plugin list.
- Only MONOCHROME1/2 with 8 or 16 bits allocated: colour or float data is not a radiograph we can window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from pydicom import Dataset, config, dcmread
from pydicom.errors import InvalidDicomError
from pydicom.pixels import apply_modality_lut, apply_voi_lut, get_decoder, pixel_array
from pydicom.uid import (
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
)
from pydicom.valuerep import DA, TM

from apps.common.policy.dicom import check_dicom_file, check_dicom_header
from apps.common.policy.errors import InputRefused
from apps.cxr.dicom.image import CxrImage, CxrMeta, VoiSource
from apps.cxr.dicom.transforms import AUTO_WINDOW_PERCENTILES, scale_percentiles, scale_range
from apps.cxr.errors import DicomError

logger = logging.getLogger(__name__)

JPEG_EXTRA_HINT = 'install the optional JPEG decoder with `pip install "sve-suite[jpeg]"` (pylibjpeg-libjpeg)'
_JPEG_FAMILY = {
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
}
# What pydicom raises while parsing a damaged header or decoding damaged pixel data.
_PYDICOM_ERRORS = (ValueError, TypeError, KeyError, AttributeError, EOFError, OSError, RuntimeError)
# Date/time pairs that order a study, most specific first; all are PHI and stay inside `StudyKey`.
_WHEN_TAGS = (
    ("StudyDate", "StudyTime"),
    ("SeriesDate", "SeriesTime"),
    ("AcquisitionDate", "AcquisitionTime"),
)


@dataclass(frozen=True)
class StudyKey:
    """What pairing needs from a header and must never show: patient, study and acquisition time.

    Every field is `repr=False`, so printing or logging a key shows `StudyKey()` and nothing else.
    """

    patient_id: str | None = field(repr=False)
    study_uid: str | None = field(repr=False)
    acquired: datetime | None = field(repr=False)


@contextmanager
def quiet_pydicom() -> Iterator[None]:
    """Silence pydicom's value validation while reading: its warnings quote the offending value (a malformed
    PatientName or StudyDate), so they would copy PHI into logs. Also usable as a function decorator.
    The setting is process-wide: overlapping calls from several threads can leave it off, the PHI-safe side."""
    previous = config.settings.reading_validation_mode
    config.settings.reading_validation_mode = config.IGNORE
    try:
        yield
    finally:
        config.settings.reading_validation_mode = previous


def read_dataset(path: Path, *, pixels: bool = True) -> Dataset:
    """Parse a DICOM file (headers only when `pixels` is False, for choosing among a study's files)."""
    _policy(check_dicom_file, path)
    try:
        return dcmread(path, stop_before_pixels=not pixels)
    except InvalidDicomError as err:
        raise DicomError(
            f"{path.name}: not a DICOM file (no 'DICM' marker at byte 128); expected a DICOM Part 10 file, "
            "a PNG or a JPEG"
        ) from err
    except _PYDICOM_ERRORS as err:
        raise DicomError(
            f"{path.name}: the DICOM header cannot be parsed; the file looks truncated or corrupt"
        ) from err


def _policy(check: Callable[..., None], *args: object) -> None:
    """Run a DICOM input-policy check, reporting a refusal as a `DicomError`."""
    try:
        check(*args)
    except InputRefused as err:
        raise DicomError(str(err)) from err


def view_position(ds: Dataset) -> str | None:
    """ViewPosition (0018,5101) upper-cased, or None when absent or empty (the caller decides the fallback)."""
    value = str(ds.get("ViewPosition") or "").strip().upper()
    return value or None


def study_key(ds: Dataset) -> StudyKey:
    """Patient, study and time of acquisition; an unparsable date counts as missing rather than failing."""
    patient = str(ds.get("PatientID") or "").strip() or None
    study_uid = str(ds.get("StudyInstanceUID") or "").strip() or None
    return StudyKey(patient_id=patient, study_uid=study_uid, acquired=_acquired(ds))


def _acquired(ds: Dataset) -> datetime | None:
    for date_tag, time_tag in _WHEN_TAGS:
        date_text, time_text = str(ds.get(date_tag) or "").strip(), str(ds.get(time_tag) or "").strip()
        if not date_text:
            continue
        try:
            day = DA(date_text)
            moment = TM(time_text) if time_text else None
        except ValueError:
            continue
        if day is not None:
            return (
                datetime.combine(day, moment)
                if moment is not None
                else datetime(day.year, day.month, day.day)
            )
    return None


@quiet_pydicom()
def load_dicom(path: str | Path) -> CxrImage:
    """Decode the radiograph in one DICOM file; `DicomError` names the file, tag and expectation if we cannot."""
    path = Path(path)
    return decode(read_dataset(path), path.name)


def decode(ds: Dataset, name: str) -> CxrImage:
    """Run the display pipeline on a parsed dataset; `name` is the file name used in messages."""
    _policy(check_dicom_header, ds, name)
    _require_radiograph(ds, name)
    frames = int(ds.get("NumberOfFrames") or 1)
    if frames > 1:
        logger.warning("%s holds %d frames; using the first frame only", name, frames)
    stored = _decode_pixels(ds, name, index=0 if frames > 1 else None)
    values = apply_modality_lut(stored, ds).astype(np.float64)
    # A VOI LUT is indexed by value: hand it integers when the rescale kept them integral (the usual 1/0).
    voi_input = values.astype(np.int64) if np.array_equal(values, np.round(values)) else values
    voi_source = _voi_source(ds)
    if voi_source == "percentiles":
        pixels = scale_percentiles(values, *AUTO_WINDOW_PERCENTILES)
    else:
        try:
            windowed = apply_voi_lut(voi_input, ds, prefer_lut=True)
        except ValueError as err:
            raise DicomError(
                f"{name}: WindowWidth (0028,1051) is invalid for the VOI LUT Function (0028,1056); "
                "expected a width of at least 1"
            ) from err
        pixels = scale_range(windowed, *_voi_output_range(ds))
    if ds.PhotometricInterpretation == "MONOCHROME1":
        pixels, values = 1.0 - pixels, -values
    return CxrImage(
        pixels=pixels, values=values.astype(np.float32), meta=_meta(ds, stored.shape, frames, voi_source)
    )


def _require_radiograph(ds: Dataset, name: str) -> None:
    if "PixelData" not in ds:
        sop_class = ds.get("SOPClassUID")
        # An unregistered SOP class "name" is its UID, which we do not echo.
        kind = sop_class.name if sop_class is not None and sop_class.name != sop_class else "non-image"
        raise DicomError(
            f"{name}: no Pixel Data (7FE0,0010); the file is truncated or is a {kind} object, not an image. "
            "Expected a CR or DX radiograph"
        )
    photometric = str(ds.get("PhotometricInterpretation") or "")
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise DicomError(
            f"{name}: PhotometricInterpretation (0028,0004) is {photometric or 'missing'}; expected MONOCHROME1 "
            "or MONOCHROME2 (a grey-scale radiograph). Export colour captures as PNG instead"
        )
    if ds.get("BitsAllocated") not in (8, 16):
        raise DicomError(f"{name}: BitsAllocated (0028,0100) must be 8 or 16 for a radiograph")
    syntax = ds.file_meta.get("TransferSyntaxUID")
    if syntax is None:
        raise DicomError(
            f"{name}: no TransferSyntaxUID (0002,0010) in the file meta; cannot decode its pixels"
        )
    try:
        available = get_decoder(syntax).is_available
    except NotImplementedError as err:
        raise DicomError(f"{name}: transfer syntax {syntax.name} (0002,0010) is not supported") from err
    if not available:
        hint = (
            JPEG_EXTRA_HINT if syntax in _JPEG_FAMILY else "; ".join(get_decoder(syntax).missing_dependencies)
        )
        raise DicomError(f"{name}: no decoder installed for transfer syntax {syntax.name}; {hint}")


def _decode_pixels(ds: Dataset, name: str, *, index: int | None) -> np.ndarray:
    syntax = ds.file_meta.TransferSyntaxUID
    try:
        return pixel_array(ds, index=index)
    except RuntimeError as err:
        hint = JPEG_EXTRA_HINT if syntax in _JPEG_FAMILY else "the compressed data may be damaged"
        raise DicomError(
            f"{name}: the installed decoders cannot decode this {syntax.name} image; {hint}"
        ) from err
    except _PYDICOM_ERRORS as err:
        raise DicomError(
            f"{name}: Pixel Data (7FE0,0010) cannot be decoded ({err}); expected Rows x Columns x "
            "BitsAllocated worth of pixels — the file is probably truncated"
        ) from err


def _voi_source(ds: Dataset) -> VoiSource:
    """Which VOI transform `apply_voi_lut(prefer_lut=True)` will apply, by pydicom's own validity rules."""
    lut = ds.get("VOILUTSequence")
    if lut and lut[0].get("LUTDescriptor") is not None and lut[0].get("LUTData") is not None:
        return "voi-lut"
    if ds.get("WindowCenter") is not None and ds.get("WindowWidth") is not None:
        return "window"
    return "percentiles"


def _voi_output_range(ds: Dataset) -> tuple[float, float]:
    """The range the VOI transform maps onto, probed rather than re-derived from pydicom's internals.

    A window sends everything below/above it to its output extremes; a LUT's range is that of its entries.
    """
    if _voi_source(ds) == "voi-lut":
        entries, first = ds.VOILUTSequence[0].LUTDescriptor[:2]
        probe = np.arange(first, first + (entries or 2**16))
    else:
        probe = np.array([-1e300, 1e300])
    with np.errstate(over="ignore"):
        out = apply_voi_lut(probe, ds, prefer_lut=True)
    return float(out.min()), float(out.max())


def _meta(ds: Dataset, shape: tuple[int, ...], frames: int, voi_source: VoiSource) -> CxrMeta:
    spacing = ds.get("PixelSpacing") or ds.get("ImagerPixelSpacing")
    return CxrMeta(
        modality=str(ds.get("Modality") or "") or None,
        view_position=view_position(ds),
        rows=shape[0],
        columns=shape[1],
        bits_allocated=int(ds.BitsAllocated),
        bits_stored=int(ds.get("BitsStored") or ds.BitsAllocated),
        photometric_interpretation=str(ds.PhotometricInterpretation),
        transfer_syntax=ds.file_meta.TransferSyntaxUID.name,
        pixel_spacing_mm=(float(spacing[0]), float(spacing[1])) if spacing and len(spacing) == 2 else None,
        frames=frames,
        voi_source=voi_source,
    )
