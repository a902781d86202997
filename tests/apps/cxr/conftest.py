"""Fixtures for the cxr tests: the seeded file writers kept beside their data (tests/data/cxr)."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

DATA_SCRIPT = Path(__file__).resolve().parents[2] / "data" / "cxr" / "data.py"


@pytest.fixture(scope="session")
def files() -> ModuleType:
    """tests/data/cxr/data.py as a module (tests/ is not a package, so it is loaded by path)."""
    spec = importlib.util.spec_from_file_location("cxr_test_data", DATA_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder that `tempfile` uses for this test only, so a test can check that nothing is left in it."""
    folder = tmp_path / "system_tmp"
    folder.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    yield folder


@pytest.fixture
def cxr_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record the cxr package logs at WARNING or above."""
    caplog.set_level(logging.WARNING, logger="apps.cxr")
    return caplog
