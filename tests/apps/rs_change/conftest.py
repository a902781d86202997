"""Fixtures for the rs_change tests: the seeded scene writers kept beside their data (tests/data/rs_change)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
DATA_SCRIPT = DATA / "rs_change" / "data.py"


def _load(name: str, path: Path) -> ModuleType:
    """A script under tests/data as a module (tests/ is not a package, so it is loaded by path)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def scenes() -> ModuleType:
    """tests/data/rs_change/data.py as a module."""
    return _load("rs_change_test_data", DATA_SCRIPT)


@pytest.fixture(scope="session")
def stac_data() -> ModuleType:
    """tests/data/stac/data.py (the STAC catalog fixture) as a module."""
    return _load("stac_test_data", DATA / "stac" / "data.py")
