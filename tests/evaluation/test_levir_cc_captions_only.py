"""`sve eval levir-cc --predictions` needs `LevirCCcaptions.json` alone: a folder without images/ gives exactly
the scores of the full release layout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from apps.cli import main
from evaluation.datasets.levir_cc import LevirCC
from evaluation.errors import DatasetNotFoundError

DATA = Path(__file__).resolve().parents[1] / "data" / "levir_cc"


def _scores(data: Path, predictions: Path, out: Path) -> dict:
    assert main(["eval", "levir-cc", "--data", str(data), "--predictions", str(predictions), "--no-meteor",
                 "--out", str(out)]) == 0
    return json.loads((out / "levir_cc.json").read_text())


def test_scores_from_the_json_alone_equal_scores_with_images(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    captions = json.loads((DATA / "LevirCCcaptions.json").read_text())
    test = [image for image in captions["images"] if image["split"] == "test"]
    guesses = ["the scene is the same as before", "a building is built on the left", "a road appears"]
    predictions = tmp_path / "p.json"
    predictions.write_text(json.dumps({item["filename"]: guesses[n % 3] for n, item in enumerate(test)}))
    json_only = tmp_path / "json_only"
    json_only.mkdir()
    shutil.copy(DATA / "LevirCCcaptions.json", json_only)
    with_images = _scores(DATA, predictions, tmp_path / "with_images")
    without = _scores(json_only, predictions, tmp_path / "without_images")
    assert without["scores"] == with_images["scores"] and without["pairs"] == with_images["pairs"]
    assert 0 < with_images["scores"]["all"]["BLEU-4"] < 100  # a real score, not a trivial one


def test_a_model_run_still_needs_the_images(tmp_path: Path) -> None:
    shutil.copy(DATA / "LevirCCcaptions.json", tmp_path)
    with pytest.raises(DatasetNotFoundError, match="images"):
        LevirCC(tmp_path, "test")
