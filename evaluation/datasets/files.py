"""Checks shared by the loaders, so every missing or unreadable file fails the same, actionable way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evaluation.errors import DatasetFormatError, DatasetNotFoundError
from sve_core.policy.records import JsonFileError
from sve_core.policy.records import read_json as read_policy_json


def require(path: Path, dataset: str, layout: str) -> Path:
    """`path` if it exists, else a `DatasetNotFoundError` naming it and the layout that was expected."""
    if not path.exists():
        raise DatasetNotFoundError(f"{dataset}: {path} does not exist; expected layout: {layout}")
    return path


def read_json(path: Path, dataset: str) -> Any:
    try:
        return read_policy_json(path)
    except JsonFileError as exc:
        raise DatasetFormatError(f"{dataset}: {exc}") from None


def field(record: dict, name: str, kind: type | tuple[type, ...], where: str) -> Any:
    """`record[name]`, checked to be of `kind`; `where` says which file and record, for the error message."""
    if name not in record:
        raise DatasetFormatError(f"{where}: missing field {name!r}.")
    value = record[name]
    if not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise DatasetFormatError(f"{where}: field {name!r} should be {expected}, got {type(value).__name__}.")
    return value
