"""DICOM policy: what a DICOM file may declare before we parse or decode it.

A header is a promise about memory: Rows x Columns x NumberOfFrames x SamplesPerPixel pixels, decoded from a
payload that may be a few MB of RLE or deflate. So, in this order:

1. `check_dicom_file` (before ``dcmread``): the file size is capped, the transfer syntax must be one of
   `ALLOWED_SYNTAXES`, and a Deflated Explicit VR Little Endian file, which pydicom inflates whole while
   reading the header, is first inflated here in bounded chunks (output discarded) and refused when it would
   exceed `DicomLimits.max_inflated_bytes`.
2. `check_dicom_header` (after a header-only parse, before any pixel is decoded): the declared geometry is
   checked against `DicomLimits.max_pixels`, whose default holds four frames of the largest detectors
   (about 4,300 x 4,300).

Flags (``sve cxr``): ``--max-dicom-mb``, ``--max-dicom-pixels``; `configure` sets the process-wide limits.
Messages name the file by base name and the tag, never a header value (any of them may be PHI).
"""

from __future__ import annotations

import argparse
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pydicom import Dataset, uid
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_file_meta_info

from apps.common.policy.errors import InputRefused

ALLOWED_SYNTAXES = frozenset({
    uid.ImplicitVRLittleEndian, uid.ExplicitVRLittleEndian, uid.ExplicitVRBigEndian,
    uid.DeflatedExplicitVRLittleEndian, uid.RLELossless,
    uid.JPEGBaseline8Bit, uid.JPEGExtended12Bit, uid.JPEGLossless, uid.JPEGLosslessSV1,
    uid.JPEGLSLossless, uid.JPEGLSNearLossless, uid.JPEG2000Lossless, uid.JPEG2000,
})
_CHUNK = 1024**2
_PREAMBLE = 128 + 4  # preamble + "DICM"
_GROUP_LENGTH_ELEMENT = 12  # (0002,0000) UL: tag, VR, length, value


@dataclass(frozen=True)
class DicomLimits:
    max_file_bytes: int = field(default=512 * 1024**2, metadata={
        "help": "size of one DICOM file on disk (--max-dicom-mb); a 4,300 x 4,300 16-bit image is 37 MB"})
    max_pixels: int = field(default=80_000_000, metadata={
        "help": "Rows x Columns x NumberOfFrames x SamplesPerPixel (--max-dicom-pixels): 4 frames of 4,300^2"})
    max_inflated_bytes: int = field(default=512 * 1024**2, metadata={
        "help": "size a deflated transfer syntax may inflate to (follows --max-dicom-mb)"})

    def __post_init__(self) -> None:
        if min(self.max_file_bytes, self.max_pixels, self.max_inflated_bytes) < 1:
            raise InputRefused(f"{self}: every DICOM limit must be at least 1")


_active = DicomLimits()


def configure(limits: DicomLimits) -> None:
    """Set the limits the checks apply by default (what the CLI flags change)."""
    global _active
    _active = limits


def add_flags(parser: argparse.ArgumentParser) -> None:
    """The flags that change `DicomLimits` (read back by `apply_flags`)."""
    default = DicomLimits()
    parser.add_argument("--max-dicom-mb", type=int, default=default.max_file_bytes // 1024**2,
                        help="refuse a DICOM file (or its inflated data set) larger than this many MiB "
                             f"(default {default.max_file_bytes // 1024**2})")
    parser.add_argument("--max-dicom-pixels", type=int, default=default.max_pixels,
                        help="refuse a DICOM declaring more Rows x Columns x frames x samples, before decoding "
                             f"(default {default.max_pixels:,})")


def apply_flags(args: argparse.Namespace) -> None:
    """Make the limits given by `add_flags`'s flags the process-wide ones."""
    size = args.max_dicom_mb * 1024**2
    configure(DicomLimits(max_file_bytes=size, max_pixels=args.max_dicom_pixels, max_inflated_bytes=size))


def check_dicom_file(path: Path, limits: DicomLimits | None = None) -> None:
    """Refuse a file by size, transfer syntax or deflated size before ``dcmread`` touches it.

    A file whose meta header cannot be read is left to the caller's parser, which names what is wrong with it.
    """
    limits = limits or _active
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise InputRefused(f"{path.name}: {size / 1024**2:,.0f} MiB, over the {limits.max_file_bytes / 1024**2:,.0f} "
                           "MiB limit for one DICOM file (--max-dicom-mb)")
    try:
        meta = read_file_meta_info(path)
    except (InvalidDicomError, ValueError, EOFError, OSError, struct.error):
        return
    syntax, group_length = meta.get("TransferSyntaxUID"), meta.get("FileMetaInformationGroupLength")
    if syntax is None or (group_length is not None and size < _dataset_offset(group_length)):
        return  # a truncated meta header: the caller's parser reports the damage
    if syntax not in ALLOWED_SYNTAXES:
        raise InputRefused(f"{path.name}: transfer syntax (0002,0010) is not one we decode; expected uncompressed, "
                           "deflated, RLE, JPEG, JPEG-LS or JPEG 2000")
    if syntax == uid.DeflatedExplicitVRLittleEndian:
        _check_inflated_size(path, group_length, limits.max_inflated_bytes)


def check_dicom_header(ds: Dataset, name: str, limits: DicomLimits | None = None) -> None:
    """Refuse a declared image geometry over `max_pixels` (or not positive) before any pixel is decoded."""
    limits = limits or _active
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        return  # no pixels to decode: the caller says what kind of object it is
    values = {}
    for tag, default in (("Rows", None), ("Columns", None), ("NumberOfFrames", 1), ("SamplesPerPixel", 1)):
        raw = ds.get(tag, default)
        try:
            values[tag] = int(raw if raw not in (None, "") else default)
        except (TypeError, ValueError):
            raise InputRefused(f"{name}: {tag} is missing or not a number; expected a positive integer") from None
        if values[tag] < 1:
            raise InputRefused(f"{name}: {tag} must be a positive integer")
    total = values["Rows"] * values["Columns"] * values["NumberOfFrames"] * values["SamplesPerPixel"]
    if total > limits.max_pixels:
        raise InputRefused(f"{name}: declares Rows x Columns x NumberOfFrames x SamplesPerPixel = {total:,} pixels, "
                           f"over the {limits.max_pixels:,} limit (--max-dicom-pixels)")


def _dataset_offset(group_length: int) -> int:
    """Where the data set starts: after the preamble, "DICM" and the meta group."""
    return _PREAMBLE + _GROUP_LENGTH_ELEMENT + int(group_length)


def _check_inflated_size(path: Path, group_length: int | None, limit: int) -> None:
    if group_length is None:
        raise InputRefused(f"{path.name}: a deflated file without FileMetaInformationGroupLength (0002,0000); "
                           "cannot bound its size before reading")
    inflater, inflated = zlib.decompressobj(-zlib.MAX_WBITS), 0
    with path.open("rb") as handle:
        handle.seek(_dataset_offset(group_length))
        while chunk := handle.read(_CHUNK):
            while chunk:
                try:
                    out = inflater.decompress(chunk, _CHUNK)
                except zlib.error:
                    return  # not valid deflate: pydicom's parse reports the damage
                inflated += len(out)
                if inflated > limit:
                    raise InputRefused(f"{path.name}: the deflated data set inflates past {limit / 1024**2:,.0f} MiB "
                                       "(--max-dicom-mb); refusing it")
                chunk = inflater.unconsumed_tail
            if inflater.eof:
                return
