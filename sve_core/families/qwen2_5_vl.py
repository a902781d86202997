"""Qwen2.5-VL: as Qwen2-VL, with RMSNorm, a SwiGLU MLP and windowed attention in most blocks. Tokens are
reordered into window order *within* each image, so image spans stay contiguous, and SVE's cross-attention
always spans the whole previous image whatever window the host block uses."""

from __future__ import annotations

from sve_core.families.qwen2_vl import Qwen2VLAdapter


class Qwen25VLAdapter(Qwen2VLAdapter):
    model_types = ("qwen2_5_vl",)
