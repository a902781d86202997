"""The JSON files `sve eval` reads besides datasets: references and predictions, with errors that say what to fix.

- references: ``{"<id>": ["reference 1", "reference 2", ...], ...}``; a bare string counts as one reference.
- predictions: ``{"<id>": "text", ...}``, or the COCO-results style list ``[{"id": "<id>", "caption": "text"}, ...]``
  in which integer ids are accepted and become strings (JSON object keys are always strings, so both forms then
  name items the same way).
- image lists (for the judge): ``{"<id>": ["before.png", "after.png"], ...}``, paths relative to the file's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evaluation.captions import validate
from evaluation.errors import EvaluationInputError
from sve_core.policy.records import JsonFileError, read_json


def _read(path: Path) -> Any:
    try:
        return read_json(path)
    except JsonFileError as exc:
        raise EvaluationInputError(str(exc)) from None


def load_references(path: str | Path) -> dict[str, list[str]]:
    path = Path(path)
    data = _read(path)
    if not isinstance(data, dict):
        raise EvaluationInputError(f'{path}: expected an object {{"<id>": ["reference", ...]}}.')
    references = {}
    for key, value in data.items():
        refs = [value] if isinstance(value, str) else value
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise EvaluationInputError(f"{path}: id {key!r} should map to a list of strings.")
        references[key] = refs
    return references


def load_predictions(path: str | Path) -> dict[str, str]:
    path = Path(path)
    data = _read(path)
    if isinstance(data, dict):
        bad = [key for key, value in data.items() if not isinstance(value, str)]
        if bad:
            raise EvaluationInputError(f"{path}: id {bad[0]!r} should map to a string.")
        return data
    if not isinstance(data, list):
        raise EvaluationInputError(f'{path}: expected {{"<id>": "text"}} or [{{"id": ..., "caption": ...}}].')
    predictions: dict[str, str] = {}
    for n, entry in enumerate(data):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("id"), (str, int))
            and not isinstance(entry["id"], bool)
        ):
            raise EvaluationInputError(f'{path}: entry {n} needs an "id" (string or integer).')
        if not isinstance(entry.get("caption"), str):
            raise EvaluationInputError(f'{path}: entry {n} needs a string "caption".')
        key = str(entry["id"])
        if key in predictions:
            raise EvaluationInputError(f"{path}: id {key!r} appears more than once.")
        predictions[key] = entry["caption"]
    return predictions


def load_image_lists(path: str | Path) -> dict[str, list[str]]:
    path = Path(path)
    data = _read(path)
    if not isinstance(data, dict):
        raise EvaluationInputError(f'{path}: expected an object {{"<id>": ["image path", ...]}}.')
    images = {}
    for key, value in data.items():
        if not isinstance(value, list) or not value or not all(isinstance(p, str) for p in value):
            raise EvaluationInputError(f"{path}: id {key!r} should map to a non-empty list of image paths.")
        resolved = [path.parent / p for p in value]
        missing = [str(p) for p in resolved if not p.is_file()]
        if missing:
            raise EvaluationInputError(f"{path}: id {key!r} names images that do not exist: {missing[0]}.")
        images[key] = [str(p) for p in resolved]
    return images


def checked(
    references: dict[str, list[str]], predictions: dict[str, str], source: str | Path
) -> dict[str, str]:
    """`predictions`, once they cover exactly the ids of `references`; errors start with `source` (the file)."""
    try:
        validate(references, predictions)
    except EvaluationInputError as exc:
        raise EvaluationInputError(f"{source}: {exc}") from exc
    return predictions
