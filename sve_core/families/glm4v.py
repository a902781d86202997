"""GLM-4V / GLM-4.6V: fused qkv (bias per config), RMSNorm, SwiGLU MLP, 2D RoPE, flat token sequence."""

from __future__ import annotations

from sve_core.families.qwen2_vl import Qwen2VLAdapter


class Glm4VAdapter(Qwen2VLAdapter):
    model_types = ("glm4v", "glm46v", "glm4v_moe")
