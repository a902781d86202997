"""The generic adapter: any VLM whose vision tower is a stack of standard pre-norm transformer blocks with
absolute positions (SigLIP, CLIP, Idefics3/SmolVLM, LLaVA-OneVision, PaliGemma, LLaVA, ...).

`discovery` finds the tower, its blocks and their parts (and proves them on one block); this file adds what the
injected blocks need per tower call. Images arrive as a batch of rows ``(rows, 3, H, W)``, one row per image,
each becoming ``patches`` vision tokens (+ a CLS token where the tower has one). The language model sees
``tokens_per_image`` placeholders per row: `VisionSpec.tokens_per_image`, else ``config.mm_tokens_per_image``,
else the patches reduced by the connector's pixel shuffle (``scale_factor``: Idefics3) plus a kept CLS token
(``vision_feature_select_strategy="full"``) plus an ``image_newline`` token (LLaVA-OneVision/NeXT).

Tiles stay inside this adapter: LLaVA-OneVision cuts the image of a single-image sample into anyres tiles
(`anyres`): all rows of one image form one SVE unit, so the previous image is the previous *image*. Idefics3's
image splitting gives every crop its own placeholder run, so SVE would chain crops: turn it off
(``do_image_splitting=False``) when using SVE. Elsewhere a row is an image.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from sve_core.families import anyres
from sve_core.families.base import FamilyAdapter, HostParts
from sve_core.families.discovery import Discovered, block_mask, call_attention, discover, host_parts
from sve_core.families.vision_spec import spec_for


class GenericAdapter(FamilyAdapter):
    model_types = ("idefics3", "llava_onevision", "paligemma")  # tested ones; any other type may be tried
    layout = "batched"

    def __init__(self, model: nn.Module) -> None:
        super().__init__(model)
        self.spec = spec_for(self.config.model_type)
        self.found: Discovered = discover(model, self.spec)
        tower = model.get_submodule(self.found.tower)
        names = [name.rsplit(".", 1)[-1] for name, _ in tower.named_parameters()]
        self.cls = any(n in ("class_embedding", "cls_token") for n in names)
        patch = tower.config.patch_size
        self.patch = (patch, patch) if isinstance(patch, int) else tuple(patch)
        self.newline = any(name.endswith("image_newline") for name, _ in model.named_parameters())
        if self.config.model_type == "llava_onevision":
            anyres.install(model.get_submodule(self.found.tower.rsplit(".", 1)[0]))

    def vision_tower(self, model: nn.Module) -> nn.Module:
        return model.get_submodule(self.found.tower)

    def blocks(self, tower: nn.Module) -> nn.ModuleList:
        return tower.get_submodule(self.found.blocks)

    def host_parts(self, block: nn.Module) -> HostParts:
        return host_parts(block, self.found)

    def image_token_id(self) -> int:
        return self.found.image_token_id

    def tokens_per_image(self, patches: int) -> int:
        """Language-model placeholders of one tower row of `patches` patches."""
        if self.spec.tokens_per_image is not None:
            return self.spec.tokens_per_image
        fixed = getattr(self.config, "mm_tokens_per_image", None)
        if fixed:
            return int(fixed)
        scale = getattr(self.config, "scale_factor", None) or 1
        keep_cls = self.cls and getattr(self.config, "vision_feature_select_strategy", None) == "full"
        return patches // (scale * scale) + int(keep_cls) + int(self.newline)

    def units(self, tower: nn.Module, args: tuple, kwargs: dict[str, Any]) -> tuple[list[int], list[int]]:
        pixel_values = kwargs["pixel_values"] if "pixel_values" in kwargs else args[0]
        patches = (pixel_values.shape[-2] // self.patch[0]) * (pixel_values.shape[-1] // self.patch[1])
        per_row = patches + int(self.cls)
        images = anyres.images_of_call(tower)
        if images is not None:  # tiles: one unit per image
            return [per_row * n for n in images.rows], images.placeholders
        rows = pixel_values.shape[0]
        return [per_row] * rows, [self.tokens_per_image(patches)] * rows

    def token_grid(self, values: torch.Tensor, inputs: dict[str, Any], image: int) -> torch.Tensor:
        """The image's first row (the whole image, also where tiles follow it), CLS dropped."""
        side_h, side_w = (n // p for n, p in zip(inputs["pixel_values"].shape[-2:], self.patch, strict=True))
        first = values[: side_h * side_w + int(self.cls)]
        return first[int(self.cls):].reshape(side_h, side_w)

    def run_host_attention(self, block: nn.Module, hidden: torch.Tensor, block_args: tuple,
                           block_kwargs: dict[str, Any]) -> torch.Tensor:
        attention = block.get_submodule(self.found.attention)
        return call_attention(attention, hidden, block_mask(block_args, block_kwargs))

    def describe(self) -> str:
        """What was discovered (and what was declared), for `sve check`."""
        side = int(self.config.vision_config.image_size) // self.patch[0]
        rule = "declared" if self.spec.tokens_per_image is not None else "discovered"
        return (f"{self.found.describe()}\n  {'tokens/image':<15} {self.tokens_per_image(side * side)} placeholders "
                f"per {side}x{side}-patch row{' + CLS' if self.cls else ''}  [{rule}]")
