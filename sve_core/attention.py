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
) -> torch.Tensor:
    """q (I, Nq, D), k/v (I, Nk, D) -> output (I, Nq, D). `key_valid` is (I, Nk), or (I, Nq, Nk) when the
    queries of one image see different keys."""
    q = rearrange(q, "i n (h d) -> i n h d", h=heads)
    k = rearrange(k, "i n (h d) -> i n h d", h=heads)
    v = rearrange(v, "i n (h d) -> i h n d", h=heads)
    if rotary_q is not None and rotary_k is not None:
        q = apply_rotary(q, *rotary_q)
        k = apply_rotary(k, *rotary_k)
    q, k = q.transpose(1, 2), k.transpose(1, 2)  # (I, H, N, hd)
    mask = None if key_valid is None else key_valid[:, None, None, :] if key_valid.dim() == 2 else key_valid[:, None]
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return rearrange(out, "i h n d -> i n (h d)")


def gather(bank: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """bank (T, ...) and index (I, L) -> (I, L, ...)."""
    return bank[index]


def key_dissimilarity(current_keys: torch.Tensor, previous_keys: torch.Tensor) -> torch.Tensor:
    """(1 - cosine) / 2 between each current token and the previous image's token at the same position, both
    seen through the SVE key projection: (I, N) in [0, 1]. Unchanged content maps to the same key; changed
    content does not. Only defined for aligned grids (equal token counts)."""
    cos = torch.nn.functional.cosine_similarity(current_keys.float(), previous_keys.float(), dim=-1)
    return (1.0 - cos) / 2.0
