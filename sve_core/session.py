"""`StatefulSession`: incremental inference over a growing image sequence (one conversation).

The session keeps the last image's input (all of its tiles) to every stateful layer, so appending image k runs the vision tower on
image k only; features of earlier images are kept and handed to `generate()` as pre-computed
``mm_encoder_outputs``. Image k's features equal those of encoding the whole sequence at once.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers.utils import ModelOutput

from sve_core import compat
from sve_core.state import SessionCache


def _concat(a: Any, b: Any) -> Any:
    if isinstance(a, torch.Tensor):
        return torch.cat([a, b])
    if isinstance(a, tuple):
        return a + b
    if isinstance(a, list):  # e.g. DeepStack features: one entry per tap, each holding every image
        return [_concat(x, y) for x, y in zip(a, b, strict=True)]
    return b


class StatefulSession:
    """Encode images one turn at a time. ``model`` must have gone through `make_stateful`."""

    def __init__(self, model: nn.Module) -> None:
        if getattr(model, "sve", None) is None:
            raise ValueError("StatefulSession needs a stateful model: call make_stateful(model, config) first")
        self.model = model
        self.cache = SessionCache()
        self.features: ModelOutput | None = None

    @torch.no_grad()
    def add_images(self, pixel_values: torch.Tensor, **image_kwargs: Any) -> ModelOutput:
        """Encode the new image(s) only, continuing the sequence from the previous turn, and return their image
        features. Pass the image processor's whole output for them: ``image_grid_thw``, and the tile counts of
        families whose images span several tiles (InternVL's ``num_patches``, Gemma-3's ``num_crops``)."""
        handle = self.model.sve
        units = handle.adapter.pop_units_per_image(image_kwargs)
        if units is None and handle.adapter.tiles_key is not None and pixel_values.shape[0] > 1:
            raise ValueError(f"{pixel_values.shape[0]} tiles given without {handle.adapter.tiles_key!r}: pass the "
                             "image processor's whole output, so the session knows which tiles form one image")
        state = handle.state
        state.session, state.units_per_image = self.cache, units
        try:
            out = compat.image_features(self.model, pixel_values, **image_kwargs)
        finally:
            state.session, state.units_per_image = None, None
        if self.features is None:
            self.features = out
        else:
            self.features = type(out)(**{k: _concat(self.features[k], out[k]) for k in out})
        return out

    def generate(self, **inputs: Any) -> torch.Tensor:
        """`model.generate` on the whole conversation, reusing the session's image features (pixel values of
        earlier images are not needed again)."""
        if self.features is None:
            raise ValueError("no images in this session yet: call add_images() first")
        inputs = {k: v for k, v in inputs.items() if k not in ("pixel_values",)}
        return compat.generate_with_image_features(self.model, self.features, **inputs)
