"""Finding a vision tower's transformer blocks and their parts from the model itself, for the generic adapter.

Discovery reads ``config.vision_config`` (the tower is the outermost module carrying it), takes the tower's only
``ModuleList`` of ``num_hidden_layers`` same-class blocks, and names a block's attention, MLP and two norms from
the names transformers uses. It then *proves* what it found: one block, called on random tokens, must equal
``h = x + attn(norm1(x)); h + mlp(norm2(h))`` built from the parts, so a post-norm block, LayerScale, rotary
positions or any extra branch is refused instead of silently mis-injected. Every failure names the
`VisionSpec` field to declare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from sve_core.families.base import QKV, HostParts
from sve_core.families.vision_spec import VisionSpec

ATTENTION_NAMES = ("self_attn", "attn", "attention")
MLP_NAMES = ("mlp", "ffn", "feed_forward")
NORM_PAIRS = (("layer_norm1", "layer_norm2"), ("norm1", "norm2"), ("layernorm_before", "layernorm_after"),
              ("input_layernorm", "post_attention_layernorm"), ("ln_1", "ln_2"))
SEPARATE_QKV = (("q_proj", "k_proj", "v_proj"), ("query", "key", "value"))
FUSED_QKV = ("qkv", "qkv_proj")
OUT_NAMES = ("out_proj", "o_proj", "proj", "dense")


class DiscoveryError(ValueError):
    """The generic adapter could not find (or verify) part of the vision tower; the message names the
    `VisionSpec` field to declare."""


@dataclass
class Discovered:
    """Where everything is, as dotted module names, and which facts were declared rather than found."""

    tower: str
    blocks: str
    count: int
    block_class: str
    attention: str
    qkv: tuple[str, ...]  # three names (separate) or one (fused), inside the attention module
    out: str
    mlp: str
    norms: tuple[str, str]
    num_heads: int
    image_token_id: int
    declared: list[str] = field(default_factory=list)

    def describe(self) -> str:
        def mark(name: str) -> str:
            return "declared" if name in self.declared else "discovered"

        rows = [("tower", self.tower), ("blocks", f"{self.tower}.{self.blocks} ({self.count} x {self.block_class})"),
                ("attention", f"{self.attention} (q/k/v: {', '.join(self.qkv)}; out: {self.out}; "
                              f"{self.num_heads} heads)"),
                ("mlp", self.mlp), ("norms", " / ".join(self.norms)), ("image_token_id", str(self.image_token_id))]
        return "\n".join(f"  {name:<15} {value}  [{mark(name)}]" for name, value in rows)


def _child(module: nn.Module, path: str, what: str, field_name: str) -> nn.Module:
    try:
        return module.get_submodule(path)
    except AttributeError as err:
        raise DiscoveryError(f"{what}: {type(module).__name__} has no submodule {path!r}; "
                             f"check VisionSpec.{field_name}") from err


def _one(module: nn.Module, names: tuple[str, ...], what: str, field_name: str) -> str:
    found = [n for n in names if isinstance(getattr(module, n, None), nn.Module)]
    if len(found) != 1:
        children = ", ".join(n for n, _ in module.named_children())
        seen = "none of " + "/".join(names) if not found else "several: " + ", ".join(found)
        raise DiscoveryError(f"could not tell the {what} of {type(module).__name__} (children: {children}; "
                             f"found {seen}): declare VisionSpec({field_name}=...)")
    return found[0]


def find_tower(model: nn.Module, spec: VisionSpec) -> str:
    if spec.tower is not None:
        _child(model, spec.tower, "tower", "tower")
        return spec.tower
    vision_config = getattr(model.config, "vision_config", None)
    if vision_config is None:
        raise DiscoveryError(f"{type(model.config).__name__} has no vision_config, so there is no vision tower to "
                             "find: declare VisionSpec(tower=...) (the module called with pixel_values)")
    for name, module in model.named_modules():  # outermost first
        if name and getattr(module, "config", None) is vision_config:
            return name
    raise DiscoveryError(f"no module of {type(model).__name__} carries config.vision_config: "
                         "declare VisionSpec(tower=...)")


def find_blocks(tower: nn.Module, spec: VisionSpec, depth: int | None) -> str:
    if spec.blocks is not None:
        if not isinstance(_child(tower, spec.blocks, "blocks", "blocks"), nn.ModuleList):
            raise DiscoveryError(f"VisionSpec.blocks={spec.blocks!r} is not a ModuleList")
        return spec.blocks
    lists = [(name, m) for name, m in tower.named_modules() if isinstance(m, nn.ModuleList) and len(m) > 0
             and len({type(b) for b in m}) == 1 and (depth is None or len(m) == depth)]
    if len(lists) != 1:
        seen = ", ".join(f"{n} ({len(m)})" for n, m in lists) or "none"
        raise DiscoveryError(f"could not tell the transformer blocks of {type(tower).__name__} (lists of "
                             f"{depth} same-class blocks: {seen}): declare VisionSpec(blocks=...)")
    return lists[0][0]


def host_parts(block: nn.Module, found: Discovered) -> HostParts:
    attn = block.get_submodule(found.attention)
    projections = [attn.get_submodule(n) for n in found.qkv]
    qkv = QKV.fused(projections[0]) if len(projections) == 1 else QKV.separate(*projections)
    return HostParts(norm1=block.get_submodule(found.norms[0]), norm2=block.get_submodule(found.norms[1]), qkv=qkv,
                     out=attn.get_submodule(found.out), mlp=block.get_submodule(found.mlp), num_heads=found.num_heads)


def call_attention(attn: nn.Module, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    out = attn(hidden_states=hidden, attention_mask=mask)
    return out[0] if isinstance(out, tuple) else out


def discover(model: nn.Module, spec: VisionSpec) -> Discovered:
    declared = [name for name, value in vars(spec).items() if value is not None]
    tower_name = find_tower(model, spec)
    tower = model.get_submodule(tower_name)
    depth = getattr(getattr(tower, "config", None), "num_hidden_layers", None)
    blocks_name = find_blocks(tower, spec, depth)
    blocks = tower.get_submodule(blocks_name)
    block = blocks[0]
    attention = spec.attention or _one(block, ATTENTION_NAMES, "attention", "attention")
    attn = _child(block, attention, "attention", "attention")
    mlp = spec.mlp or _one(block, MLP_NAMES, "MLP", "mlp")
    _child(block, mlp, "mlp", "mlp")
    norms = spec.norms or _norms(block)
    for norm in norms:
        _child(block, norm, "norms", "norms")
    qkv = next((names for names in SEPARATE_QKV if all(isinstance(getattr(attn, n, None), nn.Linear) for n in names)),
               None) or (_one(attn, FUSED_QKV, "fused q/k/v projection", "attention"),)
    out = _one(attn, OUT_NAMES, "output projection", "attention")
    heads = getattr(attn, "num_heads", None) or getattr(tower.config, "num_attention_heads", None)
    if not heads:
        raise DiscoveryError(f"{type(attn).__name__} has no num_heads: declare VisionSpec(attention=...) naming "
                             "an attention module with num_heads")
    token = spec.image_token_id
    if token is None:
        token = next((getattr(model.config, n) for n in ("image_token_id", "image_token_index")
                      if getattr(model.config, n, None) is not None), None)
    if token is None:
        raise DiscoveryError(f"{type(model.config).__name__} has no image_token_id: declare "
                             "VisionSpec(image_token_id=...) (the placeholder token of an image in input_ids)")
    found = Discovered(tower_name, blocks_name, len(blocks), type(block).__name__, attention, qkv, out, mlp,
                       tuple(norms), int(heads), int(token), declared)
    _verify(block, found)
    return found


def _norms(block: nn.Module) -> tuple[str, str]:
    pairs = [p for p in NORM_PAIRS if all(isinstance(getattr(block, n, None), nn.Module) for n in p)]
    if len(pairs) != 1:
        children = ", ".join(n for n, _ in block.named_children())
        raise DiscoveryError(f"could not tell the two norms of {type(block).__name__} (children: {children}): "
                             "declare VisionSpec(norms=(pre_attention, pre_mlp))")
    return pairs[0]


def _verify(block: nn.Module, found: Discovered) -> None:
    """One block must be exactly the pre-norm composition of the parts SVE will clone and call."""
    parts = host_parts(block, found)
    weight = parts.qkv.weights[0]
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(1, 4, parts.width, generator=generator).to(weight.device, weight.dtype)
    training = block.training
    block.eval()
    try:
        with torch.no_grad():
            out = block(x, None)
            out = out[0] if isinstance(out, tuple) else out
            h = x + call_attention(block.get_submodule(found.attention), parts.norm1(x), None)
            expected = h + parts.mlp(parts.norm2(h))
    except (TypeError, RuntimeError, ValueError) as err:
        raise DiscoveryError(f"{found.block_class}(hidden_states, attention_mask) failed ({err}): its blocks need "
                             "more than hidden states (e.g. rotary positions), which the generic adapter does not "
                             "handle; write a family adapter (docs/ADD_A_MODEL.md)") from err
    finally:
        block.train(training)
    tolerance = (1e-4 if weight.dtype == torch.float32 else 5e-2) * (1 + expected.abs().max().item())
    if (out - expected).abs().max().item() > tolerance:
        raise DiscoveryError(f"{found.block_class} is not x + attn(norm1(x)), then + mlp(norm2(.)) with "
                             f"attention={found.attention!r}, mlp={found.mlp!r}, norms={found.norms}: declare the "
                             "right VisionSpec(attention=, mlp=, norms=), or write a family adapter for a block "
                             "with other branches (post-norm, LayerScale, ...; docs/ADD_A_MODEL.md)")


def block_mask(block_args: tuple, block_kwargs: dict[str, Any]) -> torch.Tensor | None:
    return block_kwargs.get("attention_mask", block_args[0] if block_args else None)
