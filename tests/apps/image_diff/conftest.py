"""Fixtures for the image_diff tests: the seeded file writers kept beside their data (tests/data/image_diff), and a
predictor whose describer answers like the demo model."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from apps.image_diff.describe.predictor import DiffPredictor
from sve_core.inference import Describer

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


class _Observing(Describer):
    """A describer that answers like the demo model, an observation and then the instruction, without a model."""

    name, demo, stateful = "observing", True, False

    def __init__(self) -> None:  # no model: the answer is scripted
        pass

    def describe_batch(self, sequences: list[list], prompt: str) -> list[str]:
        return [OBSERVED_ANSWER] * len(sequences)


@pytest.fixture
def observing() -> DiffPredictor:
    return DiffPredictor(_Observing())  # type: ignore[arg-type]
