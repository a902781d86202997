"""Stateful Visual Encoders: cross-image attention inside the vision tower of transformers VLMs; the trainer, tiny
real models and the one prediction path. The bottom layer: imports neither `evaluation` nor `apps`.

Exports resolve on first use: `sve_core.families` imports torch and transformers (seconds), which the `sve`
command (`apps.cli`) must not pay for `--help` or an input error.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sve_core.checkpoint import load_stateful, save_stateful
    from sve_core.config import VARIANTS, SVEConfig, SVEConfigError
    from sve_core.families import SUPPORTED_MODEL_TYPES, UnsupportedModelError
    from sve_core.inject import image_sequences, make_stateful, remove_stateful

_EXPORTS = {
    "load_stateful": "sve_core.checkpoint",
    "save_stateful": "sve_core.checkpoint",
    "SUPPORTED_MODEL_TYPES": "sve_core.families",
    "VARIANTS": "sve_core.config",
    "SVEConfig": "sve_core.config",
    "SVEConfigError": "sve_core.config",
    "UnsupportedModelError": "sve_core.families",
    "image_sequences": "sve_core.inject",
    "make_stateful": "sve_core.inject",
    "remove_stateful": "sve_core.inject",
}
__all__ = [
    "SUPPORTED_MODEL_TYPES", "VARIANTS", "SVEConfig", "SVEConfigError", "UnsupportedModelError",
    "image_sequences", "load_stateful", "make_stateful", "remove_stateful", "save_stateful",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
