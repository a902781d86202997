"""Checkpoint policy: a folder to resume from is verified before any of it is loaded.

Every ``*.safetensors`` file must have a readable header (8-byte length, then JSON of at most
`MAX_HEADER_BYTES`) whose tensors' byte ranges lie inside the file and end exactly at its end: a file cut short
by a full disk or a killed copy is named, with what it is missing, instead of a SafetensorError traceback.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from sve_core.checkpoint import CheckpointError

MAX_HEADER_BYTES = 100 * 1024**2


def verify_safetensors(path: Path) -> None:
    """Raise `CheckpointError` naming `path` when its header or sizes are inconsistent."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise CheckpointError(f"{path}: {size} bytes, too short for a safetensors header; the file is truncated")
        (length,) = struct.unpack("<Q", head)
        if length > MAX_HEADER_BYTES or 8 + length > size:
            raise CheckpointError(f"{path}: its header claims {length:,} bytes but the file has {size:,}; the file "
                                  "is truncated or not safetensors")
        try:
            header = json.loads(handle.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise CheckpointError(f"{path}: the safetensors header is not valid JSON; the file is damaged") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: the safetensors header is not an object; the file is damaged")
    data = size - 8 - length
    ends = [entry["data_offsets"][1] for name, entry in header.items()
            if name != "__metadata__" and isinstance(entry, dict) and len(entry.get("data_offsets", ())) == 2]
    needed = max(ends, default=0)
    if needed != data:
        raise CheckpointError(f"{path}: its tensors need {needed:,} bytes of data but the file holds {data:,}; the "
                              "file is truncated or damaged (delete this checkpoint and resume from an earlier one)")


def verify_checkpoint(folder: str | Path) -> None:
    """`verify_safetensors` on every weights file of a checkpoint folder."""
    for path in sorted(Path(folder).glob("*.safetensors")):
        verify_safetensors(path)
