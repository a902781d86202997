"""GLM-4.1V (`glm4v`) and GLM-4.6V (`glm46v`, same vision model under its own wrapper classes): fused qkv (bias
per config), RMSNorm, SwiGLU MLP, 2D RoPE plus resampled learned positions, a flat token sequence as Qwen2-VL;
the tower ends in a conv downsample of 2x2 patches, so each language-model token is again one merge group."""

from __future__ import annotations

from sve_core.families.qwen2_vl import Qwen2VLAdapter


class Glm4VAdapter(Qwen2VLAdapter):
    model_types = ("glm4v", "glm46v", "glm4v_moe")
