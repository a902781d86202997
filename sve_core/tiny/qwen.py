"""Tiny Qwen-style VLMs: Qwen2-VL, Qwen2.5-VL, Qwen3-VL and Qwen3.5.

All four share the ChatML template, the ``<|vision_start|><|image_pad|><|vision_end|>`` image markers and the
Qwen2-VL image processor (patches in 2x2 merge groups, one ``grid_thw`` row per image); they differ in the
vision blocks and the language model:
- Qwen2-VL: LayerNorm + fc1/fc2 vision blocks, 14 px patches.
- Qwen2.5-VL: RMSNorm + SwiGLU blocks; windowed attention in every block but `fullatt_block_indexes`, tokens
  reordered into window order within each image (patches and windows are made small enough that each tiny
  image has several multi-group windows).
- Qwen3-VL: 16 px patches, learned position embeddings plus rotary, a DeepStack tap feeding the first LLM layer.
- Qwen3.5: Qwen3-VL's tower without DeepStack; the language model alternates gated delta-net (linear attention,
  torch fallback on CPU) and full-attention layers.
- Qwen3-VL-MoE and Qwen3.5-MoE: the same towers; decoder MLPs are sparse experts (`spec.experts`).
"""

from __future__ import annotations

from collections.abc import Iterable

from transformers import PreTrainedModel, ProcessorMixin

from sve_core.tiny.spec import TinySpec, experts, mrope, text_config
from sve_core.tiny.tokenizer import Tokens, build_tokenizer, chat_template

CHATML = chat_template(turn="<|im_start|>{role}\n{content}<|im_end|>\n",
                       generation_prompt="<|im_start|>assistant\n",
                       image="<|vision_start|><|image_pad|><|vision_end|>")
TOKENS = Tokens(pad="<|endoftext|>", eos="<|im_end|>", template=CHATML,
                named={"image_token": "<|image_pad|>", "video_token": "<|video_pad|>",
                       "vision_start_token": "<|vision_start|>", "vision_end_token": "<|vision_end|>"},
                extra=("<|im_start|>",))


def _grid_side(spec: TinySpec, patch: int, merge: int = 2) -> int:
    """Image side in pixels: `spec.image_size` rounded to whole merge groups (what the processor resizes to)."""
    factor = patch * merge
    return max(1, round(spec.image_size / factor)) * factor


def _token_ids(tokenizer) -> dict:
    ids = tokenizer.convert_tokens_to_ids
    return dict(image_token_id=ids("<|image_pad|>"), video_token_id=ids("<|video_pad|>"),
                vision_start_token_id=ids("<|vision_start|>"), vision_end_token_id=ids("<|vision_end|>"))


def _special(tokenizer) -> dict:
    ids = tokenizer.convert_tokens_to_ids
    return dict(bos_token_id=None, eos_token_id=ids("<|im_end|>"), pad_token_id=ids("<|endoftext|>"))


def _processor(processor_class, video_class, tokenizer, spec: TinySpec, patch: int,
               merge: int = 2) -> ProcessorMixin:
    from transformers import Qwen2VLImageProcessor

    pixels = _grid_side(spec, patch, merge) ** 2
    # A margin around the target area: the processor's smart resize floors/ceils a float ratio, and an exact
    # bound can land one grid step short (a 96 px image became 28 px instead of 56 px).
    size = {"shortest_edge": int(pixels * 0.8), "longest_edge": int(pixels * 1.2)}
    geometry = dict(patch_size=patch, merge_size=merge, temporal_patch_size=2)
    return processor_class(image_processor=Qwen2VLImageProcessor(size=size, **geometry), tokenizer=tokenizer,
                           video_processor=video_class(size=size, **geometry), chat_template=tokenizer.chat_template)


def qwen2_vl(spec: TinySpec, corpus: Iterable[str]) -> tuple[PreTrainedModel, ProcessorMixin]:
    from transformers import (
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLProcessor,
        Qwen2VLVideoProcessor,
    )

    tokenizer = build_tokenizer(TOKENS, spec.vocab_size, corpus, split_digits=spec.split_digits)
    patch = spec.patch_size or 14
    config = Qwen2VLConfig(
        text_config=text_config(spec, len(tokenizer), rope_parameters=mrope(spec.text_head_dim), **_special(tokenizer)),
        vision_config=dict(depth=spec.vision_depth, embed_dim=spec.vision_width, hidden_size=spec.text_width,
                           num_heads=spec.vision_heads, mlp_ratio=2, patch_size=patch,
                           spatial_merge_size=spec.merge_size,
                           temporal_patch_size=2),
        **_token_ids(tokenizer),
    )
    model = Qwen2VLForConditionalGeneration(config)
    return model, _processor(Qwen2VLProcessor, Qwen2VLVideoProcessor, tokenizer, spec, patch, spec.merge_size)


def qwen2_5_vl(spec: TinySpec, corpus: Iterable[str]) -> tuple[PreTrainedModel, ProcessorMixin]:
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLVideoProcessor,
    )

    tokenizer = build_tokenizer(TOKENS, spec.vocab_size, corpus, split_digits=spec.split_digits)
    # Windows of half an image side, so an image is 4 windows of (at least) 2x2 merge groups: windowing happens
    # and window order differs from raster order. That needs 8 patches a side: the hub's 14 px patches from
    # 112 px images up, 7 px below. Every second block attends to the whole image, as the hub models do every
    # eighth.
    patch = 14 if spec.image_size >= 112 else 7
    merge_group = patch * 2
    window = max(1, _grid_side(spec, patch) // merge_group // 2) * merge_group
    config = Qwen2_5_VLConfig(
        text_config=text_config(spec, len(tokenizer), rope_parameters=mrope(spec.text_head_dim), **_special(tokenizer)),
        vision_config=dict(depth=spec.vision_depth, hidden_size=spec.vision_width,
                           intermediate_size=spec.vision_width * 2, num_heads=spec.vision_heads,
                           out_hidden_size=spec.text_width, patch_size=patch, spatial_merge_size=2,
                           temporal_patch_size=2, window_size=window,
                           fullatt_block_indexes=[i for i in range(spec.vision_depth) if i % 2 == 1]),
        **_token_ids(tokenizer),
    )
    model = Qwen2_5_VLForConditionalGeneration(config)
    return model, _processor(Qwen2_5_VLProcessor, Qwen2VLVideoProcessor, tokenizer, spec, patch=patch)


def _qwen3_vision(spec: TinySpec) -> dict:
    grid = _grid_side(spec, 16) // 16
    return dict(depth=spec.vision_depth, hidden_size=spec.vision_width, intermediate_size=spec.vision_width * 2,
                num_heads=spec.vision_heads, out_hidden_size=spec.text_width, patch_size=16, spatial_merge_size=2,
                temporal_patch_size=2, num_position_embeddings=grid * grid)


def qwen3_vl(spec: TinySpec, corpus: Iterable[str], *, moe: bool = False) -> tuple[PreTrainedModel, ProcessorMixin]:
    """Qwen3-VL, or with `moe` Qwen3-VL-MoE (the same tower; sparse-expert decoder layers)."""
    import transformers
    from transformers import Qwen3VLProcessor, Qwen3VLVideoProcessor

    prefix = "Qwen3VLMoe" if moe else "Qwen3VL"
    config_class, model_class = (getattr(transformers, prefix + name) for name in ("Config", "ForConditionalGeneration"))
    tokenizer = build_tokenizer(TOKENS, spec.vocab_size, corpus, split_digits=spec.split_digits)
    config = config_class(
        text_config=text_config(spec, len(tokenizer), rope_parameters=mrope(spec.text_head_dim, mrope_interleaved=True),
                                **_special(tokenizer), **(experts(spec) if moe else {})),
        # one DeepStack tap after the first half of the tower (the hub models tap three)
        vision_config=dict(_qwen3_vision(spec), deepstack_visual_indexes=[max(0, spec.vision_depth // 2 - 1)]),
        **_token_ids(tokenizer),
    )
    model = model_class(config)
    return model, _processor(Qwen3VLProcessor, Qwen3VLVideoProcessor, tokenizer, spec, patch=16)


def qwen3_5(spec: TinySpec, corpus: Iterable[str], *, moe: bool = False) -> tuple[PreTrainedModel, ProcessorMixin]:
    """Qwen3.5, or with `moe` Qwen3.5-MoE (the same tower; sparse experts plus a shared expert per layer)."""
    import transformers
    from transformers import Qwen3VLProcessor, Qwen3VLVideoProcessor

    prefix = "Qwen3_5Moe" if moe else "Qwen3_5"
    config_class, model_class = (getattr(transformers, prefix + name) for name in ("Config", "ForConditionalGeneration"))
    sparse = dict(experts(spec), shared_expert_intermediate_size=spec.text_width) if moe else {}
    tokenizer = build_tokenizer(TOKENS, spec.vocab_size, corpus, split_digits=spec.split_digits)
    head_dim = spec.text_head_dim
    partial = 0.5  # the hub models rotate a quarter of each head; half keeps a usable section split here
    layer_types = ["linear_attention" if (i + 1) % 2 else "full_attention" for i in range(spec.text_layers)]
    config = config_class(
        text_config=text_config(
            spec, len(tokenizer), layer_types=layer_types, linear_conv_kernel_dim=4, linear_key_head_dim=head_dim,
            linear_value_head_dim=head_dim, linear_num_key_heads=1, linear_num_value_heads=spec.text_heads,
            rope_parameters=mrope(int(head_dim * partial), mrope_interleaved=True, partial_rotary_factor=partial),
            **_special(tokenizer), **sparse),
        vision_config=_qwen3_vision(spec),
        **_token_ids(tokenizer),
    )
    model = model_class(config)
    return model, _processor(Qwen3VLProcessor, Qwen3VLVideoProcessor, tokenizer, spec, patch=16)
