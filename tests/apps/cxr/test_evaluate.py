"""`sve cxr evaluate`: the RATE-style scores and text metrics on hand-checked answers, the JSONL split read and
answered in batches as the trainer saw it, predictions saved and re-scored, ids and errors a user can act on."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from apps.common import evaluate as common
from apps.common.evaluate import SplitItem
from apps.cxr import evaluate
from evaluation.captions import score_captions
from evaluation.errors import EvaluationInputError
from sve_core.inference import Describer

PHANTOM_JSONL = Path(__file__).resolve().parents[2] / "data" / "cxr" / "phantom_jsonl.py"
QUESTION = "What has changed compared to the reference image?"
EDEMA_ADDED = "the main image has an additional finding of edema than the reference image."
EFFUSION_MISSING = "the main image is missing the finding of pleural effusion than the reference image."


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """Four phantom test pairs in make-dataset's JSONL format."""
    spec = importlib.util.spec_from_file_location("cxr_phantom_jsonl", PHANTOM_JSONL)
    assert spec is not None and spec.loader is not None
    phantoms = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(phantoms)
    root = tmp_path_factory.mktemp("phantoms")
    phantoms.write_split(root, "test", 4, seed=1)
    return root


def _item(key: str, answer: str, meta: dict | None = None) -> SplitItem:
    return SplitItem(key, ("a.png", "b.png"), QUESTION, answer, meta or {}, f"test.jsonl:{key}")


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    evaluate.add_arguments(parser)
    return parser.parse_args(argv)


class ScriptedDescriber(Describer):
    """Answers each image sequence from a table keyed by its current image's pixels; records every call. Only
    `describe_batch` is replaced, so batching is the real `Describer.predict`'s."""

    name = "scripted"

    def __init__(self, answers: dict[bytes, str]) -> None:  # no model: generation is scripted
        self.answers = answers
        self.calls: list[tuple[str, int, set[str]]] = []

    def describe_batch(self, sequences: list[list[Image.Image]], prompt: str) -> list[str]:
        self.calls.append((prompt, len(sequences), {image.mode for seq in sequences for image in seq}))
        return [self.answers[seq[-1].tobytes()] for seq in sequences]


def test_scores_match_hand_counts() -> None:
    items = [
        _item("1", EDEMA_ADDED),
        _item("2", "nothing has changed."),
        _item("3", EFFUSION_MISSING),
    ]
    predictions = {"1": EDEMA_ADDED, "2": "nothing has changed.", "3": "nothing has changed."}
    report = evaluate.cxr_report(items, predictions, split="test", system="m", meteor=False)
    scores = report.payload["scores"]
    # changed pairs 1 and 3: gold {edema added}, {effusion missing}; predicted {edema added}, {} -> TP 1, FN 1
    assert scores["Micro-F1"] == pytest.approx(100 * 2 / 3)
    assert scores["Macro-F1"] == pytest.approx(100 / 54)  # one of 54 labels right, the rest 0
    assert scores["Chg Acc"] == pytest.approx(100 * 2 / 3)  # pair 3's change was missed
    assert report.payload["ceiling"] == {
        "Micro-F1": 100.0,
        "Macro-F1": pytest.approx(200 / 54),
        "Chg Acc": 100.0,
    }
    assert report.payload["unreadable"] == 0
    text = score_captions({item.id: [item.answer] for item in items}, predictions, meteor=False)
    assert {key: scores[key] for key in text} == text
    ceiling_row = "| gold answers (ceiling) | – | – | – | – | 100.00 | 3.70 | 100.00 |"
    assert "| m | " in report.markdown and ceiling_row in report.markdown


def test_garbled_answers_are_counted_unreadable() -> None:
    items = [_item("1", "nothing has changed."), _item("2", "nothing has changed.")]
    predictions = {"1": "nothing has changed effusion than the effusion", "2": "nothing has changed."}
    report = evaluate.cxr_report(items, predictions, split="test", system="m", meteor=False)
    assert report.payload["unreadable"] == 1 and "Unreadable answers" in report.markdown
    assert report.payload["scores"]["Chg Acc"] == pytest.approx(50.0)  # garbled is not a correct "no change"


def test_medical_diff_vqa_records_keep_their_row_index() -> None:
    assert evaluate.keyed(_item("000007", EDEMA_ADDED, {"id": "4107"})).id == "4107"
    assert evaluate.keyed(_item("000007", EDEMA_ADDED, {"added": ["edema"]})).id == "000007"


def test_split_is_answered_in_batches_and_saved(data: Path, tmp_path: Path) -> None:
    items = common.read_split(data, "test")
    assert [item.id for item in items] == ["000001", "000002", "000003", "000004"]
    assert {item.prompt for item in items} == {QUESTION}
    script = [EDEMA_ADDED, "nothing has changed.", EFFUSION_MISSING, items[3].answer]
    current = [Image.open(item.images[1]).convert("RGB").tobytes() for item in items]
    describer = ScriptedDescriber(dict(zip(current, script, strict=True)))

    args = _args("--data", str(data), "--model", "unused", "--out", str(tmp_path), "--batch-size", "3")
    result = common.answers(args, items, lambda model, tokens: describer, name="cxr")
    assert [(prompt, size) for prompt, size, _ in describer.calls] == [(QUESTION, 3), (QUESTION, 1)]
    assert {mode for *_, modes in describer.calls for mode in modes} == {"RGB"}
    assert (
        list(result.predictions) == [item.id for item in items]
        and list(result.predictions.values()) == script
    )
    assert result.path == tmp_path / "cxr_predictions.json"
    saved = json.loads(result.path.read_text())
    assert saved == [{"id": key, "caption": text} for key, text in result.predictions.items()]

    out = tmp_path / "rescored"
    assert (
        evaluate.run(
            _args("--data", str(data), "--predictions", str(result.path), "--out", str(out), "--no-meteor")
        )
        == 0
    )
    payload = json.loads((out / "cxr_evaluate.json").read_text())
    expected = evaluate.cxr_report(items, result.predictions, split="test", system="x", meteor=False)
    assert payload["scores"] == expected.payload["scores"] and payload["system"] == "cxr_predictions.json"
    assert (
        (out / "cxr_evaluate.md").read_text().startswith("## Chest X-ray change answers, test split (4 pairs")
    )


def test_predictions_must_cover_the_split(data: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps([{"id": "000001", "caption": "nothing has changed."}]))
    with pytest.raises(EvaluationInputError, match=r"partial\.json: 3 ids have references but no prediction"):
        evaluate.run(_args("--data", str(data), "--predictions", str(partial), "--out", str(tmp_path)))


def test_records_the_model_cannot_be_asked_are_refused(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    record = {
        "messages": [
            {"role": "user", "content": "Compare <image> with <image>"},
            {"role": "assistant", "content": "nothing has changed."},
        ],
        "images": ["a.png", "a.png"],
    }
    (tmp_path / "test.jsonl").write_text(json.dumps(record) + "\n")
    with pytest.raises(
        ValueError, match=r"test\.jsonl:1: messages\[0\]\.content must open with its 2 <image>"
    ):
        common.read_split(tmp_path, "test")
