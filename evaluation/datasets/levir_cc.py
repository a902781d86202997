"""LEVIR-CC remote-sensing change captioning (Liu et al., 2022): bitemporal 256x256 RGB pairs, five captions each.

Dataset format (the public release, read byte-for-byte)::

    <root>/LevirCCcaptions.json
    <root>/images/{train,val,test}/A/<split>_NNNNNN.png   # before
    <root>/images/{train,val,test}/B/<split>_NNNNNN.png   # after

`LevirCCcaptions.json` is ``{"images": [{"filepath": "test", "filename": "test_000000.png", "imgid": 0,
"split": "test", "sentids": [...], "changeflag": 0 | 1, "sentences": [{"tokens": [...], "raw": " the scene is
the same as before .", "imgid": 0, "sentid": 0}, ...]}, ...]}``. Images are looked up under `images/<split>/`, the
layout above, so the loader does not depend on how `filepath` is spelled.
Raw sentences start with a space and end with " ." in the release; they are returned untouched, because the
caption scorers tokenise them themselves and any clean-up here would change the numbers.

Scoring saved predictions needs the captions only: `LevirCC(root, split, images=False)` reads
`LevirCCcaptions.json` alone (a researcher scoring someone's outputs often has no image folders); its items
still name the image paths the layout implies, unchecked.

Each item is a dict with fixed keys: `id` (the filename, the key predictions use), `split`, `images` ([before,
after] paths), `captions` (raw sentences), `tokens` (the release's token lists) and `changed` (changeflag == 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypedDict

from evaluation.datasets.files import field, read_json, require
from evaluation.errors import DatasetFormatError

NAME = "LEVIR-CC"
# The instruction a LEVIR-CC-style captioner is trained with (our exports) and asked (apps, `sve eval levir-cc`).
PROMPT = "Describe the changes between the two remote sensing images."
LAYOUT = "LevirCCcaptions.json + images/{train,val,test}/{A,B}/<split>_NNNNNN.png"
Split = Literal["train", "val", "test"]


class LevirCCItem(TypedDict):
    id: str
    split: str
    images: list[str]
    captions: list[str]
    tokens: list[list[str]]
    changed: bool


def _item(record: dict, root: Path, where: str, images: bool) -> LevirCCItem:
    filename = field(record, "filename", str, where)
    folder = root / "images" / record["split"]
    sentences = field(record, "sentences", list, where)
    if not sentences:
        raise DatasetFormatError(f"{where}: 'sentences' is empty; every pair has reference captions.")
    for n, sentence in enumerate(sentences):
        if not isinstance(sentence, dict):
            raise DatasetFormatError(f"{where}, sentence {n}: expected an object with 'raw' and 'tokens'.")
        field(sentence, "raw", str, f"{where}, sentence {n}")
        field(sentence, "tokens", list, f"{where}, sentence {n}")
    return LevirCCItem(
        id=filename,
        split=record["split"],
        images=[str(require(folder / side / filename, NAME, LAYOUT) if images else folder / side / filename)
                for side in ("A", "B")],
        captions=[s["raw"] for s in sentences],
        tokens=[s["tokens"] for s in sentences],
        changed=field(record, "changeflag", int, where) == 1,
    )


class LevirCC:
    """The items of one split, in the order of `LevirCCcaptions.json`; `images=False`: the JSON alone."""

    def __init__(self, root: str | Path, split: Split = "test", *, images: bool = True) -> None:
        if split not in ("train", "val", "test"):
            raise DatasetFormatError(f"{NAME}: split must be train, val or test, got {split!r}.")
        self.root = Path(root)
        captions = require(self.root / "LevirCCcaptions.json", NAME, LAYOUT)
        data = read_json(captions, NAME)
        records = field(data, "images", list, str(captions)) if isinstance(data, dict) else None
        if records is None:
            raise DatasetFormatError(f"{captions}: expected an object with an 'images' list.")
        self.items: list[LevirCCItem] = []
        for n, record in enumerate(records):
            where = f"{captions}, images[{n}]"
            if not isinstance(record, dict):
                raise DatasetFormatError(f"{where}: expected an object, got {type(record).__name__}.")
            if field(record, "split", str, where) == split:
                self.items.append(_item(record, self.root, where, images))
        if not self.items:
            raise DatasetFormatError(f"{captions}: no images with split {split!r}.")

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> LevirCCItem:
        return self.items[index]
