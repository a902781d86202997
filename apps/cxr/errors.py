"""`DicomError`: a radiograph, study or archive we cannot use, with a message that says what to do about it."""

from __future__ import annotations


class DicomError(ValueError):
    """An input radiograph cannot be ingested: unreadable, not an image, no decoder, wrong patient, unsafe zip.

    A `ValueError` subclass so the `sve` CLI prints it without a traceback and exits 2 (docs/CONVENTIONS.md).
    Messages name the file by its base name (folders are often named after patients), the DICOM tag involved
    and what was expected; they never quote a value from the header, because any value may be PHI.
    """
