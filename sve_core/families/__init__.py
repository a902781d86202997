"""Family adapters, dispatched on ``model.config.model_type``. A new backbone family is one small file here
plus one line in `ADAPTERS`."""

from __future__ import annotations

from torch import nn

from sve_core.compat import check_transformers
from sve_core.families.base import FamilyAdapter, HostParts
from sve_core.families.discovery import DiscoveryError
from sve_core.families.gemma3 import Gemma3Adapter
from sve_core.families.generic import GenericAdapter
from sve_core.families.glm4v import Glm4VAdapter
from sve_core.families.internvl import InternVLAdapter
from sve_core.families.qwen2_5_vl import Qwen25VLAdapter
from sve_core.families.qwen2_vl import Qwen2VLAdapter
from sve_core.families.qwen3_vl import Qwen3VLAdapter

ADAPTERS: tuple[type[FamilyAdapter], ...] = (
    Qwen2VLAdapter, Qwen25VLAdapter, Qwen3VLAdapter, Glm4VAdapter, InternVLAdapter, Gemma3Adapter,
)  # then GenericAdapter for every other model type (its `model_types` are the ones tested)
SUPPORTED_MODEL_TYPES: tuple[str, ...] = tuple(t for a in (*ADAPTERS, GenericAdapter) for t in a.model_types)


class UnsupportedModelError(ValueError):
    """The model's family has no SVE adapter."""


def adapter_for(model: nn.Module) -> FamilyAdapter:
    check_transformers()
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    for adapter in ADAPTERS:
        if model_type in adapter.model_types:
            return adapter(model)
    try:
        return GenericAdapter(model)
    except DiscoveryError as err:
        raise UnsupportedModelError(
            f"{type(model).__name__} (model_type={model_type!r}) is not supported by SVE: no family adapter, and "
            f"the generic adapter says: {err}. Tested model types: {', '.join(SUPPORTED_MODEL_TYPES)}"
        ) from err


__all__ = ["ADAPTERS", "SUPPORTED_MODEL_TYPES", "FamilyAdapter", "GenericAdapter", "HostParts", "UnsupportedModelError",
           "adapter_for"]
