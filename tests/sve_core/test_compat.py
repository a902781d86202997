"""The supported transformers range: stated once, equal to pyproject.toml's, enforced with one clear error."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from sve_core import SVEConfig, make_stateful
from sve_core.compat import TRANSFORMERS_RANGE, UnsupportedTransformersError, check_transformers
from sve_core.tiny import tiny_vlm

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_range_is_the_one_pyproject_states():
    (pin,) = re.findall(r'^\s*"transformers([^"]*)",', PYPROJECT.read_text(), flags=re.MULTILINE)
    assert pin.replace(" ", "") == TRANSFORMERS_RANGE


def test_installed_transformers_is_supported():
    check_transformers()


@pytest.mark.parametrize("version", ["4.57.6", "6.0.0"])
def test_unsupported_version_is_one_clear_error(version, monkeypatch):
    model, _ = tiny_vlm("qwen2_vl")
    monkeypatch.setattr(sys.modules["transformers"], "__version__", version)
    with pytest.raises(UnsupportedTransformersError) as error:
        make_stateful(model, SVEConfig())
    message = str(error.value)
    assert message == (f"transformers {version} is not supported: sve_core is tested with "
                       f"transformers{TRANSFORMERS_RANGE} (pip install 'transformers{TRANSFORMERS_RANGE}')")
    assert getattr(model, "sve", None) is None
