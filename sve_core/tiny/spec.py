"""`TinySpec`: the sizes every tiny family builder reads, and the small config pieces they share."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class TinySpec:
    """Sizes of a tiny model. The defaults make a sub-million-parameter model for unit tests."""

    vision_depth: int = 2
    vision_width: int = 32
    vision_heads: int = 2
    text_layers: int = 2
    text_width: int = 32
    text_heads: int = 2
    vocab_size: int = 400
    image_size: int = 56  # square images are resized to about image_size x image_size pixels (whole patches)
    patch_size: int | None = None  # pixels per vision patch side; None: the family's own (tiny Qwen2-VL only)
    merge_size: int = 2  # patches per side merged into one language-model token (tiny Qwen2-VL only)
    split_digits: bool = False  # one token per digit (the hub Qwen tokenizers' rule); False: BPE merges digits
    seed: int = 0

    @property
    def text_head_dim(self) -> int:
        return self.text_width // self.text_heads


def text_config(spec: TinySpec, vocab: int, **extra: object) -> dict:
    """Decoder sizes shared by every family's language model (grouped-query attention with one KV head)."""
    return dict(vocab_size=vocab, hidden_size=spec.text_width, intermediate_size=spec.text_width * 4,
                num_hidden_layers=spec.text_layers, num_attention_heads=spec.text_heads, num_key_value_heads=1,
                head_dim=spec.text_head_dim, max_position_embeddings=2048, **extra)


def experts(spec: TinySpec) -> dict:
    """Sparse-expert decoder MLPs (the MoE families): 4 experts of the decoder's width, 2 routed per token."""
    return dict(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=spec.text_width)


def mrope(rotary_dim: int, **extra: object) -> dict:
    """Multimodal RoPE over `rotary_dim` channels: sections (t, h, w) summing to rotary_dim / 2, in Qwen's
    roughly 1:1.5:1.5 proportions."""
    half = rotary_dim // 2
    spatial = max(1, half * 3 // 8)
    return {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [half - 2 * spatial, spatial, spatial],
            **extra}


def randomize(*parameters: nn.Parameter, std: float = 0.02) -> None:
    """Give parameters that a family zero-initialises for pretraining (Gemma-3's projector, InternViT's position
    embeddings and CLS token) random values, so a tiny model's images reach its language model and carry
    position, as in a pretrained checkpoint."""
    with torch.no_grad():
        for parameter in parameters:
            parameter.normal_(0.0, std)
