"""p(edit) and its threshold: whether a pair shows an edit at all, from the model itself rather than its words.

p(edit) = 1 - P(the no-edit answer | images, question): the probability the model gives, by teacher forcing, to
`synthetic.NO_EDIT` ("no edit") through `Describer.answer_likelihoods`, the one prediction path. A pair is
edited when p(edit) reaches the threshold; below it the tab and `sve diff describe` say "no difference found"
with the probability, whatever the generated text says (a disagreement is stated, not hidden).

`EditCalibration` stores the threshold next to the model as `edit_calibration.json`:

    sve diff calibrate --data runs/data/image_diff_noedit --split val --model runs/demo/image_diff_noedit

It is chosen on a split with no-edit pairs (`sve diff make-dataset --no-edit-share`) to maximise F1 of the
no-edit verdicts, the rarer class a user most needs right ("nothing changed" when nothing changed); precision
and recall stored with it are the no-edit answers'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from apps.common.calibration import Calibration, best_threshold
from apps.image_diff.ingest import ImageInputError

FILENAME = "edit_calibration.json"


@dataclass(frozen=True)
class EditCalibration(Calibration):
    FILENAME = FILENAME
    SCORE = "p(edit)"
    SCORED = "no-edit"
    COMMAND = "sve diff calibrate"
    ERROR = ImageInputError


def edit_probability(no_edit_log_likelihood: float) -> float:
    """p(edit) from the log-likelihood of the no-edit answer."""
    return float(np.clip(1.0 - np.exp(no_edit_log_likelihood), 0.0, 1.0))


def calibrate(p_edit: np.ndarray, no_edit: np.ndarray, source: str) -> EditCalibration:
    """The p(edit) threshold maximising F1 of the no-edit verdicts (`p(edit) < threshold`) against bool
    `no_edit` labels, with the precision and recall those verdicts reach."""
    below, precision, recall, _ = best_threshold(1.0 - p_edit, no_edit)
    return EditCalibration(threshold=float(np.clip(1.0 - below, 0.0, 1.0)), precision=precision, recall=recall,
                           pairs=len(p_edit), source=source)
