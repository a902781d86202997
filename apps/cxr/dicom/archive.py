"""Unpack an uploaded study zip into a private temporary folder that is removed when the caller is done.

The limits, path confinement and streaming checks are the archive policy's (`apps.common.policy.archive`);
this module gives them the chest X-ray error type and the temporary folder's lifetime.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from apps.common.policy.archive import ArchiveLimits, extract_zip
from apps.common.policy.errors import InputRefused
from apps.cxr.errors import DicomError


@contextmanager
def extracted_zip(path: Path, *, limits: ArchiveLimits | None = None) -> Iterator[Path]:
    """Yield a temporary folder holding the zip's files; it and everything in it is deleted on exit."""
    with tempfile.TemporaryDirectory(prefix="sve_cxr_") as tmp:
        try:
            extract_zip(path, Path(tmp), limits)
        except InputRefused as err:
            raise DicomError(str(err)) from err
        yield Path(tmp)
