"""The six SVE variants of REFERENCE §1 as modules that wrap one host block's computation.

Every variant sees the layer input of all images ``x (T, D)`` plus a `StepContext` (where each image's tokens
and its previous image's tokens are), and a ``host(x)`` callable that runs the untouched host block.
Cloned weights come from the host (`HostParts`); output projections start at zero (or tiny normal), so the
cross variants are exact no-ops at init.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from sve_core.attention import gather, key_dissimilarity, multihead_attention
from sve_core.config import SVEConfig
from sve_core.families.base import HostParts
from sve_core.layout import Layout

Host = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class StepContext:
    """One layer of one tower call."""

    layout: Layout
    bank: torch.Tensor  # (prefix + T, D): cached previous-image tokens, then the layer input
    rotary: tuple[torch.Tensor, torch.Tensor] | None  # (cos, sin) over the bank, or None
    stop_gradient: bool
    host_attention: Callable[[torch.Tensor], torch.Tensor]  # host attention on normalised (T, D) input
    record: list[torch.Tensor] | None = None  # receives (I, N) change maps when probing (heatmaps)
    groups: torch.Tensor | None = None  # (T,) the host's attention group of each layer-input token (windows, tiles)

    def previous_tokens(self, index: torch.Tensor) -> torch.Tensor:
        """Gathered key/value source tokens; detached unless the image reads itself (Z1 fallback)."""
        tokens = gather(self.bank, index)
        if not self.stop_gradient:
            return tokens
        live = self.layout.live[:, None, None]
        return torch.where(live, tokens, tokens.detach())

    def rotary_at(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        if self.rotary is None:
            return None
        return gather(self.rotary[0], index), gather(self.rotary[1], index)


def init_output(linear: nn.Linear, std: float) -> None:
    """Zero (exact no-op) or tiny-normal init of an output projection; its bias always starts at zero."""
    with torch.no_grad():
        if std == 0.0:
            linear.weight.zero_()
        else:
            linear.weight.normal_(0.0, std)
        if linear.bias is not None:
            linear.bias.zero_()


def output_linear(mlp: nn.Module) -> nn.Linear:
    """The last projection of a host MLP (fc2 / linear_fc2 / down_proj)."""
    for name in ("fc2", "linear_fc2", "down_proj"):
        layer = getattr(mlp, name, None)
        if isinstance(layer, nn.Linear):
            return layer
    raise ValueError(f"cannot find the output projection of {type(mlp).__name__}")


def scatter_back(out: torch.Tensor, layout: Layout) -> torch.Tensor:
    """(I, Nq, D) padded per-image rows -> (T, D) in token order."""
    return out.reshape(-1, out.shape[-1]) if layout.uniform else out[layout.q_valid]


class CrossAttention(nn.Module):
    """Attn(Q = LN_q(x), K,V = LN_kv(stopgrad(prev))) -> W_O, weights cloned from the host's self-attention."""

    def __init__(self, parts: HostParts, *, init_std: float, read_self: bool) -> None:
        super().__init__()
        self.read_self = read_self  # self_ffn: keys/values from the current image itself
        self.heads = parts.num_heads
        self.norm_q = copy.deepcopy(parts.norm1)
        self.norm_kv = copy.deepcopy(parts.norm1)
        self.q, self.k, self.v = parts.qkv.clones()
        self.q_norm = copy.deepcopy(parts.q_norm) if parts.q_norm is not None else None
        self.k_norm = copy.deepcopy(parts.k_norm) if parts.k_norm is not None else None
        width = self.q.out_features
        self.out = nn.Linear(width, width, device=self.q.weight.device, dtype=self.q.weight.dtype)
        init_output(self.out, init_std)

    def forward(self, x: torch.Tensor, ctx: StepContext) -> torch.Tensor:
        layout = ctx.layout
        q_index = layout.q_index
        kv_index, kv_valid = (q_index, layout.q_valid) if self.read_self else (layout.kv_index, layout.kv_valid)
        current = gather(ctx.bank, q_index)  # (I, Nq, D)
        previous = current if self.read_self else ctx.previous_tokens(kv_index)  # (I, Nk, D)
        q = self.q(self.norm_q(current))
        prev = self.norm_kv(previous)
        k, v = self.k(prev), self.v(prev)
        if self.q_norm is not None and self.k_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        out = multihead_attention(
            q, k, v, heads=self.heads, key_valid=None if layout.uniform else kv_valid,
            rotary_q=ctx.rotary_at(q_index), rotary_k=ctx.rotary_at(kv_index),
        )
        if ctx.record is not None and layout.uniform and not self.read_self:
            ctx.record.append(key_dissimilarity(self.k(self.norm_kv(current)), k).detach())
        return scatter_back(self.out(out), layout)


class FeedForward(nn.Module):
    """x -> W2 act(W1 LN_2(x)): a copy of the host MLP (W1 cloned) whose output projection W2 starts at zero."""

    def __init__(self, parts: HostParts, *, init_std: float) -> None:
        super().__init__()
        self.norm = copy.deepcopy(parts.norm2)
        self.mlp = copy.deepcopy(parts.mlp)
        init_output(output_linear(self.mlp), init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.norm(x))


class Cross(nn.Module):
    def __init__(self, parts: HostParts, config: SVEConfig) -> None:
        super().__init__()
        self.attn = CrossAttention(parts, init_std=config.init_std, read_self=False)

    def forward(self, x: torch.Tensor, ctx: StepContext, host: Host) -> torch.Tensor:
        return host(x + self.attn(x, ctx))


class CrossFFN(nn.Module):
    read_self = False

    def __init__(self, parts: HostParts, config: SVEConfig) -> None:
        super().__init__()
        self.attn = CrossAttention(parts, init_std=config.init_std, read_self=self.read_self)
        self.ffn = FeedForward(parts, init_std=config.init_std)

    def forward(self, x: torch.Tensor, ctx: StepContext, host: Host) -> torch.Tensor:
        x = x + self.attn(x, ctx)
        return host(x + self.ffn(x))


class SelfFFN(CrossFFN):
    """Capacity-matched control: the Cross+FFN pathway with keys/values from the current image itself."""

    read_self = True


class AdaLNZero(nn.Module):
    """c = LN(mean-pool(stopgrad(prev))); (gamma, beta, alpha) x 2 = g(c) modulate the host's attention and MLP.

    Gates are (1 + alpha) so that g = 0 at init leaves the pretrained host block exactly as it was. The pooled
    condition is layer-normalised (no parameters): a vision tower's residual stream grows with depth, and Adam
    moves g's weights by about the learning rate per step whatever the input's scale, so an unnormalised c made
    the modulation blow up (NaN after ~100 steps of the full controlled study at SVE lr 3e-3)."""

    def __init__(self, parts: HostParts, config: SVEConfig) -> None:
        super().__init__()
        self.parts = [parts]  # a list, so the host modules are not registered (and saved) twice
        weight = parts.qkv.weights[0]
        self.modulation = nn.Linear(parts.width, 6 * parts.width, device=weight.device, dtype=weight.dtype)
        init_output(self.modulation, config.init_std)

    def forward(self, x: torch.Tensor, ctx: StepContext, host: Host) -> torch.Tensor:
        parts = self.parts[0]
        layout = ctx.layout
        previous = ctx.previous_tokens(layout.kv_index)  # (I, Nk, D)
        valid = layout.kv_valid.unsqueeze(-1).to(previous.dtype)
        pooled = F.layer_norm((previous * valid).sum(1) / valid.sum(1), (previous.shape[-1],))  # (I, D)
        mods = self.modulation(pooled)[layout.token_image()]  # (T, 6D)
        g1, b1, a1, g2, b2, a2 = mods.chunk(6, dim=-1)
        scale1 = 1.0 if parts.scale1 is None else parts.scale1
        scale2 = 1.0 if parts.scale2 is None else parts.scale2
        x = x + (1 + a1) * scale1 * ctx.host_attention(parts.norm1(x) * (1 + g1) + b1)
        return x + (1 + a2) * scale2 * parts.mlp(parts.norm2(x) * (1 + g2) + b2)


class SelfExt(nn.Module):
    """The host's own self-attention with keys/values [X; stopgrad(Y)]; no added parameters.

    A query keeps the own-image keys the host gives it (its window in Qwen2.5-VL's windowed blocks, its tile in
    InternVL) and gains the whole previous image. Not a no-op at init for images that have a predecessor (the
    softmax now spreads over more keys); for the first image [X; X] leaves attention unchanged when the host
    attends to the whole image."""

    def __init__(self, parts: HostParts, config: SVEConfig) -> None:
        super().__init__()
        self.parts = [parts]

    def forward(self, x: torch.Tensor, ctx: StepContext, host: Host) -> torch.Tensor:
        parts = self.parts[0]
        layout = ctx.layout
        own = gather(ctx.bank, layout.ext_index)
        detached = ctx.previous_tokens(layout.ext_index)
        tokens = torch.where(layout.ext_own.unsqueeze(-1), own, detached)  # own part live, previous part per rule
        normed = parts.norm1(tokens)
        q = parts.qkv.project(0, parts.norm1(gather(ctx.bank, layout.q_index)))
        k, v = parts.qkv.project(1, normed), parts.qkv.project(2, normed)
        if parts.q_norm is not None and parts.k_norm is not None:
            q, k = parts.q_norm(q), parts.k_norm(k)
        key_valid = layout.ext_valid  # (I, L)
        if ctx.groups is not None:  # own keys only within the query's host group; previous keys all
            groups = F.pad(ctx.groups, (layout.prefix, 0), value=-1)  # over the bank
            same = groups[layout.q_index][:, :, None] == groups[layout.ext_index][:, None, :]  # (I, Nq, L)
            key_valid = key_valid[:, None, :] & (same | ~layout.ext_own[:, None, :])
        out = multihead_attention(
            q, k, v, heads=parts.num_heads, key_valid=key_valid,
            rotary_q=ctx.rotary_at(layout.q_index), rotary_k=ctx.rotary_at(layout.ext_index),
        )
        attn = scatter_back(parts.out(out), layout)
        scale1 = 1.0 if parts.scale1 is None else parts.scale1
        scale2 = 1.0 if parts.scale2 is None else parts.scale2
        x = x + scale1 * attn
        return x + scale2 * parts.mlp(parts.norm2(x))


VARIANT_MODULES: dict[str, type[nn.Module]] = {
    "cross_ffn": CrossFFN, "cross": Cross, "self_ffn": SelfFFN, "adaln_zero": AdaLNZero, "self_ext": SelfExt,
}
