"""Qwen2.5-VL: as Qwen2-VL, with RMSNorm, a SwiGLU MLP and windowed attention in every block but
``fullatt_block_indexes``. The tower reorders tokens into window order *within* each image (and rotary
positions with them), so image spans stay contiguous, SVE's cross-attention always spans the whole previous
image whatever window the host block uses, and Self-Ext keeps each query's own window (from ``cu_seqlens``).
Only per-token maps need the window order undone to land on the patch grid."""

from __future__ import annotations

from typing import Any

import torch

from sve_core.compat import vision_window_index
from sve_core.families.qwen2_vl import Qwen2VLAdapter


class Qwen25VLAdapter(Qwen2VLAdapter):
    model_types = ("qwen2_5_vl",)

    def token_grid(self, values: torch.Tensor, inputs: dict[str, Any], image: int) -> torch.Tensor:
        vision = self.config.vision_config
        grid = inputs["image_grid_thw"][image : image + 1]
        order = vision_window_index(grid.cpu(), vision)
        groups = values[: int(grid.prod())].reshape(len(order), -1)  # (merge groups in window order, m*m)
        raster = torch.empty_like(groups)
        raster[order.to(groups.device)] = groups
        return super().token_grid(raster.reshape(-1), inputs, image)
