"""p(change) calibration and change-detection scores: the threshold search, the stored calibration, the
generator's change masks and nuisance pairs, and `sve rs calibrate` / `sve rs evaluate` end to end on a tiny
model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from apps.cli import main
from apps.common.calibration import best_threshold
from apps.rs_change.calibration import FILENAME, ChangeCalibration
from apps.rs_change.detection import SplitScores, pixel_metrics, tile_metrics
from apps.rs_change.errors import SceneError
from apps.rs_change.synthetic.make_dataset import write_dataset
from apps.rs_change.synthetic.nuisance import NUISANCES
from apps.rs_change.synthetic.scenes import make_pair


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """Six val and six test pairs with masks; half of them with nuisance change."""
    root = tmp_path_factory.mktemp("rs_cal")
    write_dataset(root, {"train": 0, "val": 6, "test": 6}, seed=3, size=32, change_rate=0.5, workers=1,
                  nuisance_rate=0.5)
    return root


def test_best_threshold_maximises_f1_between_scores() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.4, 0.3, 0.1])
    labels = np.array([True, True, False, True, False, False])
    threshold, precision, recall, f1 = best_threshold(scores, labels)
    assert threshold == pytest.approx(0.35) and (precision, recall) == (0.75, 1.0) and f1 == pytest.approx(6 / 7)
    assert best_threshold(np.array([0.2, 0.8]), np.array([False, True]))[0] == pytest.approx(0.5)


def test_calibration_round_trip_and_bad_files(tmp_path: Path) -> None:
    assert not ChangeCalibration.for_model(tmp_path).calibrated  # no file: the defaults, said so
    stored = ChangeCalibration(threshold=0.42, map_threshold=0.2, precision=0.9, recall=0.8, pixel_f1=0.5, pairs=300,
                               source="val split")
    stored.save(tmp_path / FILENAME)
    assert ChangeCalibration.for_model(tmp_path) == stored and "precision 0.900, recall 0.800" in stored.describe()
    assert "read one way, by an older version" in stored.describe()  # a file from before p(change) both ways
    assert "one way" not in replace(stored, both_ways=True).describe()
    (tmp_path / FILENAME).write_text('{"threshold": 0.5, "both_ways": "no"}')
    with pytest.raises(SceneError, match=f"{FILENAME}: calibration both_ways='no': expected true or false"):
        ChangeCalibration.for_model(tmp_path)
    (tmp_path / FILENAME).write_text('{"threshold": 2}')
    with pytest.raises(SceneError, match="expected values in"):
        ChangeCalibration.for_model(tmp_path)
    (tmp_path / FILENAME).write_text("[")
    with pytest.raises(SceneError, match=FILENAME):
        ChangeCalibration.for_model(tmp_path)


def test_metrics_on_a_known_split() -> None:
    masks = [np.zeros((4, 4), bool) for _ in range(3)]
    masks[0][:2, :2] = True
    maps = [np.zeros((4, 4), np.float32) for _ in range(3)]
    maps[0][:2, :3] = 0.8  # 4 true and 2 false positive pixels, peak inside the change
    maps[1][3, 3] = 0.9  # lit on a pair that is below the tile threshold: not counted
    scores = SplitScores(np.array([True, False, False]), np.array([0.9, 0.3, 0.6]), maps, masks)
    tiles = tile_metrics(scores, 0.5)
    assert (tiles["precision"], tiles["recall"], tiles["AUROC"]) == (50.0, 100.0, 100.0)
    pixels = pixel_metrics(scores, ChangeCalibration(threshold=0.5, map_threshold=0.5))
    assert pixels == {"pixel F1": pytest.approx(80.0), "IoU": pytest.approx(400 / 6), "pointing game": 100.0}
    assert pixel_metrics(SplitScores(scores.labels, scores.probabilities, None, masks), ChangeCalibration()) is None


def test_pairs_carry_change_masks_and_optional_nuisance() -> None:
    plain = make_pair([5, 0, 1], 64, kind="buildings_built")
    assert plain.change_mask.shape == (64, 64) and plain.change_mask.any() and plain.nuisance == ()
    assert not make_pair([5, 0, 2], 64, kind="none").change_mask.any()
    noisy = make_pair([5, 0, 1], 64, kind="buildings_built", nuisance_rate=1.0)
    assert noisy.nuisance and set(noisy.nuisance) <= set(NUISANCES) and noisy.changeflag == 1
    assert np.array_equal(noisy.change_mask, plain.change_mask)  # nuisance never moves the label
    assert np.array_equal(noisy.before, plain.before)


def test_dataset_writes_masks_and_nuisance_meta(data: Path) -> None:
    rows = [json.loads(line) for line in (data / "val.jsonl").read_text().splitlines()]
    assert any(row["meta"]["nuisance"] for row in rows) and any(not row["meta"]["nuisance"] for row in rows)
    for row in rows:
        mask = np.asarray(Image.open(data / row["meta"]["mask"]))
        assert mask.shape == (256, 256) and bool(mask.any()) == (row["meta"]["changeflag"] == 1)


def test_calibrate_then_evaluate_a_stateless_tiny_model(data: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / FILENAME
    tiny = ["--model", "tiny:qwen2_vl", "--input-size", "56", "--max-new-tokens", "2"]
    assert main(["rs", "calibrate", "--data", str(data), *tiny, "--out", str(out)]) == 0
    calibration = json.loads(out.read_text())
    assert calibration["pairs"] == 6 and calibration["pixel_f1"] is None  # stateless: no maps to calibrate
    assert calibration["source"] == f"val split of {data.name}"  # no synthetic_info.json: the folder
    capsys.readouterr()
    assert main(["rs", "evaluate", "--data", str(data), "--model", "tiny:qwen2_vl", "--max-new-tokens", "2",
                 "--no-meteor", "--threshold", "0.5", "--out", str(tmp_path / "eval")]) == 0
    printed = capsys.readouterr().out
    assert "| tile: p(change) flag |" in printed and "This model is stateless" in printed
    payload = json.loads((tmp_path / "eval" / "rs_evaluate.json").read_text())["detection"]
    assert set(payload["tiles"]) == {"precision", "recall", "F1", "AUROC"} and payload["pixels"] is None
