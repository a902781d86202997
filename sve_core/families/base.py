"""What SVE needs to know about a VLM family: where its vision blocks are, how a block's parts are named,
how tokens are laid out, and how many language-model tokens each vision unit becomes.

Two layouts cover every family we support:
- ``flat``: all images of a batch are ONE token sequence ``(T, D)``; blocks get rotary ``position_embeddings``
  (Qwen2/2.5/3-VL, Qwen3.5, GLM-4V). A unit is one ``grid_thw`` row.
- ``batched``: images arrive as a normal batch ``(U, N, D)`` with absolute positions already added
  (InternVL, Gemma-3 SigLIP). A unit is one row (an image, or one tile of an image).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from sve_core import compat


@dataclass
class QKV:
    """Live views of a host block's query/key/value projections (fused or separate)."""

    weights: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
    biases: tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]

    @classmethod
    def fused(cls, linear: nn.Linear) -> QKV:
        biases = (None,) * 3 if linear.bias is None else linear.bias.chunk(3)
        return cls(linear.weight.chunk(3), tuple(biases))

    @classmethod
    def separate(cls, q: nn.Linear, k: nn.Linear, v: nn.Linear) -> QKV:
        return cls((q.weight, k.weight, v.weight), (q.bias, k.bias, v.bias))

    def project(self, which: int, hidden: torch.Tensor) -> torch.Tensor:
        """Apply the host's own (trainable) projection 0=q, 1=k, 2=v."""
        return F.linear(hidden, self.weights[which], self.biases[which])

    def clones(self) -> tuple[nn.Linear, nn.Linear, nn.Linear]:
        """Independent copies for SVE's cross-attention (weight cloning, REFERENCE §1)."""
        copies = []
        for weight, bias in zip(self.weights, self.biases, strict=True):
            linear = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None,
                               device=weight.device, dtype=weight.dtype)
            with torch.no_grad():
                linear.weight.copy_(weight)
                if bias is not None:
                    linear.bias.copy_(bias)
            copies.append(linear)
        return copies[0], copies[1], copies[2]


@dataclass
class HostParts:
    """Views onto one host block; SVE clones from them (cross variants) or calls them (self_ext, adaln_zero)."""

    norm1: nn.Module
    norm2: nn.Module
    qkv: QKV
    out: nn.Module
    mlp: nn.Module
    num_heads: int
    q_norm: nn.Module | None = None  # InternVL's optional qk-norm (applied over the full width)
    k_norm: nn.Module | None = None
    scale1: torch.Tensor | None = None  # LayerScale (InternVL) on the attention / MLP branches
    scale2: torch.Tensor | None = None

    @property
    def width(self) -> int:
        return self.qkv.weights[0].shape[1]


class FamilyAdapter:
    """Base class; one subclass per family, each in its own small file."""

    model_types: tuple[str, ...] = ()
    layout: Literal["flat", "batched"] = "flat"

    def __init__(self, model: nn.Module) -> None:
        self.config = model.config

    def vision_tower(self, model: nn.Module) -> nn.Module:
        raise NotImplementedError

    def blocks(self, tower: nn.Module) -> nn.ModuleList:
        raise NotImplementedError

    def host_parts(self, block: nn.Module) -> HostParts:
        raise NotImplementedError

    def image_token_id(self) -> int:
        config = self.config
        for name in ("image_token_id", "image_token_index"):
            value = getattr(config, name, None)
            if value is not None:
                return int(value)
        raise ValueError(f"{type(config).__name__} has no image_token_id")

    def units(self, tower: nn.Module, args: tuple, kwargs: dict[str, Any]) -> tuple[list[int], list[int]]:
        """(vision tokens per unit, language-model tokens per unit) for one call of the tower."""
        raise NotImplementedError

    tiles_key: str | None = None  # the image processor output that counts each image's tiles, if it tiles

    def pop_units_per_image(self, image_kwargs: dict[str, Any]) -> list[int] | None:
        """Tower units of each image, taken (and removed: the model does not read it) from the image processor's
        output; None when this family's images are one unit each or the count is absent."""
        if self.tiles_key is None or self.tiles_key not in image_kwargs:
            return None
        return [int(n) for n in image_kwargs.pop(self.tiles_key)]

    def rotary(self, block_args: tuple, block_kwargs: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The (cos, sin) a block received, each (T, head_dim); None for absolute-position families."""
        return None

    def attention_groups(self, hidden: torch.Tensor, block_args: tuple, block_kwargs: dict[str, Any]) -> torch.Tensor:
        """Group of every token of a block's input, (T,): the host block attends only within a group. A batch
        row (an image or a tile) in ``batched`` families; a ``cu_seqlens`` segment (an image, or a window in
        Qwen2.5-VL's windowed blocks) in ``flat`` ones. Self-Ext keeps these groups for the current image."""
        if self.layout == "batched":
            rows, tokens = hidden.shape[0], hidden.shape[1]
            return torch.arange(rows, device=hidden.device).repeat_interleave(tokens)
        bounds = compat.segment_bounds(block_args, block_kwargs)
        positions = torch.arange(hidden.shape[0], device=bounds.device)
        return torch.searchsorted(bounds[1:].to(positions.dtype), positions, right=True)

    def run_host_attention(self, block: nn.Module, hidden: torch.Tensor, block_args: tuple,
                           block_kwargs: dict[str, Any]) -> torch.Tensor:
        """The host's own attention on already-normalised input (used by adaln_zero)."""
        raise NotImplementedError

    def token_grid(self, values: torch.Tensor, inputs: dict[str, Any], image: int) -> torch.Tensor:
        """Per-token values (N,) of one image laid out on its patch grid (h, w), for heatmaps.

        Flat families order patches in merge groups (h/m, w/m, m, m); batched ones are row-major squares,
        with any leading CLS token dropped. (Qwen2.5-VL's adapter first undoes its window order.)"""
        if "image_grid_thw" in inputs:
            t, h, w = (int(x) for x in inputs["image_grid_thw"][image])
            m = int(self.config.vision_config.spatial_merge_size)
            grid = values[: t * h * w].reshape(t, h // m, w // m, m, m).permute(0, 1, 3, 2, 4)
            return grid.reshape(t, h, w)[0]
        side = int(values.shape[0] ** 0.5)
        return values[values.shape[0] - side * side:].reshape(side, side)

