"""The one place where sve_core leans on parts of transformers that are not its public API, and the transformers
versions that this is tested with.

`TRANSFORMERS_RANGE` is the same specifier as the transformers dependency in pyproject.toml (a test keeps them
equal); CI runs the suite on its lowest and its highest version. Outside it, `check_transformers` raises one
error naming the range, instead of an AttributeError deep in a forward. What we rely on:

- block forward keywords of the flat (rotary) vision towers: ``position_embeddings`` (cos, sin) and
  ``cu_seqlens`` (`rotary`, `segment_bounds`);
- ``get_image_features(..., return_dict=True)`` returning a ModelOutput, and ``generate(mm_encoder_outputs=...)``
  taking pre-computed image features (`image_features`, `generate_with_image_features`);
- Qwen2.5-VL's window order, ``transformers.vision_utils.get_vision_window_index`` (`vision_window_index`);
- ``activation_checkpointing_enable``, new in 5.23 (`enable_activation_checkpointing`);
- ``transformers.core_model_loading.revert_weight_conversion``, the hub names of converted weights
  (`revert_weight_conversion`);
- the module paths and attribute names of each family's vision blocks, which live in `sve_core/families/`
  (e.g. Gemma-3's tower without the ``vision_model`` wrapper since transformers 5).
"""

from __future__ import annotations

import sys
from typing import Any

import torch
import transformers  # noqa: F401 - loaded here; check_transformers reads the module in use
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from torch import nn

TRANSFORMERS_RANGE = ">=5.23,<6"


class UnsupportedTransformersError(RuntimeError):
    """The installed transformers is outside the range sve_core is tested with."""


def check_transformers(version: str | None = None) -> None:
    """Raise `UnsupportedTransformersError` unless transformers `version` (default: the installed one) is in
    `TRANSFORMERS_RANGE`."""
    version = version or sys.modules["transformers"].__version__  # transformers swaps its module object while it loads
    if Version(version) not in SpecifierSet(TRANSFORMERS_RANGE):
        raise UnsupportedTransformersError(
            f"transformers {version} is not supported: sve_core is tested with transformers{TRANSFORMERS_RANGE} "
            f"(pip install 'transformers{TRANSFORMERS_RANGE}')")


def generate_cache(cache: Any) -> dict[str, Any]:
    """`generate()`'s argument for a key/value cache to continue from: ``cache`` since transformers 5.24,
    ``past_key_values`` before (still accepted after, with a deprecation warning)."""
    version = Version(sys.modules["transformers"].__version__)
    return {"cache" if version >= Version("5.24") else "past_key_values": cache}


def rotary(block_kwargs: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """The (cos, sin) a flat-family vision block received, each (T, head_dim)."""
    return block_kwargs["position_embeddings"]


def segment_bounds(block_args: tuple, block_kwargs: dict[str, Any]) -> torch.Tensor:
    """The ``cu_seqlens`` boundaries a flat-family vision block attends within (images, or windows)."""
    return block_kwargs["cu_seqlens"] if "cu_seqlens" in block_kwargs else block_args[0]


def image_features(model: nn.Module, pixel_values: torch.Tensor, **image_kwargs: Any) -> Any:
    """The model's image features (a ModelOutput) for `pixel_values`."""
    return model.get_image_features(pixel_values=pixel_values, return_dict=True, **image_kwargs)


def generate_with_image_features(model: nn.Module, features: Any, **inputs: Any) -> torch.Tensor:
    """`model.generate` with pre-computed image features instead of pixels."""
    return model.generate(**inputs, mm_encoder_outputs={"image": features})


def vision_window_index(grid_thw: torch.Tensor, vision_config: Any) -> torch.Tensor:
    """Qwen2.5-VL's window order of the merge groups of the images in `grid_thw`."""
    from transformers.vision_utils import get_vision_window_index

    order, _ = get_vision_window_index(grid_thw, spatial_merge_size=vision_config.spatial_merge_size,
                                       window_size=vision_config.window_size, patch_size=vision_config.patch_size)
    return order


def enable_activation_checkpointing(model: nn.Module) -> None:
    """Recompute each block in the backward, non-reentrant (stateful blocks receive their layout as a keyword
    argument, which the recompute must replay). Under 5.18's gradient_checkpointing_enable the recompute saved
    other tensors than the forward and the gradient test failed; this method is new in 5.23."""
    model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})


def revert_weight_conversion(model: nn.Module, state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`state_dict` under the names the hub checkpoint uses (transformers renames some weights on load)."""
    from transformers.core_model_loading import revert_weight_conversion as revert

    return revert(model, state_dict)
