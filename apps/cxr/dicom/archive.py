"""Unpack an uploaded study zip into a private temporary folder that is removed when the caller is done.

An upload is untrusted: a member named `../../x` or `/etc/x` must not land outside the folder (zip-slip), and
a few kilobytes must not inflate to fill the disk (zip bomb). Member names and sizes are checked from the
central directory before anything is written; `zipfile` itself never reads past a member's declared size and
verifies its CRC, so a lying header fails instead of writing more. Members are written as plain files, so a
symlink entry cannot point outside either.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from apps.cxr.errors import DicomError

# A chest study is a handful of 5-60 MB images; these leave room for large multi-view studies.
MAX_MEMBERS = 2_000
MAX_TOTAL_BYTES = 4 * 1024**3
# DICOM pixel data compresses about 2-4x; a ratio this high on a sizeable member is a bomb, not a radiograph.
MAX_RATIO = 200
_RATIO_CHECK_FROM_BYTES = 1024**2


@contextmanager
def extracted_zip(path: Path, *, max_total_bytes: int = MAX_TOTAL_BYTES) -> Iterator[Path]:
    """Yield a temporary folder holding the zip's files; it and everything in it is deleted on exit."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise DicomError(
            f"{path.name}: not a readable zip archive; expected a zip of one study's files"
        ) from err
    with archive, tempfile.TemporaryDirectory(prefix="sve_cxr_") as tmp:
        root = Path(tmp)
        members = _checked_members(archive, path.name, max_total_bytes)
        try:
            for info, parts in members:
                target = root.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, target.open("wb") as sink:
                    shutil.copyfileobj(source, sink)
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise DicomError(
                f"{path.name}: the zip is damaged (a member fails its CRC or is truncated)"
            ) from err
        yield root


def _checked_members(
    archive: zipfile.ZipFile, name: str, max_total_bytes: int
) -> list[tuple[zipfile.ZipInfo, tuple[str, ...]]]:
    """File members and their path parts, after refusing unsafe names, encrypted entries and bomb-like sizes."""
    files = [info for info in archive.infolist() if not info.is_dir()]
    if len(files) > MAX_MEMBERS:
        raise DicomError(
            f"{name}: {len(files)} files in the zip; expected at most {MAX_MEMBERS} for one study"
        )
    total, members = 0, []
    for info in files:
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if not parts or info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise DicomError(
                f"{name}: a member path leaves the archive folder (absolute or '..'); refusing the zip"
            )
        if info.flag_bits & 0x1:
            raise DicomError(f"{name}: holds encrypted members; expected an unencrypted zip")
        if info.file_size > _RATIO_CHECK_FROM_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise DicomError(
                f"{name}: a member inflates more than {MAX_RATIO}x (zip bomb?); refusing the zip"
            )
        total += info.file_size
        members.append((info, parts))
    if total > max_total_bytes:
        raise DicomError(
            f"{name}: unpacks to {total / 1024**2:.0f} MiB, over the {max_total_bytes / 1024**2:.0f} MiB limit"
        )
    return members
