"""No-edit pairs: the generator's nuisances, the no-edit share and nuisance split, and their scores."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from apps.common.evaluate import SplitItem
from apps.image_diff import evaluate
from apps.image_diff.synthetic.edits import NO_EDIT, random_scene
from apps.image_diff.synthetic.make_dataset import DatasetConfig, write_dataset
from apps.image_diff.synthetic.nuisance import NUISANCES, apply
from apps.image_diff.synthetic.render import render


@pytest.mark.parametrize("nuisance", NUISANCES)
def test_nuisances_change_pixels_not_content(nuisance: str) -> None:
    image = render(random_scene(random.Random(0)), 96)
    changed = apply(image, nuisance, random.Random(1))  # type: ignore[arg-type]
    difference = np.abs(np.asarray(changed, dtype=np.int16) - np.asarray(image, dtype=np.int16))
    assert changed.size == image.size and changed.mode == "RGB" and difference.max() > 0
    assert difference.mean() < 25  # the scene is still there
    assert apply(image, nuisance, random.Random(1)).tobytes() == changed.tobytes()  # seeded
    assert apply(image, "identical", random.Random(1)).tobytes() == image.tobytes()


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_no_edit_share_keeps_every_edit_sample(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    write_dataset(DatasetConfig(out=old, n_train=0, n_val=0, n_test=60, size=48))
    write_dataset(DatasetConfig(out=new, n_train=0, n_val=0, n_test=60, size=48, no_edit_share=0.1, n_nuisance=8))
    before, after = _lines(old / "test.jsonl"), _lines(new / "test.jsonl")
    no_edit = [record for record in after if "no_edit" in record["meta"]]
    assert 2 <= len(no_edit) <= 12 and all(r["messages"][1]["content"] == NO_EDIT for r in no_edit)
    assert all(r["meta"]["edits"] == [] and len(r["images"]) == 2 for r in no_edit)
    for old_record, new_record in zip(before, after, strict=True):
        if "no_edit" not in new_record["meta"]:
            assert old_record == new_record
            assert all((old / p).read_bytes() == (new / p).read_bytes() for p in new_record["images"])
    nuisance = _lines(new / "nuisance.jsonl")
    assert len(nuisance) == 8 and {r["meta"]["no_edit"]["nuisance"] for r in nuisance} <= set(NUISANCES)
    first, second = (Image.open(new / p) for p in nuisance[0]["images"])
    assert first.tobytes() != second.tobytes()


def _item(key: str, answer: str, category: str | None) -> SplitItem:
    meta = {"edits": [{"category": category}]} if category else {"edits": [], "no_edit": {"nuisance": "jpeg"}}
    return SplitItem(key, ("a.png", "b.png"), "prompt", answer, meta, f"test.jsonl:{key}")


def test_no_edit_precision_recall_beside_category_accuracy() -> None:
    items = [
        _item("1", "remove the blue star", "remove"),
        _item("2", "add a red circle on the left", "add"),
        _item("3", NO_EDIT, None),
        _item("4", NO_EDIT, None),
    ]
    predictions = {"1": "no edit", "2": "put a red circle on the left", "3": "No edit.", "4": "remove the red star"}
    payload = evaluate.diff_report(items, predictions, split="test", system="m", meteor=False).payload
    assert payload["scores"]["Category Acc"] == pytest.approx(50.0)  # edit records only: 1 of 2
    assert payload["no_edit"] == {"no-edit records": 2, "No-edit precision": 50.0, "No-edit recall": 50.0}
    kept = {key: predictions[key] for key in ("3", "4")}
    only_no_edit = evaluate.diff_report(items[2:], kept, split="nuisance", system="m", meteor=False)
    assert only_no_edit.payload["scores"]["Category Acc"] is None and "(2 records, 0 edits" in only_no_edit.markdown
