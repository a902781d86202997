"""Making one host vision block stateful without renaming anything.

The block keeps its class (a same-named subclass is swapped in), its parameters and their names; the variant
is added as the child module ``sve``. So a fully finetuned model's checkpoint still loads host weights under
their usual keys, FSDP's per-block wrapping still finds the block class by name, and the host's own forward
runs untouched inside. With no layout announced (e.g. a bare call of the block) it is exactly the host block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from sve_core.families.base import FamilyAdapter
from sve_core.layout import Layout
from sve_core.state import SVEState
from sve_core.variants import StepContext


@dataclass
class BlockRuntime:
    """Non-parameter settings of one stateful block (kept off the module tree so they are not saved)."""

    layer: int
    adapter: FamilyAdapter
    state: SVEState
    stop_gradient: bool
    hook: Any = None  # the pre-hook handle that hands the layout to `forward`


class StatefulBlockMixin:
    """Mixed in front of the host block class; `forward` runs the SVE variant around the host forward."""

    sve: nn.Module
    sve_runtime: BlockRuntime

    def forward(self, hidden_states: torch.Tensor, *args: Any, sve_layout: Layout | None = None,
                **kwargs: Any) -> torch.Tensor:
        runtime = self.sve_runtime
        state = runtime.state
        host_forward = super().forward  # the host block class's own forward
        if sve_layout is None:
            return host_forward(hidden_states, *args, **kwargs)
        shape = hidden_states.shape
        x = hidden_states.reshape(-1, shape[-1])  # (T, D) for both layouts
        rotary = runtime.adapter.rotary(args, kwargs)
        bank, bank_rotary = x, rotary
        cache = state.session
        if cache is not None and sve_layout.prefix > 0:
            bank = torch.cat([cache.tokens[runtime.layer].to(x.dtype), x])
            if rotary is not None:
                cos, sin = cache.rotary[runtime.layer]
                bank_rotary = (torch.cat([cos, rotary[0]]), torch.cat([sin, rotary[1]]))
        state.remember(runtime.layer, x, rotary)

        def host(y: torch.Tensor) -> torch.Tensor:
            return host_forward(y.reshape(shape), *args, **kwargs).reshape(-1, shape[-1])

        def host_attention(y: torch.Tensor) -> torch.Tensor:
            out = runtime.adapter.run_host_attention(self, y.reshape(shape), args, kwargs)
            return out.reshape(-1, shape[-1])

        ctx = StepContext(
            layout=sve_layout, bank=bank, rotary=bank_rotary, stop_gradient=runtime.stop_gradient,
            host_attention=host_attention,
            record=None if state.probe is None else state.probe.setdefault(runtime.layer, []),
            groups=runtime.adapter.attention_groups(hidden_states, args, kwargs),
        )
        return self.sve(x, ctx, host).reshape(shape)


_STATEFUL_CLASSES: dict[type, type] = {}


def make_block_stateful(block: nn.Module, sve: nn.Module, runtime: BlockRuntime) -> None:
    host_class = type(block)
    if isinstance(block, StatefulBlockMixin):
        raise ValueError(f"{host_class.__name__} is already stateful; call remove_stateful() first")
    if host_class not in _STATEFUL_CLASSES:
        _STATEFUL_CLASSES[host_class] = type(
            host_class.__name__, (StatefulBlockMixin, host_class), {"__module__": host_class.__module__}
        )
    block.__class__ = _STATEFUL_CLASSES[host_class]
    block.sve = sve
    block.sve_runtime = runtime
    runtime.hook = block.register_forward_pre_hook(_pass_layout, with_kwargs=True)


def _pass_layout(block: nn.Module, args: tuple, kwargs: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
    """The layout travels as a keyword argument, so gradient checkpointing (which wraps `forward`, inside the
    module hooks) replays the backward recompute with the same layout after the tower call has finished."""
    return args, {**kwargs, "sve_layout": block.sve_runtime.state.layout}


def restore_block(block: nn.Module) -> None:
    """Undo `make_block_stateful` (the added weights are dropped)."""
    if isinstance(block, StatefulBlockMixin):
        block.sve_runtime.hook.remove()
        del block.sve
        del block.sve_runtime
        block.__class__ = type(block).__mro__[2]
