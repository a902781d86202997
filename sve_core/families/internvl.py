"""InternVL: ``model.model.vision_tower.encoder.layer[i]``; separate q/k/v (optional qk-norm), LayerScale on
both branches, absolute positions, a CLS token; images arrive as a batch of 448px tiles, and an image may span
several tiles (all tiles of one image form one SVE image: found from the placeholder runs in a model call, from
the image processor's ``num_patches`` in a session)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from sve_core.families.base import QKV, FamilyAdapter, HostParts


class InternVLAdapter(FamilyAdapter):
    model_types = ("internvl",)
    layout = "batched"
    tiles_key = "num_patches"

    def vision_tower(self, model: nn.Module) -> nn.Module:
        return getattr(model, "model", model).vision_tower

    def blocks(self, tower: nn.Module) -> nn.ModuleList:
        return tower.encoder.layer

    def host_parts(self, block: nn.Module) -> HostParts:
        attn = block.attention
        q_norm = None if isinstance(attn.q_norm, nn.Identity) else attn.q_norm
        k_norm = None if isinstance(attn.k_norm, nn.Identity) else attn.k_norm
        return HostParts(norm1=block.layernorm_before, norm2=block.layernorm_after,
                         qkv=QKV.separate(attn.q_proj, attn.k_proj, attn.v_proj), out=attn.projection_layer,
                         mlp=block.mlp, num_heads=attn.num_heads, q_norm=q_norm, k_norm=k_norm,
                         scale1=block.lambda_1, scale2=block.lambda_2)

    def units(self, tower: nn.Module, args: tuple, kwargs: dict[str, Any]) -> tuple[list[int], list[int]]:
        pixel_values = kwargs["pixel_values"] if "pixel_values" in kwargs else args[0]
        patch_h, patch_w = tower.config.patch_size
        patches = (pixel_values.shape[-2] // patch_h) * (pixel_values.shape[-1] // patch_w)
        # the LLM sees the patch grid (CLS dropped) after a pixel shuffle by downsample_ratio on both sides
        llm = round(patches * self.config.downsample_ratio ** 2)
        count = pixel_values.shape[0]
        return [patches + 1] * count, [llm] * count  # + 1: the CLS token of every tile

    def token_grid(self, values: torch.Tensor, inputs: dict[str, Any], image: int) -> torch.Tensor:
        """An image of several tiles ends with a thumbnail of the whole image: its patch grid is the map."""
        vision = self.config.vision_config
        side = vision.image_size[0] // vision.patch_size[0]
        return values.reshape(-1, side * side + 1)[-1, 1:].reshape(side, side)

    def run_host_attention(self, block: nn.Module, hidden: torch.Tensor, block_args: tuple,
                           block_kwargs: dict[str, Any]) -> torch.Tensor:
        return block.attention(hidden)[0]
