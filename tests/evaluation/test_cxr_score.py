"""The RATE-style score on pairs small enough to count by hand."""

from __future__ import annotations

import pytest

from evaluation.cxr_score import score_changes

ADD = "the main image has additional findings of {} than the reference image."
MISS = "the main image is missing the findings of {} than the reference image."


def test_hand_counted_pairs() -> None:
    gold = [ADD.format("edema, and pleural effusion"), MISS.format("pneumothorax"), "nothing has changed."]
    predicted = ["Increased edema.", "Nothing has changed.", "New rib fracture."]
    scores = score_changes(gold, predicted)
    # changed pairs: 1 and 2 -> gold labels {edema+, effusion+, pneumothorax-}, predicted {edema+}: tp 1, fn 2
    assert scores["Micro-F1"] == pytest.approx(100 * 2 * 1 / (2 * 1 + 2))
    # macro over 54 labels: only "edema (added)" has F1 1, the other 53 score 0
    assert scores["Macro-F1"] == pytest.approx(100 / 54)
    # pair 1 agrees (both changed); pair 2 disagrees; pair 3 disagrees (gold unchanged, fracture predicted)
    assert scores["Chg Acc"] == pytest.approx(100 / 3)
    assert scores["group_f1"]["lungs"] == pytest.approx(100.0)
    assert scores["group_f1"]["pleura"] == pytest.approx(0.0)
    assert scores["group_f1"]["cardiac"] is None
    assert (scores["pairs"], scores["changed_pairs"]) == (3, 2)


def test_unreadable_predictions_are_counted_and_never_credited_as_no_change() -> None:
    gold = ["nothing has changed.", ADD.format("cardiomegaly"), "nothing has changed."]
    garbled = "nothing has changed effusion than the effusion"
    scores = score_changes(gold, ["¯\\_(ツ)_/¯", "???", garbled])
    assert scores["unreadable"] == 3
    assert scores["Chg Acc"] == pytest.approx(0.0)  # a garbled answer is not a correct "no change"
    assert scores["Micro-F1"] == pytest.approx(0.0)
    assert score_changes(gold, ["Nothing has changed.", "New cardiomegaly.", "No interval change."])[
        "unreadable"
    ] == 0


def test_no_gold_change_leaves_f1_undefined() -> None:
    scores = score_changes(["nothing has changed."], ["New effusion."])
    assert scores["Micro-F1"] is None and scores["Macro-F1"] is None and scores["Chg Acc"] == 0.0


def test_misaligned_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="must align"):
        score_changes(["a", "b"], ["a"])
