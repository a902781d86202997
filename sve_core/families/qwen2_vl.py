"""Qwen2-VL: ``model.model.visual.blocks[i]``; fused qkv, LayerNorm, fc1/fc2 MLP, 2D vision RoPE; all images of
a batch form one flat token sequence; each ``grid_thw`` row is one image; the merger maps 2x2 patches to one
language-model token. The other rotary flat families (Qwen2.5-VL, Qwen3-VL, Qwen3.5, GLM-4V) differ only in
names, so they subclass this adapter."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from sve_core import compat
from sve_core.families.base import QKV, FamilyAdapter, HostParts


class Qwen2VLAdapter(FamilyAdapter):
    model_types = ("qwen2_vl",)
    layout = "flat"

    def vision_tower(self, model: nn.Module) -> nn.Module:
        core = getattr(model, "model", model)
        return core.visual

    def blocks(self, tower: nn.Module) -> nn.ModuleList:
        return tower.blocks

    def host_parts(self, block: nn.Module) -> HostParts:
        return HostParts(norm1=block.norm1, norm2=block.norm2, qkv=QKV.fused(block.attn.qkv),
                         out=block.attn.proj, mlp=block.mlp, num_heads=block.attn.num_heads)

    def units(self, tower: nn.Module, args: tuple, kwargs: dict[str, Any]) -> tuple[list[int], list[int]]:
        grid_thw = kwargs["grid_thw"] if "grid_thw" in kwargs else args[1]
        tokens = grid_thw.prod(-1).tolist()
        merge = tower.spatial_merge_size ** 2
        return tokens, [n // merge for n in tokens]

    def rotary(self, block_args: tuple, block_kwargs: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor] | None:
        return compat.rotary(block_kwargs)

    def run_host_attention(self, block: nn.Module, hidden: torch.Tensor, block_args: tuple,
                           block_kwargs: dict[str, Any]) -> torch.Tensor:
        return block.attn(hidden, *block_args, **block_kwargs)
