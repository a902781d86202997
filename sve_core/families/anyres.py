"""LLaVA-OneVision's anyres tiles, seen by the generic adapter: an image may be several tower rows (a base view
plus the crops of a grid), and the unit of "previous image" is the image.

The tower only receives the rows; which rows form which image is decided one call up, in the model's
``get_image_features`` (from ``image_sizes`` and ``batch_num_images``: transformers tiles the images of
single-image samples only). `install` wraps that method on the model instance (deep copies rebind it) so that,
for the duration of each call, the tower carries `AnyresImages`: rows per image, and each image's placeholder
count, computed by the model's own `pack_image_features` on 1-channel dummies.
"""

from __future__ import annotations

import functools
import inspect
import types
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

ATTRIBUTE = "sve_anyres_images"  # set on the vision tower during a get_image_features call


@dataclass
class AnyresImages:
    rows: list[int]  # tower rows (tiles) of each image, in order
    placeholders: list[int]  # language-model placeholder tokens of each image


def _images(owner: nn.Module, image_sizes: torch.Tensor, batch_num_images: Any,
            vision_aspect_ratio: str | None) -> AnyresImages:
    from transformers.models.llava_onevision.modeling_llava_onevision import image_size_to_num_patches

    config = owner.config
    tiled = [True] * len(image_sizes) if batch_num_images is None else \
        [int(n) == 1 for n in batch_num_images for _ in range(int(n))]
    rows = [image_size_to_num_patches(image_size=size, grid_pinpoints=config.image_grid_pinpoints,
                                      patch_size=config.vision_config.image_size) if tile else 1
            for size, tile in zip(image_sizes, tiled, strict=True)]
    side = config.vision_config.image_size // config.vision_config.patch_size
    dummies = [torch.zeros(n, side * side, 1) for n in rows]
    _, lengths = owner.pack_image_features(dummies, image_sizes.cpu(), image_newline=torch.zeros(1),
                                           vision_aspect_ratio=vision_aspect_ratio or config.vision_aspect_ratio)
    return AnyresImages(rows, [int(n) for n in lengths])


def install(owner: nn.Module) -> None:
    """Announce the images of every ``owner.get_image_features`` call to its tower (once per model). The wrapper
    keeps the original's signature: generate() reads it to choose the arguments it passes."""
    if getattr(owner.get_image_features, "sve_anyres", False):
        return
    original = type(owner).get_image_features

    @functools.wraps(original)
    def get_image_features(self: nn.Module, *args: Any, **kwargs: Any) -> Any:
        given = inspect.signature(original).bind(self, *args, **kwargs).arguments  # some come by position
        images = _images(self, given["image_sizes"], given.get("batch_num_images"), given.get("vision_aspect_ratio"))
        setattr(self.vision_tower, ATTRIBUTE, images)
        try:
            return original(self, *args, **kwargs)
        finally:
            setattr(self.vision_tower, ATTRIBUTE, None)

    get_image_features.sve_anyres = True
    owner.get_image_features = types.MethodType(get_image_features, owner)  # deep copies rebind it
    setattr(owner.vision_tower, ATTRIBUTE, None)


def images_of_call(tower: nn.Module) -> AnyresImages | None:
    """The images of the tower call in progress, or None when the tower is called directly."""
    return getattr(tower, ATTRIBUTE, None)
