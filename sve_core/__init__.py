"""Stateful Visual Encoders: cross-image attention inside the vision tower of transformers VLMs; the trainer, tiny
real models and the one prediction path. The bottom layer: imports neither `evaluation` nor `apps`."""

from sve_core.config import VARIANTS, SVEConfig, SVEConfigError
from sve_core.families import SUPPORTED_MODEL_TYPES, UnsupportedModelError
from sve_core.inject import image_sequences, make_stateful, remove_stateful

__all__ = [
    "SUPPORTED_MODEL_TYPES", "VARIANTS", "SVEConfig", "SVEConfigError", "UnsupportedModelError",
    "image_sequences", "make_stateful", "remove_stateful",
]
