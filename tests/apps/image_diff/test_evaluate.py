"""`sve diff evaluate`: per-edit category accuracy, exact match and caption metrics on hand-checked answers, and a
real tiny model answering a generated split (pairs and 3-image sequences) end to end through `load_describer`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from apps.common.evaluate import SplitItem, read_split
from apps.image_diff import evaluate
from apps.image_diff.synthetic.edits import EDIT_PROMPT, SEQUENCE_PROMPT
from apps.image_diff.synthetic.make_dataset import DatasetConfig, write_split


def _item(key: str, answer: str, categories: list[str], operations: list[str] | None = None) -> SplitItem:
    images = ("a.png", "b.png", "c.png")[: len(categories) + 1]
    prompt = EDIT_PROMPT if len(categories) == 1 else SEQUENCE_PROMPT
    edits = [{"category": category} for category in categories]
    if operations is not None:
        edits = [{**edit, "operation": op} for edit, op in zip(edits, operations, strict=True)]
    meta = {"edits": edits}
    return SplitItem(key, images, prompt, answer, meta, f"test.jsonl:{key}")


def test_scores_match_hand_counts() -> None:
    items = [
        _item("1", "add a red circle on the left", ["add"]),
        _item("2", "remove the blue star", ["remove"]),
        _item(
            "3",
            "First, move the green square to the top. Then, change the background to sand.",
            ["adjust", "background"],
            ["move", "background"],
        ),
        _item("4", "make the pink star bigger", ["adjust"], ["resize"]),
        _item("5", "make the blue circle red", ["adjust"], ["recolor"]),
    ]
    predictions = {
        "1": "put a red circle on the left",  # right category, other words
        "2": "Remove  the blue star.",  # exact up to case, spacing and the full stop
        "3": "First, move the green square to the top.",  # states only the first edit
        "4": "delete the pink star",  # wrong category
        "5": "replace the blue circle with a red circle",  # the colour right, the category not
    }
    report = evaluate.diff_report(items, predictions, split="test", system="m", meteor=False)
    scores = report.payload["scores"]
    assert scores["Category Acc"] == pytest.approx(50.0)  # 3 of 6 edits
    assert scores["Exact match"] == pytest.approx(20.0)
    assert 0.0 < scores["BLEU-4"] < 100.0 and "METEOR" not in scores
    # every answer reads; "First, ..." with no "Then" is no sentence the generator writes
    assert report.payload["readability"] == {"Unreadable": 0, "Off-grammar": 1}
    assert "| 0/5 | 1/5 |" in report.markdown
    per_category = report.payload["per_category"]
    assert per_category["adjust"] == {
        "edits": 3,
        "Accuracy": pytest.approx(100 / 3),
        "predicted": {"add": 0, "remove": 1, "replace": 1, "adjust": 1, "background": 0, "unknown": 0},
    }
    assert per_category["background"]["predicted"]["unknown"] == 1
    assert per_category["replace"] == {
        "edits": 0,
        "Accuracy": None,
        "predicted": dict.fromkeys(evaluate.PREDICTED, 0),
    }
    assert "| adjust | 3 | 33.33 | 0 | 1 | 1 | 1 | 0 | 0 |" in report.markdown
    assert "| replace | 0 | – |" in report.markdown
    # the three adjust edits come apart by operation; records without one (1 and 2) are left out
    assert report.payload["per_operation"] == {
        "background": {"edits": 1, "Accuracy": 0.0},
        "move": {"edits": 1, "Accuracy": 100.0},
        "recolor": {"edits": 1, "Accuracy": 0.0},
        "resize": {"edits": 1, "Accuracy": 0.0},
    }
    assert "| recolor | 1 | 0.00 |" in report.markdown


def test_observations_are_not_scored() -> None:
    """The demo model's 'before -> after: ' prefix is taken out of answers and gold answers alike."""
    items = [_item("1", "a red star at the top -> a blue star at the top: make the red star blue", ["adjust"])]
    predictions = {"1": "a red star at the top -> a red circle at the top: Make the red star blue."}
    scores = evaluate.diff_report(items, predictions, split="test", system="m", meteor=False).payload["scores"]
    assert scores["Category Acc"] == scores["Exact match"] == pytest.approx(100.0)


def test_tiny_model_answers_a_generated_split(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    write_split(DatasetConfig(out=data, size=48, max_images=3), "test", 4)
    items = read_split(data, "test")
    assert sorted(len(item.images) for item in items) == [2, 2, 3, 3]  # both prompts, so two batch groups

    parser = argparse.ArgumentParser()
    evaluate.add_arguments(parser)
    argv = ["--data", str(data), "--model", "tiny:qwen2_vl", "--out", str(out), "--batch-size", "2"]
    assert evaluate.run(parser.parse_args([*argv, "--max-new-tokens", "3", "--no-meteor"])) == 0
    saved = json.loads((out / "image_diff_predictions.json").read_text())
    assert [entry["id"] for entry in saved] == [item.id for item in items]
    assert all(isinstance(entry["caption"], str) for entry in saved)
    payload = json.loads((out / "diff_evaluate.json").read_text())
    assert payload["system"] == "tiny:qwen2_vl" and payload["records"] == 4 and payload["edits"] == 6
    assert payload["readability"] == {"Unreadable": 4, "Off-grammar": 4}  # a random model writes word salad
    assert (out / "diff_evaluate.md").is_file()
    p_edit = json.loads((out / "image_diff_p_edit.json").read_text())
    assert list(p_edit) == [item.id for item in items] and all(0 <= p <= 1 for p in p_edit.values())
    assert payload["threshold"] == 0.5 and payload["verdicts"]["identical pairs"] == 0


def test_calibrate_then_evaluate_no_edit_verdicts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`sve diff calibrate` stores a threshold beside the model that `sve diff evaluate` then reads its verdicts
    at; a split without no-edit pairs is refused, naming the flag that makes one."""
    from apps.cli import main
    from sve_core.tiny import tiny_vlm

    model, processor = tiny_vlm("qwen2_vl")
    folder = tmp_path / "model"
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    data = tmp_path / "data"
    write_split(DatasetConfig(out=data, size=48, no_edit_share=0.5), "val", 6)
    assert main(["diff", "calibrate", "--data", str(data), "--model", str(folder), "--max-new-tokens", "2"]) == 0
    stored = json.loads((folder / "edit_calibration.json").read_text())
    assert stored["pairs"] == 6 and 0 <= stored["threshold"] <= 1 and "p(edit) threshold" in capsys.readouterr().out
    out = tmp_path / "out"
    argv = ["diff", "evaluate", "--data", str(data), "--split", "val", "--model", str(folder), "--out", str(out),
            "--max-new-tokens", "2", "--no-meteor"]
    assert main(argv) == 0
    payload = json.loads((out / "diff_evaluate.json").read_text())
    assert payload["threshold"] == stored["threshold"] and payload["verdicts"]["AUROC"] is not None
    assert "### No edit: the verdict users see" in (out / "diff_evaluate.md").read_text()
    write_split(DatasetConfig(out=data, size=48), "test", 2)
    assert main(["diff", "calibrate", "--data", str(data), "--split", "test", "--model", str(folder)]) == 2
    assert "no pair without an edit to calibrate on" in capsys.readouterr().err
