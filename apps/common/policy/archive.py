"""Archive policy: how much an uploaded zip may hold, and where its members may land.

Sized for one chest study (a few images of at most tens of MB each, maybe a DICOMDIR and a report):
`ArchiveLimits` caps the member count, the total uncompressed size and the compression ratio. They are checked
from the central directory before anything is written, and again while streaming, since the directory can lie
(each member is read at most up to its declared size plus one byte, and the running total is re-checked).
Member paths are confined to the extraction folder (no absolute paths, no ``..``, no drive letters), symlinks
and other special entries are refused, and encrypted members too. Flags: ``--max-zip-members``,
``--max-zip-mb`` (``sve cxr``); `configure` sets the process-wide limits they map to.
"""

from __future__ import annotations

import argparse
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from apps.common.policy.errors import InputRefused

CHUNK = 1024**2
RATIO_CHECK_FROM_BYTES = 64 * 1024  # tiny text members (DICOMDIR, notes) may compress far better than pixels


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = field(default=100, metadata={"help": "files in one zip (--max-zip-members)"})
    max_total_bytes: int = field(default=512 * 1024**2, metadata={
        "help": "uncompressed size of all members together (--max-zip-mb)"})
    max_ratio: float = field(default=30.0, metadata={
        "help": "uncompressed / compressed size of a member over 64 KiB and of the whole zip; DICOM pixel data "
                "deflates 2-4x, a bomb 100-1000x"})

    def __post_init__(self) -> None:
        if self.max_members < 1 or self.max_total_bytes < 1 or self.max_ratio < 1:
            raise InputRefused(f"{self}: every archive limit must be at least 1")


_active = ArchiveLimits()


def configure(limits: ArchiveLimits) -> None:
    """Set the limits `extract_zip` applies by default (what the CLI flags change)."""
    global _active
    _active = limits


def add_flags(parser: argparse.ArgumentParser) -> None:
    """The flags that change `ArchiveLimits` (read back by `apply_flags`)."""
    default = ArchiveLimits()
    parser.add_argument("--max-zip-members", type=int, default=default.max_members,
                        help=f"refuse a zip holding more files than this (default {default.max_members})")
    parser.add_argument("--max-zip-mb", type=int, default=default.max_total_bytes // 1024**2,
                        help="refuse a zip unpacking to more MiB than this "
                             f"(default {default.max_total_bytes // 1024**2})")


def apply_flags(args: argparse.Namespace) -> None:
    """Make the limits given by `add_flags`'s flags the process-wide ones."""
    configure(ArchiveLimits(max_members=args.max_zip_members, max_total_bytes=args.max_zip_mb * 1024**2))


def extract_zip(path: Path, dest: Path, limits: ArchiveLimits | None = None) -> list[Path]:
    """Write the zip's files under `dest` (an empty private folder) and return them; raises `InputRefused`
    naming the zip and the limit when it is unsafe, leaving only the partial files in `dest` to delete."""
    limits = limits or _active
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise InputRefused(f"{path.name}: not a readable zip archive; expected a zip of one study's files") from err
    with archive:
        members = checked_members(archive, path.name, limits)
        written, total = [], 0
        try:
            for info, parts in members:
                target = dest.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, target.open("wb") as sink:
                    size = 0
                    while chunk := source.read(CHUNK):
                        size += len(chunk)
                        total += len(chunk)
                        if size > info.file_size or total > limits.max_total_bytes:
                            raise InputRefused(f"{path.name}: a member inflates past its declared size or the "
                                               f"{_mib(limits.max_total_bytes)} limit (--max-zip-mb); refusing it")
                        sink.write(chunk)
                written.append(target)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as err:
            raise InputRefused(f"{path.name}: the zip is damaged (a member fails its CRC, is truncated or uses "
                               "an unsupported compression)") from err
    return written


def checked_members(archive: zipfile.ZipFile, name: str,
                    limits: ArchiveLimits) -> list[tuple[zipfile.ZipInfo, tuple[str, ...]]]:
    """File members and their path parts, after the central-directory checks (no byte inflated yet)."""
    files = [info for info in archive.infolist() if not info.is_dir()]
    if len(files) > limits.max_members:
        raise InputRefused(f"{name}: {len(files):,} files in the zip, over the limit of {limits.max_members} for "
                           "one study (--max-zip-members)")
    members, total, packed = [], 0, 0
    for info in files:
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if not parts or info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise InputRefused(f"{name}: a member path leaves the archive folder (absolute or '..'); refusing "
                               "the zip")
        mode = info.external_attr >> 16  # Unix mode; its type bits are 0 when the zip was not made on Unix
        if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
            kind = "a symbolic link" if stat.S_ISLNK(mode) else "a special file"
            raise InputRefused(f"{name}: a member is {kind}; expected regular files only")
        if info.flag_bits & 0x1:
            raise InputRefused(f"{name}: holds encrypted members; expected an unencrypted zip")
        if info.file_size > RATIO_CHECK_FROM_BYTES and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise InputRefused(f"{name}: a member inflates {info.file_size / max(info.compress_size, 1):,.0f}x, "
                               f"more than {limits.max_ratio:g}x (zip bomb?); refusing the zip")
        total += info.file_size
        packed += info.compress_size
        members.append((info, parts))
    if total > limits.max_total_bytes:
        raise InputRefused(f"{name}: unpacks to {_mib(total)}, over the {_mib(limits.max_total_bytes)} limit "
                           "(--max-zip-mb)")
    if total > RATIO_CHECK_FROM_BYTES and total > limits.max_ratio * max(packed, 1):
        raise InputRefused(f"{name}: inflates {total / max(packed, 1):,.0f}x overall, more than "
                           f"{limits.max_ratio:g}x (zip bomb?); refusing the zip")
    return members


def _mib(size: int) -> str:
    return f"{size / 1024**2:,.0f} MiB" if size >= 1024**2 else f"{size:,} bytes"
