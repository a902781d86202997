"""Multi-image SFT data: ShareGPT-style JSONL, checked in full before any training starts.

Dataset format (docs/CONVENTIONS.md), one JSON object per line::

    {"messages": [{"role": "user", "content": "<image><image>PROMPT"},
                  {"role": "assistant", "content": "ANSWER"}],
     "images": ["images/train/000001_a.png", "images/train/000001_b.png"], "meta": {...}}

Image paths are relative to the JSONL file's folder, oldest first, one ``<image>`` per image; ``meta`` is
ignored. LlamaFactory's variant (``"conversations"`` of ``{"from": "human"|"gpt"|"system", "value": ...}``,
optional top-level ``"system"``) is read too. A long run should not die at step 9,000 on line 8,123, and
fixing one problem per attempt is slow, so `load_jsonl` collects every problem (file, line, field) and raises
one `DataError` listing them all. What a line, an answer and an image may be is `sve_core.policy.records`'s.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from sve_core.policy.records import answer_problem, decode_line, image_problem

IMAGE_PLACEHOLDER = "<image>"
ROLES: tuple[str, ...] = ("system", "user", "assistant")
# LlamaFactory's ShareGPT speaker names -> our roles
SHAREGPT_ROLES: dict[str, str] = {"human": "user", "gpt": "assistant", "system": "system",
                                  "user": "user", "assistant": "assistant"}
Report = Callable[[str, str], None]  # (field, message) of one problem on the current line


@dataclass(frozen=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True)
class Sample:
    """One conversation; `source` ("file:line") lets later stages name the line a problem comes from."""

    messages: tuple[Message, ...]
    images: tuple[Path, ...]
    source: str


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int  # 1-based; 0 = the file as a whole
    field: str  # e.g. "messages[2].content"; "" = the file or line as a whole
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return ": ".join(part for part in (where, self.field, self.message) if part)


class DataError(ValueError):
    """Training data that cannot be used; lists every problem found, not only the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        listing = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the training data:\n{listing}")


def load_jsonl(path: str | Path, *, skipped: list[Problem] | None = None) -> list[Sample]:
    """Every sample of `path`; raises `DataError` listing all problems of the file, unless `skipped` is given:
    then bad records are left out and their problems appended to it (``--skip-bad-records``)."""
    path = Path(path)
    if not path.is_file():
        raise DataError([Problem(path, 0, "", "file not found")])
    samples: list[Sample] = []
    problems: list[Problem] = []
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            line, bad = decode_line(raw)
            if bad is not None:
                problems.append(Problem(path, number, "", bad))
                continue
            if not line.strip():
                continue
            found: list[Problem] = []
            sample = _parse_line(path, number, line, found)
            problems += found
            if sample is not None and not found:
                samples.append(sample)
    if skipped is not None and samples:
        skipped += problems
        return samples
    if not samples and not problems:
        problems.append(Problem(path, 0, "", "no samples (the file is empty)"))
    if problems:
        raise DataError(problems)
    return samples


def load_datasets(*paths: str | Path, skipped: list[Problem] | None = None) -> list[list[Sample]]:
    """`load_jsonl` of several files, with the problems of all of them reported together."""
    loaded, problems = [], []
    for path in paths:
        try:
            loaded.append(load_jsonl(path, skipped=skipped))
        except DataError as error:
            problems += error.problems
    if problems:
        raise DataError(problems)
    return loaded


def texts(samples: Sequence[Sample]) -> list[str]:
    """All message text without placeholders, e.g. to train a tiny model's tokenizer on the domain words."""
    return [m.content.replace(IMAGE_PLACEHOLDER, " ") for s in samples for m in s.messages]


class SFTDataset(Dataset):
    """Map-style dataset of `Sample`s; images are opened by the collator, in the data-loader workers."""

    def __init__(self, samples: Sequence[Sample]) -> None:
        self.samples = list(samples)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Sample:
        return self.samples[index]


def _parse_line(path: Path, number: int, line: str, problems: list[Problem]) -> Sample | None:
    def problem(field: str, message: str) -> None:
        problems.append(Problem(path, number, field, message))

    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        problem("", f"invalid JSON ({error.msg} at column {error.colno})")
        return None
    if not isinstance(record, dict):
        problem("", f"expected a JSON object, got {type(record).__name__}")
        return None
    messages = _messages(record, problem)
    images = _images(path, record.get("images", []), problem)
    if messages is None or images is None:
        return None
    placeholders = sum(m.content.count(IMAGE_PLACEHOLDER) for m in messages)
    if placeholders != len(images):
        problem("images", f"{placeholders} {IMAGE_PLACEHOLDER} placeholder(s) in the messages but "
                          f"{len(images)} image(s); expected one placeholder per image")
    return Sample(messages=tuple(messages), images=tuple(images), source=f"{path}:{number}")


def _messages(record: dict[str, Any], problem: Report) -> list[Message] | None:
    if "messages" in record:
        key, role_key, content_key, roles = "messages", "role", "content", {r: r for r in ROLES}
    elif "conversations" in record:
        key, role_key, content_key, roles = "conversations", "from", "value", SHAREGPT_ROLES
    else:
        problem("messages", "missing; expected a list of {\"role\", \"content\"} objects")
        return None
    raw = record[key]
    if not isinstance(raw, list) or not raw:
        problem(key, "expected a non-empty list of messages")
        return None
    messages: list[Message] = []
    complete = True
    system = record.get("system")
    if key == "conversations" and system:
        if isinstance(system, str):
            messages.append(Message("system", system))
        else:
            problem("system", f"expected a string, got {type(system).__name__}")
    for i, item in enumerate(raw):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            problem(where, f"expected an object, got {type(item).__name__}")
            complete = False
            continue
        role, content = _role(item.get(role_key), roles), item.get(content_key)
        if role is None:
            problem(f"{where}.{role_key}",
                    f"unknown role {item.get(role_key)!r}; expected one of {', '.join(roles)}")
        if not isinstance(content, str):
            problem(f"{where}.{content_key}", f"expected a string, got {type(content).__name__}")
        elif role == "assistant" and not content.strip():
            problem(f"{where}.{content_key}", "empty assistant answer")
        elif role == "assistant" and (too_long := answer_problem(content)):
            problem(f"{where}.{content_key}", too_long)
        if role is not None and isinstance(content, str):
            messages.append(Message(role, content))
        else:
            complete = False
    last = raw[-1]
    if isinstance(last, dict) and _role(last.get(role_key), roles) not in (None, "assistant"):
        problem(f"{key}[{len(raw) - 1}].{role_key}",
                f"the last message must be the assistant's answer, got {last.get(role_key)!r}")
    return messages if complete else None


def _role(raw: Any, roles: dict[str, str]) -> str | None:
    return roles.get(raw) if isinstance(raw, str) else None


def _images(path: Path, raw: Any, problem: Report) -> list[Path] | None:
    if not isinstance(raw, list):
        problem("images", f"expected a list of image paths, got {type(raw).__name__}")
        return None
    images: list[Path] = []
    for j, name in enumerate(raw):
        if not isinstance(name, str) or not name:
            problem(f"images[{j}]", f"expected a relative image path, got {name!r}")
            continue
        image = path.parent / name
        if unusable := image_problem(image):
            problem(f"images[{j}]", unusable)
        images.append(image)
    return images if len(images) == len(raw) else None
