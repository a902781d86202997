"""Training-record and JSON-file policy: what a line of training JSONL, an image it names, or a JSON file handed
to ``sve eval`` may be, checked before any of it is used.

- A line must be UTF-8 (`decode_line` names the line and byte offset of a bad byte) and at most
  `MAX_LINE_BYTES`; an answer at most `MAX_ANSWER_CHARS` characters: longer ones are reported (or skipped
  with ``--skip-bad-records``) before a tokenizer sees them, so no 2-million-token sample is ever built.
- An image must exist and decode completely (`image_problem`): a truncated JPEG fails here, before step 1,
  not in the collator mid-run; its pixel count is capped before decoding (`MAX_IMAGE_PIXELS`).
- A JSON file (`read_json`) must be a regular, non-empty file of at most `MAX_JSON_BYTES`, UTF-8, valid JSON
  and not nested deeper than Python's recursion allows; each failure is one line naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image

MAX_LINE_BYTES = 8 * 1024**2
MAX_ANSWER_CHARS = 20_000  # ~5k tokens: far above any change caption or report, far below a runaway answer
MAX_IMAGE_PIXELS = 64_000_000
MAX_JSON_BYTES = 512 * 1024**2
_IMAGE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


class JsonFileError(ValueError):
    """A JSON input file that cannot be read as JSON; the message is one line naming the file."""


def decode_line(raw: bytes) -> tuple[str | None, str | None]:
    """(text, None) for a usable line, (None, problem) for one that is too long or not UTF-8."""
    if len(raw) > MAX_LINE_BYTES:
        return None, f"line of {len(raw):,} bytes, over the {MAX_LINE_BYTES:,}-byte limit"
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        return None, f"not UTF-8 (byte 0x{raw[err.start]:02x} at column {err.start + 1})"


def answer_problem(answer: str) -> str | None:
    """Why an assistant answer is unusable as a training target, or None."""
    if len(answer) > MAX_ANSWER_CHARS:
        return f"answer of {len(answer):,} characters, over the {MAX_ANSWER_CHARS:,}-character limit"
    return None


def image_problem(path: Path) -> str | None:
    """Why an image named by a record cannot be used (missing, not decodable, too large), or None."""
    if not path.is_file():
        return f"image file not found: {path}"
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                return f"{path.name}: {width}x{height} pixels, over the {MAX_IMAGE_PIXELS:,}-pixel limit"
            image.load()  # decodes every byte: a truncated file fails now, not in the collator mid-run
    except _IMAGE_ERRORS as err:
        return f"{path.name}: cannot be decoded as an image ({type(err).__name__}); is it truncated?"
    return None


def read_json(path: str | Path) -> Any:
    """The JSON value in `path`; `JsonFileError` (one line, naming the file) for anything else."""
    path = Path(path)
    if path.is_dir():
        raise JsonFileError(f"{path}: is a folder; expected a JSON file")
    if not path.is_file():
        raise JsonFileError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise JsonFileError(f"{path}: the file is empty; expected JSON")
    if size > MAX_JSON_BYTES:
        raise JsonFileError(f"{path}: {size / 1024**2:,.0f} MiB, over the {MAX_JSON_BYTES // 1024**2} MiB limit")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise JsonFileError(f"{path}: not UTF-8 (byte 0x{raw[err.start]:02x} at offset {err.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise JsonFileError(f"{path}: not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise JsonFileError(f"{path}: JSON nested too deeply to read; expected a flat object or list") from None
