"""Fixtures for the image_diff tests: the seeded file writers kept beside their data (tests/data/image_diff)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

DATA_SCRIPT = Path(__file__).resolve().parents[2] / "data" / "image_diff" / "data.py"


@pytest.fixture(scope="session")
def files() -> ModuleType:
    """tests/data/image_diff/data.py as a module (tests/ is not a package, so it is loaded by path)."""
    spec = importlib.util.spec_from_file_location("image_diff_test_data", DATA_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
