"""ImgEdit-style fine-grained comparison (Ye et al., 2025): name the edit that turns a source image into the edited
one (or the edits along a 2-3 image multi-turn sequence), judged pairwise by a multimodal LLM.

ImgEdit ships its edits as parquet rows ``{"input_images": [...], "output_images": [...], "prompt": "..."}`` in
files named after the edit type (`remove_part5.parquet`, `results_content_memory_part2...`), multi-turn rows as a
list of such turns. We keep those field names in one JSON line per edit and move the type into a field, so a split
is a plain text file that needs no parquet reader.

Dataset format::

    <root>/<split>.jsonl        # e.g. test.jsonl
    <root>/<image paths named in it, relative to root>

One JSON object per line: ``{"id": "remove_000123", "edit_type": "remove", "input_images": ["images/remove_000123/
original.png"], "output_images": ["images/remove_000123/result.png"], "prompt": "Remove the ..."}``.
`edit_type` is one of `EDIT_TYPES`. The image sequence is input_images then output_images (oldest first); for a
multi-turn row list the first turn's input and every turn's result, and put the turns' prompts in order, one per
line, in `prompt`. Blank lines are ignored.

Each item is a dict with fixed keys: `id`, `edit_type`, `images` (paths joined to the root, in sequence order) and
`instruction` (the prompt: the reference text a prediction is judged against).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict

from evaluation.datasets.files import field, require
from evaluation.errors import DatasetFormatError

NAME = "ImgEdit"
LAYOUT = "<split>.jsonl with one {id, edit_type, input_images, output_images, prompt} object per line"
EDIT_TYPES = ("add", "adjust", "background", "content memory", "content understanding", "remove", "replace")


class ImgEditItem(TypedDict):
    id: str
    edit_type: str
    images: list[str]
    instruction: str


def _item(record: dict, root: Path, where: str) -> ImgEditItem:
    edit_type = field(record, "edit_type", str, where)
    if edit_type not in EDIT_TYPES:
        raise DatasetFormatError(f"{where}: edit_type {edit_type!r} is not one of {', '.join(EDIT_TYPES)}.")
    relative = field(record, "input_images", list, where) + field(record, "output_images", list, where)
    if len(relative) < 2 or not all(isinstance(p, str) for p in relative):
        raise DatasetFormatError(f"{where}: input_images + output_images must name at least two image paths.")
    return ImgEditItem(
        id=field(record, "id", str, where),
        edit_type=edit_type,
        images=[str(require(root / p, NAME, LAYOUT)) for p in relative],
        instruction=field(record, "prompt", str, where),
    )


class ImgEdit:
    """The edits of one split, in file order."""

    def __init__(self, root: str | Path, split: str = "test") -> None:
        self.root = Path(root)
        path = require(self.root / f"{split}.jsonl", NAME, LAYOUT)
        self.items: list[ImgEditItem] = []
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            if not line.strip():
                continue
            where = f"{path}, line {number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetFormatError(f"{where}: not valid JSON ({exc.msg}).") from exc
            if not isinstance(record, dict):
                raise DatasetFormatError(f"{where}: expected a JSON object.")
            self.items.append(_item(record, self.root, where))
        ids = [item["id"] for item in self.items]
        if len(set(ids)) != len(ids):
            raise DatasetFormatError(f"{path}: ids must be unique.")
        if not self.items:
            raise DatasetFormatError(f"{path}: no edits.")

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> ImgEditItem:
        return self.items[index]
