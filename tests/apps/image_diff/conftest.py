"""Fixtures for the image_diff tests: the seeded file writers kept beside their data (tests/data/image_diff), and a
predictor whose describer answers like the demo model."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from apps.image_diff.describe.predictor import DiffPredictor
from sve_core.inference import AnswerScores, Describer

DATA_SCRIPT = Path(__file__).resolve().parents[2] / "data" / "image_diff" / "data.py"


@pytest.fixture(scope="session")
def files() -> ModuleType:
    """tests/data/image_diff/data.py as a module (tests/ is not a package, so it is loaded by path)."""
    spec = importlib.util.spec_from_file_location("image_diff_test_data", DATA_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OBSERVED_ANSWER = "a red star at the top -> a blue star at the top: make the red star blue"


class Observing(Describer):
    """A describer that answers like the demo model, an observation and then the instruction, without a model;
    it gives the no-edit answer probability `p_no_edit`."""

    name, demo, stateful = "observing", True, False

    def __init__(self, p_no_edit: float = 0.1) -> None:  # no model: the answers are scripted
        self.p_no_edit = p_no_edit

    def describe_and_score(self, sequences: list[list], prompt: str, answer: str, *,
                           heatmaps: bool = False) -> tuple[list[str], AnswerScores]:
        return [OBSERVED_ANSWER] * len(sequences), self.answer_likelihoods(sequences, prompt, [answer])

    def answer_likelihoods(self, sequences: list[list], prompt: str, answers: list[str], *,
                           heatmaps: bool = False) -> AnswerScores:
        scores = np.full((len(sequences), len(answers)), math.log(self.p_no_edit))
        return AnswerScores(scores, [[None] * len(images) for images in sequences])


@pytest.fixture
def observing() -> DiffPredictor:
    return DiffPredictor(Observing())  # type: ignore[arg-type]


@pytest.fixture
def quiet() -> DiffPredictor:
    """As `observing`, but the model finds "no edit" likely (p(edit) = 0.1)."""
    return DiffPredictor(Observing(p_no_edit=0.9))  # type: ignore[arg-type]
