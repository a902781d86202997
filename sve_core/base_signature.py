"""Which base model an SVE adapter belongs to, checked by its weights rather than its name.

An adapter only makes sense on the vision weights it was trained with; a local copy of the same base has another
name, a different checkpoint of the same family has the same shapes. So ``sve_config.json`` keeps a few values of
the first stateful block's query projection, compared with a tolerance that survives a float32/bfloat16 reload.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

SAMPLES = 16


def base_signature(model: nn.Module) -> dict[str, Any]:
    handle = model.sve
    blocks = handle.adapter.blocks(handle.adapter.vision_tower(model))
    layer = handle.config.layers[0] if handle.config.layers else 0
    weight = handle.adapter.host_parts(blocks[layer]).qkv.weights[0].detach()
    flat = weight.reshape(-1)
    index = torch.linspace(0, flat.numel() - 1, SAMPLES, device=flat.device).long()
    return {"layer": layer, "shape": list(weight.shape), "values": flat[index].float().cpu().tolist()}


def same_base(saved: dict[str, Any], model: nn.Module) -> bool:
    current = base_signature(model)
    if saved.get("layer") != current["layer"] or saved.get("shape") != current["shape"]:
        return False
    return torch.allclose(torch.tensor(saved["values"]), torch.tensor(current["values"]), rtol=2e-2, atol=1e-3)
