"""The suite's one JSONL reader and writer (datasets, predictions, logs): one JSON object per line, UTF-8.

`write_jsonl` writes to a hidden ``.<name>.partial`` next to the target and renames it when complete, so a reader
never sees half a file and an interrupted run leaves no truncated dataset behind. `read_jsonl` returns the
objects with the file and line they came from in error messages.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def write_jsonl(path: str | Path, records: Iterable[Any]) -> Path:
    """Write `records` (consumed lazily, so a generator may stream them) and return `path`."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record) + "\n")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def append_jsonl(path: str | Path, record: Any) -> None:
    """Add one line to a log that is read while it grows (learning curves, training logs)."""
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def read_jsonl(path: str | Path) -> list[Any]:
    """Every line's object; a line that is not JSON raises ValueError naming ``file:line``."""
    path = Path(path)
    records = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: invalid JSON ({error.msg})") from None
    return records
