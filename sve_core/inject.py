"""`make_stateful`: inject an SVE variant into every (or the chosen) vision layer of a transformers VLM.

Two forward pre-hooks announce what each tower call holds: one on the module that owns the vision tower reads
the image placeholder runs of `input_ids`; one on the tower turns them, with the tower's own unit sizes, into a
`Layout` that the stateful blocks share for that call.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from sve_core.block import BlockRuntime, make_block_stateful, restore_block
from sve_core.config import SVEConfig, SVEConfigError
from sve_core.families import FamilyAdapter, adapter_for
from sve_core.grouping import group_units, image_runs, predecessors, units_of_images
from sve_core.layout import Layout
from sve_core.state import SVEState
from sve_core.variants import VARIANT_MODULES


@dataclass
class SVEHandle:
    """What `make_stateful` did to a model (stored as ``model.sve``)."""

    config: SVEConfig
    adapter: FamilyAdapter
    state: SVEState
    targeted_module_names: list[str]
    hooks: list[Any] = field(default_factory=list)

    @property
    def family(self) -> str:
        return self.adapter.config.model_type

    def sve_parameters(self, model: nn.Module) -> dict[str, nn.Parameter]:
        return {name: p for name, p in model.named_parameters() if ".sve." in f".{name}"}


def _owner_of(model: nn.Module, tower: nn.Module) -> nn.Module:
    for module in model.modules():
        if any(child is tower for child in module.children()):
            return module
    raise ValueError("could not find the module that owns the vision tower")


def make_stateful(model: nn.Module, config: SVEConfig | None = None) -> nn.Module:
    """Make `model`'s vision tower stateful in place and return it.

    Raises `UnsupportedModelError` for an unknown family and `SVEConfigError` for layers out of range."""
    config = config or SVEConfig()
    if getattr(model, "sve", None) is not None:
        raise SVEConfigError("this model is already stateful; call remove_stateful(model) first")
    adapter = adapter_for(model)
    tower = adapter.vision_tower(model)
    blocks = adapter.blocks(tower)
    layers = list(range(len(blocks))) if config.layers is None else config.layers
    bad = [i for i in layers if not 0 <= i < len(blocks)]
    if bad:
        raise SVEConfigError(f"SVEConfig.layers {bad} out of range: this vision tower has {len(blocks)} layers")
    state = SVEState()
    names = {id(m): n for n, m in model.named_modules()}
    handle = SVEHandle(config=config, adapter=adapter, state=state, targeted_module_names=[])
    if config.variant != "stateless":
        owner = _owner_of(model, tower)
        for i in layers:
            block = blocks[i]
            sve = VARIANT_MODULES[config.variant](adapter.host_parts(block), config)
            make_block_stateful(block, sve, BlockRuntime(i, adapter, state, config.stop_gradient))
            handle.targeted_module_names.append(names[id(block)])
        handle.hooks = [
            owner.register_forward_pre_hook(_announce_images(handle), with_kwargs=True),
            owner.register_forward_hook(_clear(handle, "image_runs"), always_call=True),
            tower.register_forward_pre_hook(_plan_layout(handle), with_kwargs=True),
            tower.register_forward_hook(_clear(handle, "layout"), always_call=True),
        ]
        _announce_in_generate(model, handle)
    else:
        handle.targeted_module_names = [names[id(blocks[i])] for i in layers]
    model.sve = handle
    model.config.sve = config.to_dict()
    return model


def remove_stateful(model: nn.Module) -> nn.Module:
    """Remove the injected variant (and its weights), leaving the original model."""
    handle: SVEHandle | None = getattr(model, "sve", None)
    if handle is None:
        return model
    for hook in handle.hooks:
        hook.remove()
    for block in handle.adapter.blocks(handle.adapter.vision_tower(model)):
        restore_block(block)
    del model.sve
    if "generate" in vars(model):
        del model.generate
    if hasattr(model.config, "sve"):
        del model.config.sve
    return model


@contextlib.contextmanager
def image_sequences(model: nn.Module, samples: list[list[int]],
                    units_per_image: list[int] | None = None) -> Iterator[None]:
    """Explicit grouping for callers who need one: image indices of each sample, oldest first.

    An image is one tower unit (a ``grid_thw`` row, a batch row) unless `units_per_image` says how many
    consecutive units each image spans (InternVL's tiles: the image processor's ``num_patches``; Gemma-3's
    pan-and-scan: ``num_crops + 1``). Example: ``with image_sequences(model, [[0, 1], [2, 3, 4]]):
    model.visual(pixels, grid_thw=grid)``."""
    state = model.sve.state
    previous = state.override, state.units_per_image
    state.override, state.units_per_image = samples, units_per_image
    try:
        yield
    finally:
        state.override, state.units_per_image = previous


def _announce_images(handle: SVEHandle):
    def hook(module: nn.Module, args: tuple, kwargs: dict[str, Any]) -> None:
        input_ids = kwargs.get("input_ids", args[0] if args else None)
        if isinstance(input_ids, torch.Tensor) and input_ids.dim() == 2:
            handle.state.image_runs = image_runs(input_ids, handle.adapter.image_token_id())
        else:
            handle.state.image_runs = None  # e.g. inputs_embeds only: the tower call falls back to one sequence
    return hook


def _announce_in_generate(model: nn.Module, handle: SVEHandle) -> None:
    """`generate()` encodes images before its first forward (``mm_encoder_outputs``), outside the hooked
    module, so it announces the placeholder runs of its `input_ids` itself."""
    original = model.generate

    @functools.wraps(original)
    def generate(*args: Any, **kwargs: Any) -> Any:
        input_ids = kwargs.get("input_ids", args[0] if args else None)
        if isinstance(input_ids, torch.Tensor) and input_ids.dim() == 2:
            handle.state.image_runs = image_runs(input_ids, handle.adapter.image_token_id())
        try:
            return original(*args, **kwargs)
        finally:
            handle.state.image_runs = None

    model.generate = generate


def _plan_layout(handle: SVEHandle):
    def hook(tower: nn.Module, args: tuple, kwargs: dict[str, Any]) -> None:
        state = handle.state
        vision_tokens, llm_tokens = handle.adapter.units(tower, args, kwargs)
        device = next(tower.parameters()).device
        if state.session is not None:
            image_units = units_of_images(len(vision_tokens), state.units_per_image)
            preds = [i - 1 for i in range(len(image_units))]
            if state.session.empty:
                preds[0] = 0
            prefix = 0 if state.session.empty else next(iter(state.session.tokens.values())).shape[0]
        else:
            prefix = 0
            if state.override is not None:
                image_units = units_of_images(len(vision_tokens), state.units_per_image)
                samples = state.override
            elif state.image_runs is not None and sum(map(sum, state.image_runs)) == sum(llm_tokens):
                image_units, samples = group_units(llm_tokens, state.image_runs)
            elif state.image_runs is not None:  # not the images announced (e.g. video frames): stateless
                image_units = [[u] for u in range(len(vision_tokens))]
                samples = [[u] for u in range(len(vision_tokens))]
            else:
                if len(vision_tokens) > 1:
                    warnings.warn("vision tower called without input_ids: treating all images as one sequence "
                                  "(use sve_core.image_sequences to say otherwise)", stacklevel=2)
                image_units = [[u] for u in range(len(vision_tokens))]
                samples = [list(range(len(vision_tokens)))]
            preds = predecessors(samples, len(image_units))
        spans, start = [], 0
        for units in image_units:
            length = sum(vision_tokens[u] for u in units)
            spans.append((start, length))
            start += length
        state.layout = Layout(spans=spans, predecessors=preds, prefix=prefix, device=device)
        state.keep_last = spans[-1][1]
    return hook


def _clear(handle: SVEHandle, field_name: str):
    def hook(module: nn.Module, args: tuple, output: Any) -> None:
        setattr(handle.state, field_name, None)
    return hook
