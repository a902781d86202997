"""Training memory of SVE at real size, per family: parameters SVE adds, and peak memory of one 2-image sample
with and without gradient checkpointing, for full finetuning (the paper's recipe) and for SVE weights only.

Method (no GPU, no download; an estimate, stated as such):
- Parameters: the real-size model is built on the meta device from its hub config (the dims in `FAMILIES`,
  copied from each checkpoint's config.json) and made stateful (cross_ffn in every layer); counts are exact.
- Static memory, as `sve train` holds it: fp32 master weights (4 B/param), and for trainable parameters an fp32
  gradient and AdamW's two fp32 moments (12 B/param more).
- Activations: the bytes autograd saves for backward during the forward (``saved_tensors_hooks``; parameters
  excluded), measured on CPU in fp32 with the real widths, image sizes and vocabulary, at vision/text depths
  (1, 1), (2, 1) and (1, 2), then scaled linearly to the real depths (each block saves the same). Measured for
  full finetuning and used for SVE-only training too (an upper bound there: frozen weights save less). fp32 makes
  this an upper bound: under bf16 autocast (`sve train` on a GPU) matmul inputs are saved in half the bytes,
  while autocast's bf16 weight copies add 2 B per trainable parameter. With gradient checkpointing each block
  keeps only its fp32 input, plus one block's saved tensors while it is recomputed.
- Peak ~ static + activations; the backward's transient gradient buffers are not counted.
Run: ``python benchmarks/sve_memory.py`` (a few minutes per family on 2 CPU cores, up to ~6 GB RAM) or
``--family qwen3_vl``.
"""

from __future__ import annotations

import argparse
import copy
import json
from dataclasses import dataclass, field

import torch
import transformers
from torch import nn

from sve_core import SVEConfig, make_stateful

GIB = 1024 ** 3


@dataclass
class RealSize:
    """One family at its 4B-class size: the hub checkpoint, its config class, dims and a 2-image sample."""

    checkpoint: str
    config_class: str
    config: dict
    image_side: int  # pixels of each square image (the processor's default resize)
    vision_depth_key: str = "depth"
    extra: dict = field(default_factory=dict)  # per-depth fixes (indexes that must stay inside the tower)


MROPE = {"rope_type": "default", "rope_theta": 1e6, "mrope_section": [24, 20, 20]}
QWEN_TEXT = dict(vocab_size=151936, rope_parameters=MROPE, max_position_embeddings=32768)
FAMILIES: dict[str, RealSize] = {
    "qwen2_vl": RealSize("Qwen/Qwen2-VL-2B-Instruct", "Qwen2VLConfig", dict(
        text_config=dict(QWEN_TEXT, hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
                         num_attention_heads=12, num_key_value_heads=2, tie_word_embeddings=True,
                         rope_parameters=dict(MROPE, mrope_section=[16, 24, 24])),
        vision_config=dict(depth=32, embed_dim=1280, hidden_size=1536, num_heads=16, mlp_ratio=4, patch_size=14),
        tie_word_embeddings=True),
        image_side=448),
    "qwen2_5_vl": RealSize("Qwen/Qwen2.5-VL-3B-Instruct", "Qwen2_5_VLConfig", dict(
        text_config=dict(QWEN_TEXT, hidden_size=2048, intermediate_size=11008, num_hidden_layers=36,
                         num_attention_heads=16, num_key_value_heads=2, tie_word_embeddings=True,
                         rope_parameters=dict(MROPE, mrope_section=[16, 24, 24])),
        vision_config=dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, out_hidden_size=2048,
                           patch_size=14, window_size=112, fullatt_block_indexes=[7, 15, 23, 31]),
        tie_word_embeddings=True),
        image_side=448, extra={"fullatt_block_indexes": [0]}),
    "qwen3_vl": RealSize("Qwen/Qwen3-VL-4B-Instruct", "Qwen3VLConfig", dict(
        text_config=dict(QWEN_TEXT, hidden_size=2560, intermediate_size=9728, num_hidden_layers=36,
                         num_attention_heads=32, num_key_value_heads=8, head_dim=128, tie_word_embeddings=True,
                         rope_parameters=dict(MROPE, mrope_interleaved=True)),
        vision_config=dict(depth=24, hidden_size=1024, intermediate_size=4096, num_heads=16, out_hidden_size=2560,
                           patch_size=16, num_position_embeddings=2304, deepstack_visual_indexes=[5, 11, 17]),
        tie_word_embeddings=True),
        image_side=448, extra={"deepstack_visual_indexes": [0]}),
    "internvl": RealSize("OpenGVLab/InternVL3_5-4B-HF", "InternVLConfig", dict(
        text_config=dict(model_type="qwen3", vocab_size=151936, hidden_size=2560, intermediate_size=9728,
                         num_hidden_layers=36, num_attention_heads=32, num_key_value_heads=8, head_dim=128,
                         tie_word_embeddings=True),
        vision_config=dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                           image_size=448, patch_size=14, layer_scale_init_value=0.1),
        downsample_ratio=0.5, image_seq_length=256, tie_word_embeddings=True), image_side=448, vision_depth_key="num_hidden_layers"),
    "gemma3": RealSize("google/gemma-3-4b-it", "Gemma3Config", dict(
        text_config=dict(vocab_size=262208, hidden_size=2560, intermediate_size=10240, num_hidden_layers=34,
                         num_attention_heads=8, num_key_value_heads=4, head_dim=256, sliding_window=1024),
        vision_config=dict(model_type="siglip_vision_model", hidden_size=1152, intermediate_size=4304,
                           num_hidden_layers=27, num_attention_heads=16, image_size=896, patch_size=14,
                           vision_use_head=False),
        mm_tokens_per_image=256), image_side=896, vision_depth_key="num_hidden_layers"),
    "glm4v": RealSize("zai-org/GLM-4.1V-9B-Thinking (the smallest GLM-4V)", "Glm4vConfig", dict(
        text_config=dict(vocab_size=151552, hidden_size=4096, intermediate_size=13696, num_hidden_layers=40,
                         num_attention_heads=32, num_key_value_heads=2,
                         rope_parameters=dict(MROPE, mrope_section=[8, 12, 12], partial_rotary_factor=0.5)),
        vision_config=dict(depth=24, hidden_size=1536, intermediate_size=13696, num_heads=12, out_hidden_size=4096,
                           patch_size=14, image_size=336)), image_side=448),
}
TEXT_TOKENS = 96  # prompt and answer text around the two images


def config_of(size: RealSize, vision_depth: int | None = None, text_depth: int | None = None):
    data = copy.deepcopy(size.config)
    if vision_depth is not None:
        data["vision_config"][size.vision_depth_key] = vision_depth
        data["vision_config"].update(size.extra)
    if text_depth is not None:
        data["text_config"]["num_hidden_layers"] = text_depth
        data["text_config"].pop("layer_types", None)
    return getattr(transformers, size.config_class)(**data)


def build(config, *, materialize: bool) -> nn.Module:
    """The model on the meta device; with `materialize`, on the CPU with uninitialised weights (values do not
    change what autograd saves, and skipping the init of billions of weights saves minutes)."""
    from transformers import AutoModelForImageTextToText
    from transformers.initialization import no_init_weights

    if materialize:
        with no_init_weights():
            return AutoModelForImageTextToText.from_config(config)
    with torch.device("meta"):
        return AutoModelForImageTextToText.from_config(config)


def sample(model: nn.Module, size: RealSize) -> dict[str, torch.Tensor]:
    """A 2-image sample as the family's processor lays it out: pixels and one placeholder run per image."""
    config = model.config
    vision = config.vision_config
    image_token = config.image_token_id if getattr(config, "image_token_id", None) is not None \
        else config.image_token_index
    patch = vision.patch_size if isinstance(vision.patch_size, int) else vision.patch_size[0]
    side = size.image_side // patch
    if hasattr(vision, "spatial_merge_size"):  # flat families: patches of 2 frames, 2x2 merge groups
        t = vision.temporal_patch_size
        pixels = torch.randn(2 * side * side, 3 * t * patch * patch)
        extra = {"image_grid_thw": torch.tensor([[1, side, side]] * 2)}
        per_image = side * side // vision.spatial_merge_size ** 2
    else:
        pixels = torch.randn(2, 3, size.image_side, size.image_side)
        extra = {}
        per_image = getattr(config, "mm_tokens_per_image", None) or config.image_seq_length
    start = getattr(config, "vision_start_token_id", None) or getattr(config, "image_start_token_id", None)
    text = [11] * (TEXT_TOKENS // 4)
    ids = []
    for _ in range(2):
        ids += text + ([start] if start is not None else []) + [image_token] * per_image
    ids = torch.tensor([ids + [11] * (TEXT_TOKENS // 2)])
    types = (ids == image_token).long()  # which tokens are images (M-RoPE; Gemma-3's bidirectional image attention)
    extra["mm_token_type_ids" if "image_grid_thw" in extra else "token_type_ids"] = types
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "pixel_values": pixels, **extra}


def saved_bytes(size: RealSize, vision_depth: int, text_depth: int) -> tuple[int, int, int]:
    """(bytes autograd saves for backward, vision tokens, text tokens) of one full-finetuning forward."""
    torch.manual_seed(0)
    model = make_stateful(build(config_of(size, vision_depth, text_depth), materialize=True), SVEConfig()).train()
    inputs = sample(model, size)
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in weights:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    tokens = []
    first_block = model.sve.adapter.blocks(model.sve.adapter.vision_tower(model))[0]
    hook = first_block.register_forward_pre_hook(lambda m, a: tokens.append(a[0].numel() // a[0].shape[-1]))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(**inputs, labels=inputs["input_ids"])
    hook.remove()
    return sum(saved.values()), tokens[0], int(inputs["input_ids"].shape[1])


def estimate(family: str, size: RealSize) -> dict:
    config = config_of(size)
    model = make_stateful(build(config, materialize=False), SVEConfig())
    total = sum(p.numel() for p in model.parameters())
    added = sum(p.numel() for p in model.sve.sve_parameters(model).values())
    vision_depth = getattr(config.vision_config, size.vision_depth_key)
    text = config.get_text_config()
    row = {"family": family, "checkpoint": size.checkpoint, "params_b": (total - added) / 1e9,
           "sve_added_m": added / 1e6}
    base, vision_tokens, text_tokens = saved_bytes(size, 1, 1)
    vision_block = saved_bytes(size, 2, 1)[0] - base
    text_block = saved_bytes(size, 1, 2)[0] - base
    outside = base - vision_block - text_block
    full_acts = outside + vision_depth * vision_block + text.num_hidden_layers * text_block
    vision_width = getattr(config.vision_config, "embed_dim", None) or config.vision_config.hidden_size
    checkpointed = (outside + vision_depth * vision_tokens * vision_width * 4
                    + text.num_hidden_layers * text_tokens * text.hidden_size * 4 + max(vision_block, text_block))
    row["activations_gb"] = {"no_gc": full_acts / GIB, "gc": checkpointed / GIB}
    for trainable in ("full", "sve"):
        trained = total if trainable == "full" else added
        static = 4 * total + 12 * trained
        row[trainable] = {"static_gb": static / GIB, "no_gc_gb": (static + full_acts) / GIB,
                          "gc_gb": (static + checkpointed) / GIB}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", choices=sorted(FAMILIES), action="append",
                        help="families to estimate (repeatable); default: all")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    torch.set_num_threads(2)
    print("| family (checkpoint) | params | SVE adds | full FT, no GC | full FT, GC | SVE only, no GC | SVE only, GC |")
    print("|---|---|---|---|---|---|---|", flush=True)
    rows = []
    for name in args.family or FAMILIES:
        r = estimate(name, FAMILIES[name])
        rows.append(r)
        print(f"| {r['family']} ({r['checkpoint']}) | {r['params_b']:.2f} B | {r['sve_added_m']:.0f} M "
              f"({100 * r['sve_added_m'] / 1e3 / r['params_b']:.1f}%) | {r['full']['no_gc_gb']:.1f} GiB | "
              f"{r['full']['gc_gb']:.1f} GiB | {r['sve']['no_gc_gb']:.1f} GiB | {r['sve']['gc_gb']:.1f} GiB |", flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
