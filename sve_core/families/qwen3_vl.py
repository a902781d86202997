"""Qwen3-VL and Qwen3.5: as Qwen2-VL (LayerNorm, linear_fc1/linear_fc2 MLP, learned + rotary positions).
Qwen3-VL's DeepStack taps read block outputs, which are the stateful outputs, so they keep working."""

from __future__ import annotations

from sve_core.families.qwen2_vl import Qwen2VLAdapter


class Qwen3VLAdapter(Qwen2VLAdapter):
    model_types = ("qwen3_vl", "qwen3_vl_moe", "qwen3_5", "qwen3_5_moe")
