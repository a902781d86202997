"""The shared threshold calibration (apps/common/calibration.py) through both apps' files: the argparse range,
the stored file and its refusals, and the no-edit threshold search of image_diff."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from apps.common.calibration import probability
from apps.image_diff import ImageInputError
from apps.image_diff.describe.calibration import FILENAME, EditCalibration, calibrate


@pytest.mark.parametrize("text", ["-0.1", "1.5", "nan", "half"])
def test_threshold_flag_range(text: str) -> None:
    assert probability("0.25") == 0.25
    with pytest.raises(argparse.ArgumentTypeError, match="expected a probability between 0 and 1"):
        probability(text)


def test_edit_calibration_round_trip_and_bad_files(tmp_path: Path) -> None:
    default = EditCalibration.for_model(tmp_path)
    assert not default.calibrated and "uncalibrated default: the model has no edit_calibration.json" in \
        default.describe()
    stored = EditCalibration(threshold=0.3, precision=1.0, recall=0.75, pairs=40, source="val split of x")
    stored.save(tmp_path / FILENAME)
    assert EditCalibration.for_model(tmp_path) == stored
    assert stored.describe() == ("p(edit) threshold 0.300, calibrated on 40 pairs (val split of x): no-edit "
                                 "precision 1.000, recall 0.750")
    (tmp_path / FILENAME).write_text('{"threshold": -1}')
    with pytest.raises(ImageInputError, match="expected values in"):
        EditCalibration.for_model(tmp_path)
    (tmp_path / FILENAME).write_text('{"map_threshold": 0.2}')  # an RS file under the wrong name
    with pytest.raises(ImageInputError, match="expected the JSON `sve diff calibrate` writes"):
        EditCalibration.for_model(tmp_path)


def test_no_edit_threshold_search() -> None:
    """Four no-edit pairs at low p(edit), one edit pair among them: the threshold separates the rest."""
    p_edit = np.array([0.01, 0.02, 0.05, 0.3, 0.2, 0.9, 0.95, 0.99])
    no_edit = np.array([True, True, True, True, False, False, False, False])
    found = calibrate(p_edit, no_edit, "toy")
    assert found.threshold == pytest.approx((0.3 + 0.9) / 2)  # all four no-edit pairs, one edit pair wrongly
    assert (found.precision, found.recall, found.pairs) == (0.8, 1.0, 8)
    said_no_edit = p_edit < found.threshold
    assert said_no_edit.sum() == 5
