"""Gemma-3: SigLIP layers at ``model.model.vision_tower.encoder.layers[i]`` (transformers 5 dropped the inner
``vision_model`` wrapper); separate q/k/v, LayerNorm, fc1/fc2 MLP, absolute positions; images arrive as a batch
``(num_images, 3, H, W)``, one row per image; the projector average-pools each row to ``mm_tokens_per_image``
language-model tokens. Pan-and-scan (off by default) adds crops after each image, each with its own placeholder
run, and the processor drops ``num_crops`` before the model sees it: a plain model call cannot tell a crop from a
further image, so pass the grouping (``image_sequences(..., units_per_image=[c + 1 for c in num_crops])``); a
session reads ``num_crops`` from the image processor's output itself."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from sve_core.families.base import QKV, FamilyAdapter, HostParts


class Gemma3Adapter(FamilyAdapter):
    model_types = ("gemma3",)
    layout = "batched"
    tiles_key = "num_crops"

    def pop_units_per_image(self, image_kwargs: dict[str, Any]) -> list[int] | None:
        crops = super().pop_units_per_image(image_kwargs)
        return None if crops is None else [c + 1 for c in crops]  # the whole image, then its crops

    def vision_tower(self, model: nn.Module) -> nn.Module:
        return getattr(model, "model", model).vision_tower

    def blocks(self, tower: nn.Module) -> nn.ModuleList:
        return getattr(tower, "vision_model", tower).encoder.layers

    def host_parts(self, block: nn.Module) -> HostParts:
        attn = block.self_attn
        return HostParts(norm1=block.layer_norm1, norm2=block.layer_norm2,
                         qkv=QKV.separate(attn.q_proj, attn.k_proj, attn.v_proj), out=attn.out_proj,
                         mlp=block.mlp, num_heads=attn.num_heads)

    def units(self, tower: nn.Module, args: tuple, kwargs: dict[str, Any]) -> tuple[list[int], list[int]]:
        pixel_values = kwargs["pixel_values"] if "pixel_values" in kwargs else args[0]
        patch = tower.config.patch_size
        per_row = (pixel_values.shape[-2] // patch) * (pixel_values.shape[-1] // patch)
        count = pixel_values.shape[0]
        return [per_row] * count, [int(self.config.mm_tokens_per_image)] * count

    def run_host_attention(self, block: nn.Module, hidden: torch.Tensor, block_args: tuple,
                           block_kwargs: dict[str, Any]) -> torch.Tensor:
        mask = block_kwargs.get("attention_mask", block_args[0] if block_args else None)
        return block.self_attn(hidden_states=hidden, attention_mask=mask)[0]
