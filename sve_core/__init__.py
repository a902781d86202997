"""Stateful Visual Encoders: cross-image attention inside the vision tower of transformers VLMs."""

from sve_core.checkpoint import load_stateful, save_stateful
from sve_core.config import VARIANTS, SVEConfig, SVEConfigError
from sve_core.families import SUPPORTED_MODEL_TYPES, UnsupportedModelError
from sve_core.inject import image_sequences, make_stateful, remove_stateful

__all__ = [
    "SUPPORTED_MODEL_TYPES", "VARIANTS", "SVEConfig", "SVEConfigError", "UnsupportedModelError",
    "image_sequences", "load_stateful", "make_stateful", "remove_stateful", "save_stateful",
]
