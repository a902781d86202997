"""`sve rs evaluate`: change / no-change accuracy by the predictor's own caption rule, LEVIR-CC caption metrics
against all five references through `sve eval levir-cc`'s runner, and ids that are LEVIR-CC filenames."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from apps.common.evaluate import SplitItem, read_split
from apps.rs_change import evaluate
from apps.rs_change.synthetic.make_dataset import write_dataset
from evaluation.errors import DatasetFormatError
from evaluation.runners.levir_cc import LevirCCRun, run_levir_cc

PROMPT = "Describe the changes between the two remote sensing images."


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """Four synthetic test pairs (3 unchanged, 1 changed with seed 1): LEVIR-CC layout plus the JSONL."""
    root = tmp_path_factory.mktemp("rs")
    changed = write_dataset(
        root, {"train": 0, "val": 0, "test": 4}, seed=1, size=32, change_rate=0.5, workers=1
    )
    assert changed["test"] == 1
    return root


def _item(key: str, meta: dict) -> SplitItem:
    return SplitItem(key, ("a.png", "b.png"), PROMPT, "x.", meta, f"test.jsonl:{int(key)}")


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    evaluate.add_arguments(parser)
    return parser.parse_args(argv)


def test_change_accuracy_per_subset() -> None:
    items = [_item(str(n), {"changeflag": flag}) for n, flag in enumerate((1, 1, 1, 0, 0), start=1)]
    captions = [
        "a road is built",
        "the scene is the same as before",
        "many houses appear",
        "no change",
        "a pond",
    ]
    accuracy = evaluate.change_accuracy(items, dict(zip((item.id for item in items), captions, strict=True)))
    assert accuracy == {
        "all": {"pairs": 5, "Change Acc": pytest.approx(60.0)},
        "change": {"pairs": 3, "Change Acc": pytest.approx(200 / 3)},
        "no change": {"pairs": 2, "Change Acc": pytest.approx(50.0)},
    }


def test_ids_are_levircc_filenames() -> None:
    synthetic = {"levircc": "images/test/{A,B}/test_000003.png", "changeflag": 0}
    assert evaluate.keyed(_item("000003", synthetic)).id == "test_000003.png"
    assert evaluate.keyed(_item("000003", {"id": "test_000120.png"})).id == "test_000120.png"
    with pytest.raises(DatasetFormatError, match=r"test\.jsonl:3: meta needs 'levircc'"):
        evaluate.keyed(_item("000003", {"changeflag": 0}))


def test_scores_saved_captions_against_all_references(data: Path, tmp_path: Path) -> None:
    items = [evaluate.keyed(item) for item in read_split(data, "test")]
    assert [item.id for item in items] == [f"test_{n:06d}.png" for n in range(1, 5)]
    assert {item.prompt for item in items} == {PROMPT}
    # the fifth reference of each pair; the changed pair is called unchanged
    captions = {item.id: item.meta["references"][4] for item in items}
    changed = next(item.id for item in items if item.meta["changeflag"] == 1)
    captions[changed] = "the scene is the same as before"
    predictions = tmp_path / "rs_predictions.json"
    predictions.write_text(json.dumps([{"id": key, "caption": text} for key, text in captions.items()]))

    out = tmp_path / "out"
    assert (
        evaluate.run(
            _args("--data", str(data), "--predictions", str(predictions), "--out", str(out), "--no-meteor")
        )
        == 0
    )
    payload = json.loads((out / "rs_evaluate.json").read_text())
    assert payload["pairs"] == {"all": 4, "change": 1, "no change": 3}
    scores = payload["scores"]
    assert [scores[name]["Change Acc"] for name in ("all", "change", "no change")] == [75.0, 0.0, 100.0]
    assert scores["no change"]["BLEU-4"] == pytest.approx(
        100.0
    )  # each caption is one of its pair's references
    assert scores["change"]["BLEU-4"] < 50.0
    levir = run_levir_cc(LevirCCRun(data=data, predictions=predictions, meteor=False)).payload["scores"]
    assert {name: {k: v for k, v in s.items() if k != "Change Acc"} for name, s in scores.items()} == levir
    assert "| no change | 3 | 100.00 |" in (out / "rs_evaluate.md").read_text()
