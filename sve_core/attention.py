"""Batched multi-head attention over gathered token sets, with per-token rotary positions.

Queries and keys are gathered from the token bank with `Layout` indices, so every image attends to its own key
set in one SDPA call: (I, H, Nq, hd) x (I, H, Nk, hd). Rotary positions travel with the tokens they belong to:
queries keep the current image's positions and keys the previous image's (REFERENCE §1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    first, second = x.chunk(2, dim=-1)
    return torch.cat((-second, first), dim=-1)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x (I, N, H, hd); cos/sin (I, N, hd) gathered for the same tokens. Computed in fp32 like the hosts."""
    cos, sin = cos.unsqueeze(-2).float(), sin.unsqueeze(-2).float()
    xf = x.float()
    return (xf * cos + rotate_half(xf) * sin).to(x.dtype)


def multihead_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, heads: int, key_valid: torch.Tensor | None,
    rotary_q: tuple[torch.Tensor, torch.Tensor] | None = None,
    rotary_k: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """q (I, Nq, D), k/v (I, Nk, D) -> output (I, Nq, D), plus the rotated per-head q and k (for probes)."""
    q = rearrange(q, "i n (h d) -> i n h d", h=heads)
    k = rearrange(k, "i n (h d) -> i n h d", h=heads)
    v = rearrange(v, "i n (h d) -> i h n d", h=heads)
    if rotary_q is not None and rotary_k is not None:
        q = apply_rotary(q, *rotary_q)
        k = apply_rotary(k, *rotary_k)
    q, k = q.transpose(1, 2), k.transpose(1, 2)  # (I, H, N, hd)
    mask = None if key_valid is None else key_valid[:, None, None, :]
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return rearrange(out, "i h n d -> i n (h d)"), q, k


def gather(bank: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """bank (T, ...) and index (I, L) -> (I, L, ...)."""
    return bank[index]


def diagonal_attention(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Probability each query puts on the key at its own position, averaged over heads: (I, N).

    A token whose content is unchanged finds itself in the previous image (high); a changed one does not.
    Only defined when query and key sets have equal length (aligned grids)."""
    scale = q.shape[-1] ** -0.5
    logits = torch.einsum("ihqd,ihkd->ihqk", q.float(), k.float()) * scale
    diag = torch.diagonal(logits, dim1=-2, dim2=-1)
    return (diag - torch.logsumexp(logits, dim=-1)).exp().mean(dim=1)
